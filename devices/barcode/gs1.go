package barcode

import (
	"strings"
	"time"
)

// GS is the group separator (FNC1 in the symbol) that ends a
// variable-length GS1 element.
const GS = '\x1d'

// Element is one GS1 application identifier and its value.
type Element struct {
	AI    string
	Value string
}

// aiSpec describes how long an AI and its value are.
type aiSpec struct {
	aiLen   int  // digits in the AI itself
	fixed   int  // value length when fixed, else 0
	max     int  // maximum value length when variable
	numeric bool // value is digits only
}

// lookupAI returns the spec for the AI s starts with. It knows the AIs a
// retail lane meets; anything else is ErrUnknownAI, because an unknown
// variable-length element cannot be skipped safely.
func lookupAI(s string) (aiSpec, bool) {
	if len(s) < 2 {
		return aiSpec{}, false
	}
	switch s[:2] {
	case "00":
		return aiSpec{aiLen: 2, fixed: 18, numeric: true}, true
	case "01", "02":
		return aiSpec{aiLen: 2, fixed: 14, numeric: true}, true
	case "10", "21": // batch/lot, serial number
		return aiSpec{aiLen: 2, max: 20}, true
	case "11", "12", "13", "15", "16", "17": // dates YYMMDD
		return aiSpec{aiLen: 2, fixed: 6, numeric: true}, true
	case "20": // variant
		return aiSpec{aiLen: 2, fixed: 2, numeric: true}, true
	case "30", "37": // count
		return aiSpec{aiLen: 2, max: 8, numeric: true}, true
	case "31", "32", "33", "34", "35", "36": // measures, 4th digit = decimals 0..5
		if len(s) < 4 || s[3] < '0' || s[3] > '5' || s[2] < '0' || s[2] > '9' {
			return aiSpec{}, false
		}
		return aiSpec{aiLen: 4, fixed: 6, numeric: true}, true
	case "39": // amounts, 4th digit = decimals
		if len(s) < 4 || s[3] < '0' || s[3] > '9' {
			return aiSpec{}, false
		}
		switch s[2] {
		case '0', '2': // amount / price
			return aiSpec{aiLen: 4, max: 15, numeric: true}, true
		case '1', '3': // with ISO currency
			return aiSpec{aiLen: 4, max: 18, numeric: true}, true
		}
	case "41": // GLNs
		if len(s) >= 3 && s[2] >= '0' && s[2] <= '7' {
			return aiSpec{aiLen: 3, fixed: 13, numeric: true}, true
		}
	case "42":
		if len(s) >= 3 && s[2] == '0' { // ship-to postal code
			return aiSpec{aiLen: 3, max: 20}, true
		}
	}
	return aiSpec{}, false
}

// ParseElementString splits a GS1 element string (as carried by GS1-128,
// DataBar, GS1 DataMatrix or GS1 QR, AIM identifier already removed) into
// elements. Variable-length values end at GS (0x1D) or at the end; a GS
// after a fixed-length value is tolerated, as is a leading GS (FNC1 in
// first position sent as GS by some scanners).
func ParseElementString(s string) ([]Element, error) {
	in := s
	s = strings.TrimPrefix(s, string(GS))
	if s == "" {
		return nil, newErr(in, ErrEmpty, "")
	}
	var out []Element
	for len(s) > 0 {
		spec, ok := lookupAI(s)
		if !ok {
			n := min(4, len(s))
			return nil, newErr(in, ErrUnknownAI, "at %q", s[:n])
		}
		if len(s) < spec.aiLen {
			return nil, newErr(in, ErrTruncated, "AI %q", s)
		}
		ai := s[:spec.aiLen]
		s = s[spec.aiLen:]
		var v string
		if spec.fixed > 0 {
			if len(s) < spec.fixed {
				return nil, newErr(in, ErrTruncated, "AI %s needs %d characters, has %d", ai, spec.fixed, len(s))
			}
			v, s = s[:spec.fixed], s[spec.fixed:]
			if strings.IndexByte(v, GS) >= 0 {
				return nil, newErr(in, ErrTruncated, "AI %s needs %d characters before GS", ai, spec.fixed)
			}
		} else {
			end := strings.IndexByte(s, GS)
			if end < 0 {
				end = len(s)
			}
			v, s = s[:end], s[end:]
			if v == "" {
				return nil, newErr(in, ErrTruncated, "AI %s has no value", ai)
			}
			if len(v) > spec.max {
				return nil, newErr(in, ErrTooLong, "AI %s has %d characters, at most %d", ai, len(v), spec.max)
			}
		}
		if spec.numeric {
			if i := nonDigit(v); i >= 0 {
				return nil, newErr(in, ErrNonDigit, "AI %s: %q at %d", ai, v[i], i)
			}
		} else if i := nonPrintable(v); i >= 0 {
			return nil, newErr(in, ErrNonDigit, "AI %s: control character %q at %d", ai, v[i], i)
		}
		s = strings.TrimPrefix(s, string(GS))
		out = append(out, Element{AI: ai, Value: v})
	}
	return out, nil
}

func nonPrintable(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return i
		}
	}
	return -1
}

// ParseDate parses a GS1 YYMMDD date (AIs 11-17) as midnight UTC. DD 00
// means the last day of the month. Years are 2000-2099: GS1's sliding
// century window needs today's date, which this pure package does not
// read, and is the same until 2050.
func ParseDate(v string) (time.Time, error) {
	if len(v) != 6 {
		return time.Time{}, newErr(v, ErrBadDate, "want YYMMDD")
	}
	if i := nonDigit(v); i >= 0 {
		return time.Time{}, newErr(v, ErrBadDate, "want YYMMDD")
	}
	y := 2000 + int(atoi(v[0:2]))
	m := int(atoi(v[2:4]))
	d := int(atoi(v[4:6]))
	if m < 1 || m > 12 {
		return time.Time{}, newErr(v, ErrBadDate, "month %02d", m)
	}
	last := time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if d == 0 {
		d = last
	}
	if d > last {
		return time.Time{}, newErr(v, ErrBadDate, "day %02d", d)
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), nil
}

// decodeElements fills d from a GS1 element string.
func decodeElements(data string, d *Decoded) error {
	els, err := ParseElementString(data)
	if err != nil {
		return err
	}
	for _, e := range els {
		switch {
		case e.AI == "01":
			if err := validateCheck(e.Value); err != nil {
				return err
			}
			d.GTIN14 = e.Value
		case e.AI == "17":
			t, err := ParseDate(e.Value)
			if err != nil {
				return err
			}
			d.Expiry = t
		case strings.HasPrefix(e.AI, "310"): // net weight, kg
			d.WeightG = int(scale10(atoi(e.Value), 3-int(e.AI[3]-'0')))
		case strings.HasPrefix(e.AI, "392"): // price, local currency
			if len(e.Value) > 15 {
				return newErr(data, ErrTooLong, "AI %s", e.AI)
			}
			d.PriceCents = scale10(atoi(e.Value), 2-int(e.AI[3]-'0'))
		}
	}
	if d.GTIN14 == "" {
		return newErr(data, ErrNoGTIN, "")
	}
	// Indicator digit 9 marks a variable-measure trade item.
	d.VariableMeasure = d.GTIN14[0] == '9' || d.WeightG >= 0 || d.PriceCents >= 0
	return nil
}
