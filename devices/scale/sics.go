package scale

import (
	"bytes"

	"github.com/sco-project/sco/devices"
)

// SICS is Mettler Toledo MT-SICS (level 0/1). Commands end in CR LF. The
// driver polls with SI: "S S <weight> <unit>" stable, "S D ..." dynamic,
// "S I" busy, "S +" overload, "S -" underload; "ES", "ET", "EL" are
// syntax, transmission and logical errors. Fields are space padded.
type SICS struct{}

func (SICS) String() string    { return "sics" }
func (SICS) WeightCmd() []byte { return []byte("SI\r\n") }
func (SICS) ZeroCmd() []byte   { return []byte("Z\r\n") }
func (SICS) ZeroReplies() bool { return true }

// Split returns the first line (ending in LF).
func (SICS) Split(buf []byte) ([]byte, int) {
	i := bytes.IndexByte(buf, '\n')
	if i < 0 {
		return nil, 0
	}
	return buf[:i+1], i + 1
}

// sicsFields splits a line on runs of spaces without allocating; at most
// four fields are expected.
func sicsFields(b []byte) (f [5][]byte, n int) {
	for {
		for len(b) > 0 && b[0] == ' ' {
			b = b[1:]
		}
		if len(b) == 0 {
			return f, n
		}
		i := bytes.IndexByte(b, ' ')
		if i < 0 {
			i = len(b)
		}
		if n == len(f) {
			return f, n + 1
		}
		f[n] = b[:i]
		n++
		b = b[i:]
	}
}

// Parse decodes a reply to SI (or S).
func (SICS) Parse(reply []byte) (devices.Reading, error) {
	f, n := sicsFields(trimCRLF(reply))
	if n == 1 {
		switch string(f[0]) {
		case "ES":
			return garbled("sics", reply, "syntax error (ES)")
		case "ET":
			return garbled("sics", reply, "transmission error (ET)")
		case "EL":
			return garbled("sics", reply, "logical error (EL)")
		}
	}
	if n < 2 || string(f[0]) != "S" {
		return garbled("sics", reply, "not an S reply")
	}
	if len(f[1]) != 1 {
		return garbled("sics", reply, "bad status")
	}
	switch f[1][0] {
	case 'I':
		if n != 2 {
			return garbled("sics", reply, "extra fields")
		}
		return devices.Reading{Status: devices.StatusNotReady, Detail: "busy"}, nil
	case '+':
		if n != 2 {
			return garbled("sics", reply, "extra fields")
		}
		return devices.Reading{Status: devices.StatusOverCapacity}, nil
	case '-':
		if n != 2 {
			return garbled("sics", reply, "extra fields")
		}
		return devices.Reading{Status: devices.StatusUnderZero}, nil
	case 'S', 'D':
	default:
		return garbled("sics", reply, "bad status")
	}
	if n != 4 {
		return garbled("sics", reply, "want weight and unit")
	}
	u, ok := unitOf(f[3])
	if !ok {
		return garbled("sics", reply, "unknown unit")
	}
	g, err := parseMass(f[2], u)
	if err != nil {
		return garbled("sics", reply, err.Error())
	}
	if f[1][0] == 'D' {
		return devices.Reading{Grams: g, Status: devices.StatusUnstable}, nil
	}
	return weighed(g), nil
}

// ParseZero decodes the reply to Z: Z A done; Z I not executable (busy or
// not stable); Z + / Z - out of the zero range.
func (SICS) ParseZero(reply []byte) error {
	f, n := sicsFields(trimCRLF(reply))
	if n == 2 && string(f[0]) == "Z" {
		switch string(f[1]) {
		case "A":
			return nil
		case "I":
			return &ZeroError{Protocol: "sics", Reason: "zero not executable (Z I)"}
		case "+":
			return &ZeroError{Protocol: "sics", Reason: "above zero range (Z +)"}
		case "-":
			return &ZeroError{Protocol: "sics", Reason: "below zero range (Z -)"}
		}
	}
	return &ParseError{Protocol: "sics", Reply: string(reply), Reason: "not a Z reply"}
}
