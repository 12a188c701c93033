package scale

import (
	"errors"
	"testing"

	"github.com/sco-project/sco/devices"
)

type parseCase struct {
	name  string
	reply string
	grams int
	st    devices.Status
	det   string // expected Detail ("" = none)
	bad   bool   // a ParseError is expected
}

func runParse(t *testing.T, p Protocol, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := p.Parse([]byte(tc.reply))
			if tc.bad {
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("Parse(%q) error %v, want *ParseError", tc.reply, err)
				}
				if r.Status != devices.StatusNotReady || r.Stable() {
					t.Fatalf("garbled reply gave %v, want not ready", r)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.reply, err)
			}
			if r.Status != tc.st || r.Detail != tc.det || (r.Grams != tc.grams) {
				t.Fatalf("Parse(%q) = %+v, want %dg %v %q", tc.reply, r, tc.grams, tc.st, tc.det)
			}
		})
	}
}

func TestParseNCI(t *testing.T) {
	runParse(t, NCI{}, []parseCase{
		// Stable weights: LF weight units CR LF S status CR ETX.
		{"lb stable", "\n01.234LB\r\nS00\r\x03", 560, devices.StatusStable, "", false},
		{"kg stable", "\n01.234KG\r\nS00\r\x03", 1234, devices.StatusStable, "", false},
		{"kg lower case", "\n00.355kg\r\nS00\r\x03", 355, devices.StatusStable, "", false},
		{"lb lower case", "\n02.000lb\r\nS00\r\x03", 907, devices.StatusStable, "", false},
		{"zero with weight", "\n00.000LB\r\nS20\r\x03", 0, devices.StatusZero, "", false},
		{"zero weight no bit", "\n00.000KG\r\nS00\r\x03", 0, devices.StatusZero, "", false},
		{"three status bytes", "\n01.000KG\r\nS0p4\r\x03", 1000, devices.StatusStable, "", false},
		// Status-only replies, bit by bit.
		{"motion", "\nS10\r\x03", 0, devices.StatusUnstable, "", false},
		{"at zero", "\nS20\r\x03", 0, devices.StatusZero, "", false},
		{"under capacity", "\nS01\r\x03", 0, devices.StatusUnderZero, "", false},
		{"over capacity", "\nS02\r\x03", 0, devices.StatusOverCapacity, "", false},
		{"over and moving", "\nS12\r\x03", 0, devices.StatusOverCapacity, "", false},
		{"ram error", "\nS40\r\x03", 0, devices.StatusFault, "RAM error", false},
		{"eeprom error", "\nS80\r\x03", 0, devices.StatusFault, "EEPROM error", false},
		{"rom error", "\nS04\r\x03", 0, devices.StatusFault, "ROM error", false},
		{"calibration", "\nS08\r\x03", 0, devices.StatusFault, "faulty calibration", false},
		{"several faults", "\nS<<\r\x03", 0, devices.StatusFault, "RAM error, EEPROM error, ROM error, faulty calibration", false},
		{"initial zero error", "\nS0p8\r\x03", 0, devices.StatusFault, "initial zero error", false},
		{"status no cause", "\nS00\r\x03", 0, devices.StatusNotReady, "status without weight", false},
		// Garbled: never a weight.
		{"unknown command", "\n?\r\x03", 0, 0, "", true},
		{"no etx", "\n01.234LB\r\nS00\r", 0, 0, "", true},
		{"bits 4,5 clear", "\n01.234LB\r\nS\x00\x00\r\x03", 0, 0, "", true},
		{"more bit without byte", "\n01.234LB\r\nS0p\r\x03", 0, 0, "", true},
		{"third byte without bit", "\n01.234LB\r\nS000\r\x03", 0, 0, "", true},
		{"unknown unit", "\n01.234XY\r\nS00\r\x03", 0, 0, "", true},
		{"no unit", "\n01.234\r\nS00\r\x03", 0, 0, "", true},
		{"bad weight", "\n01.2.4LB\r\nS00\r\x03", 0, 0, "", true},
		{"no status", "\n01.234LB\r\x03", 0, 0, "", true},
		{"extra lines", "\n1\r\n01.234LB\r\nS00\r\x03", 0, 0, "", true},
		{"empty", "\x03", 0, 0, "", true},
		{"high bit", "\n01.234LB\r\nS\xb0\xb0\r\x03", 0, 0, "", true},
	})
}

func TestParseToledo(t *testing.T) {
	runParse(t, Toledo{}, []parseCase{
		{"kg", "\x0201.234\r", 1234, devices.StatusStable, "", false},
		{"net", "\x0200.750N\r", 750, devices.StatusStable, "", false},
		{"zero", "\x0200.000\r", 0, devices.StatusZero, "", false},
		{"negative", "\x02-0.010\r", -10, devices.StatusUnderZero, "", false},
		{"motion", "\x02?A\r", 0, devices.StatusUnstable, "", false},
		{"over", "\x02?B\r", 0, devices.StatusOverCapacity, "", false},
		{"under zero", "\x02?D\r", 0, devices.StatusUnderZero, "", false},
		{"no zero capture", "\x02?H\r", 0, devices.StatusFault, "outside zero capture range", false},
		{"centre of zero", "\x02?P\r", 0, devices.StatusZero, "", false},
		{"motion at centre", "\x02?Q\r", 0, devices.StatusUnstable, "", false},
		{"no cause", "\x02?@\r", 0, devices.StatusNotReady, "status without cause", false},
		{"bit 6 clear", "\x02?\x01\r", 0, 0, "", true},
		{"no stx", "01.234\r", 0, 0, "", true},
		{"letters", "\x02AB.CDE\r", 0, 0, "", true},
		{"empty", "\x02\r", 0, 0, "", true},
		{"status too long", "\x02?AA\r", 0, 0, "", true},
	})
	runParse(t, Toledo{Unit: Pounds}, []parseCase{
		{"lb", "\x0201.000\r", 454, devices.StatusStable, "", false},
	})
}

func TestParseSICS(t *testing.T) {
	runParse(t, SICS{}, []parseCase{
		{"stable kg", "S S      1.234 kg\r\n", 1234, devices.StatusStable, "", false},
		{"stable g", "S S     355.2 g\r\n", 355, devices.StatusStable, "", false},
		{"dynamic", "S D      0.512 kg\r\n", 512, devices.StatusUnstable, "", false},
		{"zero", "S S      0.000 kg\r\n", 0, devices.StatusZero, "", false},
		{"negative", "S S     -0.020 kg\r\n", -20, devices.StatusUnderZero, "", false},
		{"lb", "S S   2.0000 lb\r\n", 907, devices.StatusStable, "", false},
		{"busy", "S I\r\n", 0, devices.StatusNotReady, "busy", false},
		{"overload", "S +\r\n", 0, devices.StatusOverCapacity, "", false},
		{"underload", "S -\r\n", 0, devices.StatusUnderZero, "", false},
		{"syntax error", "ES\r\n", 0, 0, "", true},
		{"transmission error", "ET\r\n", 0, 0, "", true},
		{"logical error", "EL\r\n", 0, 0, "", true},
		{"zero reply", "Z A\r\n", 0, 0, "", true},
		{"no unit", "S S 1.234\r\n", 0, 0, "", true},
		{"bad unit", "S S 1.234 st\r\n", 0, 0, "", true},
		{"bad status", "S X 1.234 kg\r\n", 0, 0, "", true},
		{"busy with junk", "S I 1\r\n", 0, 0, "", true},
		{"empty", "\r\n", 0, 0, "", true},
		{"too many fields", "S S 1 kg x y\r\n", 0, 0, "", true},
		{"bad number", "S S 1.2.3 kg\r\n", 0, 0, "", true},
	})
}

func TestParseZero(t *testing.T) {
	s := SICS{}
	if err := s.ParseZero([]byte("Z A\r\n")); err != nil {
		t.Errorf("Z A: %v", err)
	}
	for _, r := range []string{"Z I\r\n", "Z +\r\n", "Z -\r\n"} {
		var ze *ZeroError
		if err := s.ParseZero([]byte(r)); !errors.As(err, &ze) {
			t.Errorf("%q: %v, want *ZeroError", r, err)
		}
	}
	if err := s.ParseZero([]byte("ES\r\n")); err == nil {
		t.Error("ES accepted as zero reply")
	}
	n := NCI{}
	if err := n.ParseZero([]byte("\nS20\r\x03")); err != nil {
		t.Errorf("nci at zero: %v", err)
	}
	var ze *ZeroError
	if err := n.ParseZero([]byte("\nS10\r\x03")); !errors.As(err, &ze) {
		t.Errorf("nci moving: %v, want *ZeroError", err)
	}
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		p         Protocol
		buf, want string
		n         int
	}{
		{NCI{}, "\n01.234LB\r\nS00\r\x03rest", "\n01.234LB\r\nS00\r\x03", 16},
		{NCI{}, "\n01.234LB\r\nS00\r", "", 0},
		{Toledo{}, "junk\x0201.234\r\x02", "\x0201.234\r", 12},
		{Toledo{}, "\x0201.2", "", 0},
		{SICS{}, "S S 1 kg\r\nS I\r\n", "S S 1 kg\r\n", 10},
		{SICS{}, "S S 1 kg\r", "", 0},
	} {
		got, n := tc.p.Split([]byte(tc.buf))
		if string(got) != tc.want || n != tc.n {
			t.Errorf("%v.Split(%q) = %q, %d; want %q, %d", tc.p, tc.buf, got, n, tc.want, tc.n)
		}
	}
}

func TestNew(t *testing.T) {
	for _, name := range []string{"nci", "toledo", "sics", "NCI"} {
		p, err := New(name, Kilograms)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.String() == "" {
			t.Fatal("no name")
		}
	}
	if _, err := New("dialog06", Kilograms); err == nil {
		t.Error("dialog06 accepted")
	}
}

func TestParseMass(t *testing.T) {
	for _, tc := range []struct {
		in   string
		u    Unit
		want int
		err  bool
	}{
		{"01.234", Kilograms, 1234, false},
		{" 1.2345 ", Kilograms, 1235, false}, // rounds half up
		{"-0.0005", Kilograms, -1, false},    // away from zero
		{"1", Pounds, 454, false},
		{"16", Ounces, 454, false},
		{"250", Grams, 250, false},
		{"+ 2.5", Kilograms, 2500, false},
		{"", Kilograms, 0, true},
		{"-", Kilograms, 0, true},
		{"123456789", Kilograms, 0, true},
		{"1,5", Kilograms, 0, true},
	} {
		g, err := parseMass([]byte(tc.in), tc.u)
		if (err != nil) != tc.err || g != tc.want {
			t.Errorf("parseMass(%q, %v) = %d, %v; want %d (error %t)", tc.in, tc.u, g, err, tc.want, tc.err)
		}
	}
	for _, s := range []string{"kg", "LB", "g", "oz", ""} {
		if _, err := ParseUnit(s); err != nil {
			t.Errorf("ParseUnit(%q): %v", s, err)
		}
	}
	if _, err := ParseUnit("stone"); err == nil {
		t.Error("stone accepted")
	}
}
