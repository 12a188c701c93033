package barcode

import "fmt"

// ErrReason says what is wrong with a code.
type ErrReason uint8

// Reasons carried by *Error.
const (
	ErrEmpty         ErrReason = iota + 1 // no data at all
	ErrNonDigit                           // a character that must be a digit is not
	ErrBadLength                          // the length fits no known code
	ErrBadCheckDigit                      // the check digit does not match
	ErrBadUPCE                            // not a valid UPC-E (number system, or expansion)
	ErrUnknownAI                          // a GS1 application identifier this package does not know
	ErrTruncated                          // a GS1 element ends before its fixed length
	ErrTooLong                            // a GS1 variable-length element exceeds its maximum
	ErrBadDate                            // AI 17 is not a valid YYMMDD
	ErrNoGTIN                             // a GS1 element string without AI 01
	ErrUnsupported                        // a symbology that carries no retail item code
	ErrBadVerifier                        // a variable-measure price/weight verifier digit does not match
	ErrBadLayout                          // a Layout that does not add up
)

var reasonText = [...]string{
	ErrEmpty:         "empty",
	ErrNonDigit:      "non-digit character",
	ErrBadLength:     "bad length",
	ErrBadCheckDigit: "bad check digit",
	ErrBadUPCE:       "bad UPC-E",
	ErrUnknownAI:     "unknown application identifier",
	ErrTruncated:     "truncated element",
	ErrTooLong:       "element too long",
	ErrBadDate:       "bad date",
	ErrNoGTIN:        "no GTIN (AI 01)",
	ErrUnsupported:   "unsupported symbology",
	ErrBadVerifier:   "bad price/weight verifier digit",
	ErrBadLayout:     "bad layout",
}

func (r ErrReason) String() string {
	if int(r) < len(reasonText) && reasonText[r] != "" {
		return reasonText[r]
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// Error is the error every function in this package returns for bad
// input. Use errors.As to get at Reason.
type Error struct {
	// Input is the code (or element) at fault.
	Input string
	// Reason is what is wrong with it.
	Reason ErrReason
	// Detail adds specifics, e.g. "want 2" for a bad check digit; it may
	// be empty.
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("barcode: %q: %s", e.Input, e.Reason)
	}
	return fmt.Sprintf("barcode: %q: %s, %s", e.Input, e.Reason, e.Detail)
}

func newErr(in string, r ErrReason, format string, a ...any) *Error {
	e := &Error{Input: in, Reason: r}
	if format != "" {
		e.Detail = fmt.Sprintf(format, a...)
	}
	return e
}
