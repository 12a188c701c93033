package barcode

import "strings"

// maxBody is the longest body CheckDigit accepts: an SSCC (AI 00) has 17
// digits before its check digit.
const maxBody = 17

// CheckDigit returns the GS1 mod-10 check digit ('0'..'9') for body, the
// digits before the check digit: from the right, weights 3,1,3,1,...;
// check = (10 - sum mod 10) mod 10.
func CheckDigit(body string) (byte, error) {
	if body == "" {
		return 0, newErr(body, ErrEmpty, "")
	}
	if len(body) > maxBody {
		return 0, newErr(body, ErrBadLength, "%d digits, at most %d", len(body), maxBody)
	}
	if i := nonDigit(body); i >= 0 {
		return 0, newErr(body, ErrNonDigit, "%q at %d", body[i], i)
	}
	return checkDigit(body), nil
}

// checkDigit is CheckDigit for a body already known to be digits.
func checkDigit(body string) byte {
	sum := 0
	w := 3
	for i := len(body) - 1; i >= 0; i-- {
		sum += int(body[i]-'0') * w
		w = 4 - w
	}
	return byte('0' + (10-sum%10)%10)
}

// nonDigit returns the index of the first byte of s that is not an ASCII
// digit, or -1.
func nonDigit(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return i
		}
	}
	return -1
}

// ValidateGTIN reports whether code is a GTIN-8, -12, -13 or -14 (8, 12,
// 13 or 14 digits) whose last digit is its valid check digit.
func ValidateGTIN(code string) error {
	switch len(code) {
	case 0:
		return newErr(code, ErrEmpty, "")
	case 8, 12, 13, 14:
	default:
		return newErr(code, ErrBadLength, "%d digits, want 8, 12, 13 or 14", len(code))
	}
	return validateCheck(code)
}

// validateCheck checks the digits and the last (check) digit of code.
func validateCheck(code string) error {
	if i := nonDigit(code); i >= 0 {
		return newErr(code, ErrNonDigit, "%q at %d", code[i], i)
	}
	n := len(code) - 1
	if want := checkDigit(code[:n]); code[n] != want {
		return newErr(code, ErrBadCheckDigit, "want %c", want)
	}
	return nil
}

// ExpandUPCE expands an 8-digit UPC-E code (number system 0 or 1, six
// digits d1..d6, check digit) to the 12-digit UPC-A it stands for, and
// validates the check digit against the expansion. By d6:
//
//	0-2: NS d1 d2 d6 0000 d3 d4 d5 C
//	3:   NS d1 d2 d3 00000 d4 d5 C
//	4:   NS d1 d2 d3 d4 00000 d5 C
//	5-9: NS d1 d2 d3 d4 d5 0000 d6 C
func ExpandUPCE(code string) (string, error) {
	if code == "" {
		return "", newErr(code, ErrEmpty, "")
	}
	if len(code) != 8 {
		return "", newErr(code, ErrBadLength, "%d digits, want 8", len(code))
	}
	if i := nonDigit(code); i >= 0 {
		return "", newErr(code, ErrNonDigit, "%q at %d", code[i], i)
	}
	a := expandUPCE(code)
	if a == "" {
		return "", newErr(code, ErrBadUPCE, "number system %c, want 0 or 1", code[0])
	}
	if want := checkDigit(a[:11]); a[11] != want {
		return "", newErr(code, ErrBadCheckDigit, "want %c", want)
	}
	return a, nil
}

// expandUPCE expands 8 digits without checking the check digit; it
// returns "" when the number system is not 0 or 1.
func expandUPCE(c string) string {
	if c[0] != '0' && c[0] != '1' {
		return ""
	}
	ns, d, chk := c[0:1], c[1:7], c[7:8]
	var mid string
	switch d[5] {
	case '0', '1', '2':
		mid = d[0:2] + d[5:6] + "0000" + d[2:5]
	case '3':
		mid = d[0:3] + "00000" + d[3:5]
	case '4':
		mid = d[0:4] + "00000" + d[4:5]
	default:
		mid = d[0:5] + "0000" + d[5:6]
	}
	return ns + mid + chk
}

// ToGTIN14 validates a GTIN-8, -12, -13 or -14 and returns it left-padded
// with zeros to 14 digits, the form catalogues are keyed by.
func ToGTIN14(code string) (string, error) {
	if err := ValidateGTIN(code); err != nil {
		return "", err
	}
	return pad14(code), nil
}

func pad14(code string) string {
	if len(code) >= 14 {
		return code
	}
	return strings.Repeat("0", 14-len(code)) + code
}
