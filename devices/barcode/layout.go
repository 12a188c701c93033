package barcode

import (
	"fmt"
	"strings"
)

// ValueKind says what a variable-measure code embeds.
type ValueKind uint8

// Value kinds. The zero value is invalid so that a Layout read from a
// config file without a kind is caught by Validate.
const (
	KindPrice  ValueKind = iota + 1 // a price; Decimals are decimals of the currency unit
	KindWeight                      // a net weight; Decimals are decimals of the kilogram
)

func (k ValueKind) String() string {
	switch k {
	case KindPrice:
		return "price"
	case KindWeight:
		return "weight"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// MarshalText implements encoding.TextMarshaler.
func (k ValueKind) MarshalText() ([]byte, error) {
	if k != KindPrice && k != KindWeight {
		return nil, fmt.Errorf("barcode: invalid value kind %d", uint8(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler: "price" or "weight".
func (k *ValueKind) UnmarshalText(b []byte) error {
	switch string(b) {
	case "price":
		*k = KindPrice
	case "weight":
		*k = KindWeight
	default:
		return fmt.Errorf("barcode: value kind %q, want price or weight", b)
	}
	return nil
}

// Layout is one variable-measure (in-store) code layout. Layouts are
// matched against the code in its 13-digit form (a 12-digit UPC-A gets a
// leading 0), which reads, left to right:
//
//	Prefix | item reference (ItemDigits) | [verifier] | value (ValueDigits) | check digit
//
// so len(prefix) + ItemDigits + (1 if VerifierDigit) + ValueDigits must be
// 12. The layout is set per country or retailer; DefaultLayouts is a
// common one.
type Layout struct {
	// Prefixes select this layout: "20".."29" for EAN-13 in-store codes,
	// "02" for UPC-A number system 2. All digits, at least one.
	Prefixes []string `yaml:"prefixes" json:"prefixes"`
	// ItemDigits is the length of the item reference after the prefix.
	ItemDigits int `yaml:"item_digits" json:"item_digits"`
	// VerifierDigit says a price/weight verifier digit sits between the
	// item reference and the value.
	VerifierDigit bool `yaml:"verifier_digit" json:"verifier_digit"`
	// CheckVerifier makes Decode check the verifier digit with the GS1
	// price/weight check (General Specifications 7.9.3, defined for 4 and
	// 5 value digits). Many retailers put 0 there instead: leave it false
	// for them.
	CheckVerifier bool `yaml:"check_verifier" json:"check_verifier"`
	// Kind is price or weight.
	Kind ValueKind `yaml:"kind" json:"kind"`
	// ValueDigits is the length of the embedded value.
	ValueDigits int `yaml:"value_digits" json:"value_digits"`
	// Decimals is where the decimal point sits in the value: for a price,
	// 2 means the value is in cents; for a weight, 3 means grams.
	Decimals int `yaml:"decimals" json:"decimals"`
}

// DefaultLayouts returns the layouts a lane uses when its config names
// none:
//
//   - EAN-13 prefixes 20-29: 5-digit item reference, no verifier, 5-digit
//     price in cents (2 PP IIIII VVVVV C). This is the most common European
//     in-store price layout; scales printing weight labels need a
//     configured weight layout instead.
//   - UPC-A number system 2 (GTIN-13 prefix "02"): 5-digit item
//     reference, an unchecked verifier digit, 4-digit price in cents
//     (0 2 IIIII V PPPP C), the common North American layout.
func DefaultLayouts() []Layout {
	return []Layout{
		{
			Prefixes:    []string{"20", "21", "22", "23", "24", "25", "26", "27", "28", "29"},
			ItemDigits:  5,
			Kind:        KindPrice,
			ValueDigits: 5,
			Decimals:    2,
		},
		{
			Prefixes:      []string{"02"},
			ItemDigits:    5,
			VerifierDigit: true,
			Kind:          KindPrice,
			ValueDigits:   4,
			Decimals:      2,
		},
	}
}

// Validate reports whether the layout adds up to a 13-digit code.
func (l *Layout) Validate() error {
	bad := func(format string, a ...any) error { return newErr(l.String(), ErrBadLayout, format, a...) }
	if len(l.Prefixes) == 0 {
		return bad("no prefixes")
	}
	if l.Kind != KindPrice && l.Kind != KindWeight {
		return bad("kind must be price or weight")
	}
	if l.ItemDigits < 1 {
		return bad("item_digits %d, want at least 1", l.ItemDigits)
	}
	if l.ValueDigits < 1 || l.ValueDigits > 6 {
		return bad("value_digits %d, want 1..6", l.ValueDigits)
	}
	if l.Decimals < 0 || l.Decimals > l.ValueDigits {
		return bad("decimals %d, want 0..%d", l.Decimals, l.ValueDigits)
	}
	if l.CheckVerifier && (!l.VerifierDigit || (l.ValueDigits != 4 && l.ValueDigits != 5)) {
		return bad("check_verifier needs verifier_digit and 4 or 5 value digits")
	}
	v := 0
	if l.VerifierDigit {
		v = 1
	}
	for _, p := range l.Prefixes {
		if p == "" || nonDigit(p) >= 0 {
			return bad("prefix %q is not digits", p)
		}
		if n := len(p) + l.ItemDigits + v + l.ValueDigits; n != 12 {
			return bad("prefix %q: %d digits before the check digit, want 12", p, n)
		}
	}
	return nil
}

func (l *Layout) String() string {
	return fmt.Sprintf("layout %s item %d verifier %t %s %d.%d",
		strings.Join(l.Prefixes, ","), l.ItemDigits, l.VerifierDigit, l.Kind, l.ValueDigits, l.Decimals)
}

// match returns the prefix of l that code13 starts with, or "".
func (l *Layout) match(code13 string) string {
	for _, p := range l.Prefixes {
		if p != "" && strings.HasPrefix(code13, p) {
			return p
		}
	}
	return ""
}

// apply decodes code13 (13 digits, check digit already valid) with the
// layout, whose prefix p matched, into d.
func (l *Layout) apply(code13, p string, d *Decoded) error {
	if err := l.Validate(); err != nil {
		return err
	}
	i := len(p)
	d.ItemRef = code13[i : i+l.ItemDigits]
	i += l.ItemDigits
	vstart := i
	if l.VerifierDigit {
		i++
	}
	value := code13[i : i+l.ValueDigits]
	if l.CheckVerifier {
		if want := priceCheck(value); code13[vstart] != want {
			return newErr(code13, ErrBadVerifier, "want %c", want)
		}
	}
	n := atoi(value)
	switch l.Kind {
	case KindPrice:
		d.PriceCents = scale10(n, 2-l.Decimals)
	case KindWeight:
		d.WeightG = int(scale10(n, 3-l.Decimals))
	}
	d.VariableMeasure = true
	// The catalogue key: value and verifier digits zeroed, check digit
	// recomputed.
	b := []byte(code13[:12])
	for j := vstart; j < 12; j++ {
		b[j] = '0'
	}
	body := string(b)
	d.GTIN14 = pad14(body + string(checkDigit(body)))
	return nil
}

// atoi converts up to 18 ASCII digits.
func atoi(s string) int64 {
	var n int64
	for i := 0; i < len(s); i++ {
		n = n*10 + int64(s[i]-'0')
	}
	return n
}

// scale10 returns n * 10^e, rounding half up when e is negative.
func scale10(n int64, e int) int64 {
	for ; e > 0; e-- {
		n *= 10
	}
	if e < 0 {
		div := int64(1)
		for ; e < 0; e++ {
			div *= 10
		}
		n = (n + div/2) / div
	}
	return n
}

// Weighting-factor tables of GS1 General Specifications 7.9.3, indexed by
// digit: 2- (units digit of 2d minus its tens digit), 3 (3d), 5+ (units
// plus tens of 5d), 5- (units minus tens of 5d), and the inverse of 5-.
var (
	w2minus   = [10]byte{0, 2, 4, 6, 8, 9, 1, 3, 5, 7}
	w3        = [10]byte{0, 3, 6, 9, 12, 15, 18, 21, 24, 27}
	w5plus    = [10]byte{0, 5, 1, 6, 2, 7, 3, 8, 4, 9}
	w5minus   = [10]byte{0, 5, 9, 4, 8, 3, 7, 2, 6, 1}
	w5minusIn = [10]byte{0, 9, 7, 5, 3, 1, 8, 6, 4, 2}
)

// priceCheck returns the GS1 price/weight verifier digit for a 4- or
// 5-digit value (the caller guarantees the length).
func priceCheck(v string) byte {
	d := func(i int) byte { return v[i] - '0' }
	if len(v) == 4 {
		sum := int(w2minus[d(0)]) + int(w2minus[d(1)]) + int(w3[d(2)]) + int(w5minus[d(3)])
		return byte('0' + sum*3%10)
	}
	sum := int(w5plus[d(0)]) + int(w2minus[d(1)]) + int(w5minus[d(2)]) + int(w5plus[d(3)]) + int(w2minus[d(4)])
	return '0' + w5minusIn[(10-sum%10)%10]
}
