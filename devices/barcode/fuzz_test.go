package barcode

import (
	"errors"
	"strings"
	"testing"
)

func FuzzDecode(f *testing.F) {
	for _, s := range [][2]string{
		{"5000112637922", "]E0"}, {"01259814", "]E0"}, {"95012346", "]E4"},
		{"500011263792212", "]E3"}, {"2012345012349", "]E0"}, {"212345111994", ""},
		{"01906141410000153103000750" + "39221234\x1d17260200", "]e0"},
		{"0109501101530003171407041" + "0AB-123", "]C1"}, {"", ""}, {"\x1d", ""},
	} {
		f.Add(s[0], s[1])
	}
	layouts := append(DefaultLayouts(), Layout{Prefixes: []string{"28"}, ItemDigits: 4,
		VerifierDigit: true, CheckVerifier: true, Kind: KindWeight, ValueDigits: 5, Decimals: 3})
	f.Fuzz(func(t *testing.T, data, aim string) {
		d, err := Decode(data, aim, layouts)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), "barcode: ") {
				t.Fatalf("error %v is not a *Error", err)
			}
			return
		}
		if len(d.GTIN14) != 14 {
			t.Fatalf("Decode(%q, %q): GTIN14 %q", data, aim, d.GTIN14)
		}
		if err := ValidateGTIN(d.GTIN14); err != nil {
			t.Fatalf("Decode(%q, %q): GTIN14 invalid: %v", data, aim, err)
		}
		if d.PriceCents < -1 || d.WeightG < -1 {
			t.Fatalf("Decode(%q, %q): negative value %+v", data, aim, d)
		}
	})
}

func FuzzParseElementString(f *testing.F) {
	for _, s := range []string{
		"0109501101530003171407041" + "0AB-123", "\x1d0109501101530003\x1d21XYZ",
		"3103000750", "39221234\x1d", "10", "4101234567890123", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		els, err := ParseElementString(s)
		if err != nil {
			return
		}
		// Re-encoding with GS after every element must parse to the same.
		var b strings.Builder
		for _, e := range els {
			if e.Value == "" || strings.IndexByte(e.Value, GS) >= 0 {
				t.Fatalf("element %+v", e)
			}
			b.WriteString(e.AI + e.Value + string(GS))
		}
		again, err := ParseElementString(b.String())
		if err != nil || len(again) != len(els) {
			t.Fatalf("re-parse of %q: %v, %d elements, want %d", b.String(), err, len(again), len(els))
		}
		for i := range els {
			if again[i] != els[i] {
				t.Fatalf("re-parse element %d = %+v, want %+v", i, again[i], els[i])
			}
		}
	})
}

func BenchmarkDecodeEAN13(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode("5000112637922", "]E0", nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeVariableMeasure(b *testing.B) {
	l := DefaultLayouts()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode("2012345012349", "]E0", l); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeGS1(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode("01906141410000153103000750"+"39221234\x1d17260200", "]e0", nil); err != nil {
			b.Fatal(err)
		}
	}
}
