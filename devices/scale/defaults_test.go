package scale

import (
	"testing"

	"github.com/sco-project/sco/devices/serialport"
)

func TestProtocolsAndDefaults(t *testing.T) {
	for _, name := range Protocols() {
		p, err := New(name, Kilograms)
		if err != nil {
			t.Fatalf("New(%q): %v", name, err)
		}
		if p.String() != name {
			t.Errorf("New(%q) is %q", name, p.String())
		}
	}
	if p, _ := New("", Kilograms); p.String() != DefaultProtocol {
		t.Errorf("the zero protocol is %q, want %q", p, DefaultProtocol)
	}
	for _, name := range Units() {
		u, err := ParseUnit(name)
		if err != nil || u.String() != name {
			t.Errorf("ParseUnit(%q) = %v, %v", name, u, err)
		}
	}
	e71 := serialport.Opts{Baud: 9600, DataBits: 7, Parity: "even", StopBits: 1}
	n81 := serialport.Opts{Baud: 9600, DataBits: 8, Parity: "none", StopBits: 1}
	for name, want := range map[string]serialport.Opts{"nci": e71, "toledo": e71, "8217": e71, "sics": n81, "MT-SICS": n81, "": e71} {
		if got := DefaultLine(name); line(got) != line(want) {
			t.Errorf("DefaultLine(%q) = %+v, want %+v", name, got, want)
		}
	}
}

// line is the part of serialport.Opts DefaultLine sets.
func line(o serialport.Opts) [4]any { return [4]any{o.Baud, o.DataBits, o.Parity, o.StopBits} }
