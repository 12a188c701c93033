package scale

import (
	"errors"
	"testing"

	"github.com/sco-project/sco/devices"
)

// checkReading is the invariant every parser keeps: an error is a
// NotReady reading without a weight; no error is a known status.
func checkReading(t *testing.T, reply []byte, r devices.Reading, err error) {
	t.Helper()
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("Parse(%q) error %T %v, want *ParseError", reply, err, err)
		}
		if r.Status != devices.StatusNotReady || r.Grams != 0 || r.Stable() {
			t.Fatalf("Parse(%q) garbled but reading %+v", reply, r)
		}
		return
	}
	if r.Status > devices.StatusFault {
		t.Fatalf("Parse(%q) status %v", reply, r.Status)
	}
	if r.Status == devices.StatusStable && r.Grams <= 0 {
		t.Fatalf("Parse(%q) stable at %d g", reply, r.Grams)
	}
	if r.Status == devices.StatusZero && r.Grams != 0 {
		t.Fatalf("Parse(%q) zero at %d g", reply, r.Grams)
	}
}

func fuzzProtocol(f *testing.F, p Protocol, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := p.Parse(b)
		checkReading(t, b, r, err)
		// Split never reads past buf and finds a reply that parses the
		// same way as on its own.
		reply, n := p.Split(b)
		if n < 0 || n > len(b) || len(reply) > n {
			t.Fatalf("Split(%q) = %q, %d", b, reply, n)
		}
		if n > 0 {
			r, err := p.Parse(reply)
			checkReading(t, reply, r, err)
		}
		_ = p.ParseZero(b)
	})
}

func FuzzNCI(f *testing.F) {
	fuzzProtocol(f, NCI{}, "\n01.234LB\r\nS00\r\x03", "\nS10\r\x03", "\nS0p8\r\x03", "\n?\r\x03", "\n00.000kg\r\nS20\r\x03")
}

func FuzzToledo(f *testing.F) {
	fuzzProtocol(f, Toledo{}, "\x0201.234\r", "\x0200.750N\r", "\x02?A\r", "\x02-0.010\r")
}

func FuzzSICS(f *testing.F) {
	fuzzProtocol(f, SICS{}, "S S      1.234 kg\r\n", "S D 0.5 g\r\n", "S I\r\n", "S +\r\n", "ES\r\n", "Z A\r\n")
}

func benchParse(b *testing.B, p Protocol, reply string) {
	in := []byte(reply)
	b.ReportAllocs()
	for b.Loop() {
		r, err := p.Parse(in)
		if err != nil || !r.Stable() {
			b.Fatal(r, err)
		}
	}
}

func BenchmarkParseNCI(b *testing.B)    { benchParse(b, NCI{}, "\n01.234LB\r\nS00\r\x03") }
func BenchmarkParseToledo(b *testing.B) { benchParse(b, Toledo{}, "\x0201.234\r") }
func BenchmarkParseSICS(b *testing.B)   { benchParse(b, SICS{}, "S S      1.234 kg\r\n") }

// TestParseDoesNotAllocate holds the hot path to zero allocations per
// stable reading.
func TestParseDoesNotAllocate(t *testing.T) {
	for _, tc := range []struct {
		p     Protocol
		reply string
	}{
		{NCI{}, "\n01.234LB\r\nS00\r\x03"},
		{Toledo{}, "\x0201.234\r"},
		{SICS{}, "S S      1.234 kg\r\n"},
		{SICS{}, "S D      1.234 kg\r\n"},
		{NCI{}, "\nS10\r\x03"},
	} {
		in := []byte(tc.reply)
		if n := testing.AllocsPerRun(100, func() { _, _ = tc.p.Parse(in) }); n != 0 {
			t.Errorf("%v.Parse(%q): %v allocations", tc.p, tc.reply, n)
		}
	}
}
