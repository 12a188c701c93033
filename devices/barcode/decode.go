package barcode

import (
	"strings"
	"time"
)

// Decoded is what a lane needs from one scan.
type Decoded struct {
	// GTIN14 is the catalogue lookup key. For a variable-measure code it
	// is the code with the embedded value (and verifier) digits zeroed and
	// the check digit recomputed, as catalogues store them.
	GTIN14 string
	// ItemRef is the variable-measure item reference ("" otherwise).
	ItemRef string
	// VariableMeasure is true for in-store price/weight codes, GS1
	// element strings carrying a weight or price, and GTIN-14 with
	// indicator digit 9.
	VariableMeasure bool
	// PriceCents is the embedded price, -1 if none.
	PriceCents int64
	// WeightG is the embedded net weight in grams, -1 if none.
	WeightG int
	// Expiry is AI 17 if present, else the zero time.
	Expiry time.Time
	// Symbology is "ean13", "upca", "upce", "ean8", "itf14", "gs1-128",
	// "databar", "gs1-datamatrix", "gs1-qr", or "" when the scanner sent
	// no AIM identifier.
	Symbology string
}

// Decode turns one scan (data and AIM identifier, as in devices.Scan)
// into a catalogue key. layouts are the variable-measure layouts to try,
// in order (nil: none; see DefaultLayouts).
//
//   - ]E0: EAN-13, UPC-A (12 digits, or 13 with a leading 0 as Datalogic
//     sends it), or UPC-E (8 digits whose expansion validates).
//   - ]E4: EAN-8.  ]E3: EAN/UPC with a 2- or 5-digit add-on, which is
//     dropped.
//   - ]C1 GS1-128, ]e0 GS1 DataBar, ]d2 GS1 DataMatrix, ]Q3 GS1 QR: GS1
//     element strings; AI 01 is required.
//   - ]I0/]I1: ITF-14 (14 digits).
//   - no AIM: a GS1 element string if it holds GS or is longer than 14
//     characters and starts with 01; else 8 digits as EAN-8 (or UPC-E if
//     EAN-8 does not validate but the UPC-E expansion does), 12, 13 or 14
//     digits as a GTIN.
//
// Any other symbology (Code 128 without FNC1, Code 39, QR, ...) is
// ErrUnsupported: it carries no retail item code.
func Decode(data, aim string, layouts []Layout) (Decoded, error) {
	d := Decoded{PriceCents: -1, WeightG: -1}
	if data == "" {
		return d, newErr(data, ErrEmpty, "")
	}
	var code string // the retail code, validated
	switch aim {
	case "]E0":
		switch len(data) {
		case 8:
			a, err := ExpandUPCE(data)
			if err != nil {
				return d, err
			}
			code, d.Symbology = a, "upce"
		case 12:
			code, d.Symbology = data, "upca"
		case 13:
			code, d.Symbology = data, "ean13"
			if data[0] == '0' {
				d.Symbology = "upca"
			}
		default:
			return d, newErr(data, ErrBadLength, "%d digits for ]E0, want 8, 12 or 13", len(data))
		}
	case "]E4":
		if len(data) != 8 {
			return d, newErr(data, ErrBadLength, "%d digits for ]E4, want 8", len(data))
		}
		code, d.Symbology = data, "ean8"
	case "]E3":
		var err error
		if code, d.Symbology, err = dropAddOn(data); err != nil {
			return d, err
		}
	case "]C1", "]e0", "]d2", "]Q3":
		d.Symbology = gs1Symbology[aim]
		return d, decodeElements(data, &d)
	case "]I0", "]I1":
		if len(data) != 14 {
			return d, newErr(data, ErrBadLength, "%d digits for ITF, want 14", len(data))
		}
		code, d.Symbology = data, "itf14"
	case "":
		if strings.IndexByte(data, GS) >= 0 || (len(data) > 14 && strings.HasPrefix(data, "01")) {
			return d, decodeElements(data, &d)
		}
		code = data
		if len(data) == 8 && ValidateGTIN(data) != nil {
			if a, err := ExpandUPCE(data); err == nil {
				code = a
			}
		}
	default:
		return d, newErr(data, ErrUnsupported, "AIM %q", aim)
	}
	if err := ValidateGTIN(code); err != nil {
		return d, err
	}
	d.GTIN14 = pad14(code)
	if len(code) == 12 || len(code) == 13 {
		code13 := d.GTIN14[1:]
		for i := range layouts {
			if p := layouts[i].match(code13); p != "" {
				return d, layouts[i].apply(code13, p, &d)
			}
		}
	}
	return d, nil
}

var gs1Symbology = map[string]string{
	"]C1": "gs1-128",
	"]e0": "databar",
	"]d2": "gs1-datamatrix",
	"]Q3": "gs1-qr",
}

// dropAddOn splits an EAN/UPC code with a 2- or 5-digit add-on (]E3) and
// returns the main code. The lengths never collide: 8+2, 8+5, 12+2, 12+5,
// 13+2, 13+5.
func dropAddOn(data string) (code, sym string, err error) {
	for _, add := range [...]int{2, 5} {
		n := len(data) - add
		switch n {
		case 8:
			return data[:n], "ean8", nil
		case 12:
			return data[:n], "upca", nil
		case 13:
			return data[:n], "ean13", nil
		}
	}
	return "", "", newErr(data, ErrBadLength, "%d digits for ]E3, want 10, 13, 14, 15, 17 or 18", len(data))
}
