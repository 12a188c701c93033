package barcode

import (
	"errors"
	"testing"
	"time"
)

func reasonOf(t *testing.T, err error) ErrReason {
	t.Helper()
	if err == nil {
		return 0
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is %T, want *Error", err, err)
	}
	return e.Reason
}

func TestCheckDigit(t *testing.T) {
	for _, tc := range []struct {
		body string
		want byte
		r    ErrReason
	}{
		{"890400021003", '7', 0}, // from the reference
		{"500011263792", '2', 0},
		{"001234567890", '5', 0},
		{"9501234", '6', 0},
		{"0950110153000", '3', 0},
		{"0000000", '0', 0},
		{"", 0, ErrEmpty},
		{"12a4", 0, ErrNonDigit},
		{"123456789012345678", 0, ErrBadLength},
	} {
		got, err := CheckDigit(tc.body)
		if r := reasonOf(t, err); r != tc.r {
			t.Errorf("CheckDigit(%q) error %v, want reason %v", tc.body, err, tc.r)
			continue
		}
		if got != tc.want {
			t.Errorf("CheckDigit(%q) = %q, want %q", tc.body, got, tc.want)
		}
	}
}

func TestValidateGTIN(t *testing.T) {
	for _, tc := range []struct {
		code string
		r    ErrReason
	}{
		{"95012346", 0},
		{"012345678905", 0},
		{"5000112637922", 0},
		{"05000112637922", 0},
		{"5000112637921", ErrBadCheckDigit},
		{"50001126379", ErrBadLength},
		{"", ErrEmpty},
		{"50001126379x2", ErrNonDigit},
		{"123456789012345", ErrBadLength},
	} {
		if r := reasonOf(t, ValidateGTIN(tc.code)); r != tc.r {
			t.Errorf("ValidateGTIN(%q) reason %v, want %v", tc.code, r, tc.r)
		}
	}
	err := ValidateGTIN("5000112637921")
	if want := `barcode: "5000112637921": bad check digit, want 2`; err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
}

func TestExpandUPCE(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		r        ErrReason
	}{
		{"01259814", "012100005984", 0}, // reference example, d6 = 1
		{"04252614", "042100005264", 0}, // d6 = 1
		{"01234565", "012345000065", 0}, // d6 = 6
		{"01234133", "012300000413", 0}, // d6 = 3
		{"01234145", "012340000015", 0}, // d6 = 4
		{"01259813", "", ErrBadCheckDigit},
		{"21259814", "", ErrBadUPCE},
		{"0125981", "", ErrBadLength},
		{"0125981x", "", ErrNonDigit},
		{"", "", ErrEmpty},
	} {
		got, err := ExpandUPCE(tc.in)
		if r := reasonOf(t, err); r != tc.r {
			t.Errorf("ExpandUPCE(%q) error %v, want reason %v", tc.in, err, tc.r)
			continue
		}
		if got != tc.want {
			t.Errorf("ExpandUPCE(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestToGTIN14(t *testing.T) {
	for in, want := range map[string]string{
		"95012346":       "00000095012346",
		"012345678905":   "00012345678905",
		"5000112637922":  "05000112637922",
		"90614141000015": "90614141000015",
	} {
		got, err := ToGTIN14(in)
		if err != nil || got != want {
			t.Errorf("ToGTIN14(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ToGTIN14("5000112637921"); reasonOf(t, err) != ErrBadCheckDigit {
		t.Errorf("ToGTIN14 bad check digit: %v", err)
	}
}

func TestPriceCheck(t *testing.T) {
	// GS1 General Specifications 7.9.3 worked example: price 2875 has
	// verifier 9; five-digit 14685 has verifier 6.
	if got := priceCheck("2875"); got != '9' {
		t.Errorf("priceCheck(2875) = %c, want 9", got)
	}
	if got := priceCheck("14685"); got != '6' {
		t.Errorf("priceCheck(14685) = %c, want 6", got)
	}
}

func TestLayoutValidate(t *testing.T) {
	for _, l := range DefaultLayouts() {
		if err := l.Validate(); err != nil {
			t.Errorf("default %v: %v", &l, err)
		}
	}
	bad := []Layout{
		{},
		{Prefixes: []string{"2"}, ItemDigits: 5, Kind: KindPrice, ValueDigits: 5},                // 11 digits
		{Prefixes: []string{"2x"}, ItemDigits: 5, Kind: KindPrice, ValueDigits: 5},               // not digits
		{Prefixes: []string{"20"}, ItemDigits: 5, ValueDigits: 5},                                // no kind
		{Prefixes: []string{"20"}, ItemDigits: 5, Kind: KindWeight, ValueDigits: 5, Decimals: 6}, // decimals
		{Prefixes: []string{"20"}, ItemDigits: 4, Kind: KindPrice, ValueDigits: 6, CheckVerifier: true},
	}
	for _, l := range bad {
		if r := reasonOf(t, l.Validate()); r != ErrBadLayout {
			t.Errorf("%v: reason %v, want bad layout", &l, r)
		}
	}
}

func TestValueKindText(t *testing.T) {
	var k ValueKind
	if err := k.UnmarshalText([]byte("weight")); err != nil || k != KindWeight {
		t.Fatalf("weight: %v %v", k, err)
	}
	if err := k.UnmarshalText([]byte("volume")); err == nil {
		t.Fatal("volume accepted")
	}
	b, err := KindPrice.MarshalText()
	if err != nil || string(b) != "price" {
		t.Fatalf("MarshalText = %q %v", b, err)
	}
}

func TestDecode(t *testing.T) {
	weight := []Layout{{Prefixes: []string{"28"}, ItemDigits: 4, VerifierDigit: true, CheckVerifier: true,
		Kind: KindWeight, ValueDigits: 5, Decimals: 3}}
	weightCode := "2812340" + "14685" // verifier 0 is wrong: want 6
	type want struct {
		gtin, item, sym string
		vm              bool
		price           int64
		grams           int
		expiry          time.Time
	}
	for _, tc := range []struct {
		name, data, aim string
		layouts         []Layout
		want            want
		r               ErrReason
	}{
		{"ean13", "5000112637922", "]E0", nil, want{gtin: "05000112637922", sym: "ean13", price: -1, grams: -1}, 0},
		{"upca 12", "012345678905", "]E0", nil, want{gtin: "00012345678905", sym: "upca", price: -1, grams: -1}, 0},
		{"upca 13 datalogic", "0012345678905", "]E0", nil, want{gtin: "00012345678905", sym: "upca", price: -1, grams: -1}, 0},
		{"upce", "01259814", "]E0", nil, want{gtin: "00012100005984", sym: "upce", price: -1, grams: -1}, 0},
		{"upce bad", "01259813", "]E0", nil, want{}, ErrBadCheckDigit},
		{"ean8", "95012346", "]E4", nil, want{gtin: "00000095012346", sym: "ean8", price: -1, grams: -1}, 0},
		{"ean8 wrong length", "950123461", "]E4", nil, want{}, ErrBadLength},
		{"ean13 addon2", "500011263792212", "]E3", nil, want{gtin: "05000112637922", sym: "ean13", price: -1, grams: -1}, 0},
		{"upca addon5", "01234567890512345", "]E3", nil, want{gtin: "00012345678905", sym: "upca", price: -1, grams: -1}, 0},
		{"bad check", "5000112637921", "]E0", nil, want{}, ErrBadCheckDigit},
		{"plain digits", "5000112637922", "", nil, want{gtin: "05000112637922", price: -1, grams: -1}, 0},
		{"plain upce", "01259814", "", nil, want{gtin: "00012100005984", price: -1, grams: -1}, 0},
		{"plain ean8", "95012346", "", nil, want{gtin: "00000095012346", price: -1, grams: -1}, 0},
		{"price layout", "2012345012349", "]E0", DefaultLayouts(),
			want{gtin: "02012345000001", item: "12345", sym: "ean13", vm: true, price: 1234, grams: -1}, 0},
		{"price layout off", "2012345012349", "]E0", nil, want{gtin: "02012345012349", sym: "ean13", price: -1, grams: -1}, 0},
		{"upc 2 layout", "212345111994", "]E0", DefaultLayouts(),
			want{gtin: "00212345000007", item: "12345", sym: "upca", vm: true, price: 1199, grams: -1}, 0},
		{"weight verifier ok", "2812346146858", "]E0", weight,
			want{gtin: "02812340000002", item: "1234", sym: "ean13", vm: true, price: -1, grams: 14685}, 0},
		{"weight verifier bad", weightCode + string(checkDigit(weightCode)), "]E0", weight, want{}, ErrBadVerifier},
		{"gs1-128", "0109501101530003171407041" + "0AB-123", "]C1", nil,
			want{gtin: "09501101530003", sym: "gs1-128", price: -1, grams: -1, expiry: time.Date(2014, 7, 4, 0, 0, 0, 0, time.UTC)}, 0},
		{"databar weight price", "01906141410000153103000750" + "3922" + "1234\x1d" + "17260200", "]e0", nil,
			want{gtin: "90614141000015", sym: "databar", vm: true, price: 1234, grams: 750, expiry: time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC)}, 0},
		{"gs1 no aim", "0109501101530003\x1d10AB", "", nil, want{gtin: "09501101530003", price: -1, grams: -1}, 0},
		{"gs1 no 01", "17140704", "]C1", nil, want{}, ErrNoGTIN},
		{"gs1 bad gtin", "0109501101530004", "]C1", nil, want{}, ErrBadCheckDigit},
		{"gs1 unknown ai", "0109501101530003990000", "]C1", nil, want{}, ErrUnknownAI},
		{"gs1 truncated", "010950110153", "]C1", nil, want{}, ErrTruncated},
		{"gs1 bad date", "010950110153000317131301", "]C1", nil, want{}, ErrBadDate},
		{"code39", "ABC", "]A0", nil, want{}, ErrUnsupported},
		{"empty", "", "]E0", nil, want{}, ErrEmpty},
		{"non digit", "50001126379x2", "]E0", nil, want{}, ErrNonDigit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Decode(tc.data, tc.aim, tc.layouts)
			if r := reasonOf(t, err); r != tc.r {
				t.Fatalf("Decode(%q, %q) error %v, want reason %v", tc.data, tc.aim, err, tc.r)
			}
			if tc.r != 0 {
				return
			}
			got := want{d.GTIN14, d.ItemRef, d.Symbology, d.VariableMeasure, d.PriceCents, d.WeightG, d.Expiry}
			if got != tc.want {
				t.Errorf("Decode(%q, %q) =\n %+v\nwant\n %+v", tc.data, tc.aim, got, tc.want)
			}
			if err := ValidateGTIN(d.GTIN14); err != nil {
				t.Errorf("GTIN14 %q invalid: %v", d.GTIN14, err)
			}
		})
	}
}

func TestParseElementString(t *testing.T) {
	els, err := ParseElementString("\x1d0109501101530003\x1d10AB-123\x1d21XYZ")
	if err != nil {
		t.Fatal(err)
	}
	want := []Element{{"01", "09501101530003"}, {"10", "AB-123"}, {"21", "XYZ"}}
	if len(els) != len(want) {
		t.Fatalf("got %v, want %v", els, want)
	}
	for i := range want {
		if els[i] != want[i] {
			t.Errorf("element %d = %v, want %v", i, els[i], want[i])
		}
	}
	for in, r := range map[string]ErrReason{
		"":                         ErrEmpty,
		"10":                       ErrTruncated,
		"10ABCDEFGHIJKLMNOPQRSTU":  ErrTooLong,
		"3106123456":               ErrUnknownAI,
		"0109501101530003\x1d\x1d": ErrUnknownAI,
		"01095011015\x1d0003":      ErrTruncated,
		"3922ab":                   ErrNonDigit,
		"10A\x01B":                 ErrNonDigit,
	} {
		_, err := ParseElementString(in)
		if got := reasonOf(t, err); got != r {
			t.Errorf("ParseElementString(%q) error %v, want reason %v", in, err, r)
		}
	}
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]time.Time{
		"240229": time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
		"240200": time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
		"991231": time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC),
	} {
		got, err := ParseDate(in)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"230229", "241301", "2402", "24021x", "240000"} {
		if _, err := ParseDate(in); reasonOf(t, err) != ErrBadDate {
			t.Errorf("ParseDate(%q) = %v, want bad date", in, err)
		}
	}
}
