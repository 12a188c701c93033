package scanner

import (
	"slices"
	"testing"

	"github.com/sco-project/sco/devices/serialport"
)

func TestModelNamesAndDefaults(t *testing.T) {
	names := ModelNames()
	if want := []string{"generic", "datalogic", "honeywell", "zebra"}; !slices.Equal(names, want) {
		t.Errorf("ModelNames() = %v, want %v", names, want)
	}
	for _, name := range names {
		if m, ok := Models[name]; !ok || m.Name != name {
			t.Errorf("model %q: %+v, %v", name, m, ok)
		}
	}
	if len(names) != len(Models) {
		t.Errorf("ModelNames() has %d names, Models %d", len(names), len(Models))
	}
	if m, err := model(nil); err != nil || m.Name != DefaultModel {
		t.Errorf("the zero Opts is model %q (%v), want %q", m.Name, err, DefaultModel)
	}
	got, want := DefaultLine(), serialport.Opts{Baud: 9600, DataBits: 8, Parity: "none", StopBits: 1}
	if got.Baud != want.Baud || got.DataBits != want.DataBits || got.Parity != want.Parity || got.StopBits != want.StopBits {
		t.Errorf("DefaultLine() = %+v, want %+v", got, want)
	}
}
