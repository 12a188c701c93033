package scanner

import (
	"errors"
	"fmt"
)

// MaxFrame is the longest frame accepted, in bytes, prefix and AIM
// identifier included. Longer frames are dropped.
const MaxFrame = 256

const (
	stx = 0x02
	etx = 0x03
	gs  = 0x1d
	cr  = '\r'
	lf  = '\n'
)

// Reasons a frame is dropped; Frame.Err wraps one of them.
var (
	ErrTooLong   = fmt.Errorf("scanner: frame over %d bytes", MaxFrame)
	ErrNoise     = errors.New("scanner: non-printable bytes (line noise or wrong baud?)")
	ErrUnended   = errors.New("scanner: frame cut off by STX")
	ErrBadLRC    = errors.New("scanner: bad LRC")
	ErrEmptyBody = errors.New("scanner: prefix or AIM identifier without data")
	ErrBadSSI    = errors.New("scanner: bad SSI packet checksum")
	ErrCutOff    = errors.New("scanner: frame cut off: the line went quiet before its end")
)

// Kind says what a Frame is.
type Kind uint8

// Frame kinds.
const (
	KindScan Kind = iota // a barcode (or, with Err set, a dropped frame)
	KindAck              // a Zebra SSI CMD_ACK from the scanner
	KindNak              // a Zebra SSI CMD_NAK from the scanner
)

// Frame is one complete frame from the scanner.
type Frame struct {
	Kind Kind
	// Data is the barcode content without prefix, AIM identifier and
	// terminator. GS (0x1D) separators are kept.
	Data string
	// AIM is the AIM symbology identifier ("]E0"), or "".
	AIM string
	// Err is set when the frame was dropped; Raw then holds (up to
	// MaxFrame of) its bytes for the log.
	Err error
	Raw []byte
}

// Framer splits a scanner's byte stream into frames. Frames end in CR,
// LF or CRLF (empty lines are skipped), or come as STX data ETX [LRC];
// reads may split or join frames. Frames over MaxFrame bytes and frames
// with non-printable bytes (other than GS) are returned with Err set,
// and the Framer carries on with the next frame. The zero value frames
// CR/LF and STX/ETX without LRC, with no prefix.
type Framer struct {
	// Prefix is stripped from the front of each frame when present.
	Prefix string
	// LRC says a longitudinal redundancy check byte (XOR of the bytes
	// after STX up to and including ETX) follows ETX.
	LRC bool
	// SSI skips Zebra SSI ACK/NAK packets (04 D0|D1 ...) between frames
	// and reports them as KindAck/KindNak.
	SSI bool

	buf      []byte
	state    state
	dropping bool // the current frame is too long: discard to its end
	lrc      byte
}

type state uint8

const (
	stLine state = iota // collecting a CR/LF-terminated line
	stSTX               // inside STX ... ETX
	stLRC               // after ETX, waiting for the LRC byte
	stSSI               // inside an SSI packet
)

// ssiLen is the length of an SSI ACK/NAK packet: Len(4) Op Src Status
// CkHi CkLo.
const ssiLen = 6

// Partial reports whether part of a frame has been received: bytes of
// a line, an STX frame or an SSI packet, or a frame too long being
// skipped.
func (f *Framer) Partial() bool {
	return len(f.buf) > 0 || f.state != stLine || f.dropping
}

// Flush drops a partly received frame because the line went quiet (the
// driver's frame gap): it returns it as a dropped frame (Err ErrCutOff),
// or ok false when there was nothing to report (no partial frame, or one
// already reported as too long).
func (f *Framer) Flush() (fr Frame, ok bool) {
	defer f.Reset()
	if f.dropping || (len(f.buf) == 0 && f.state == stLine) {
		return Frame{}, false
	}
	return f.drop(ErrCutOff), true
}

// Reset drops a partly received frame, e.g. after the port was lost.
func (f *Framer) Reset() {
	f.buf = f.buf[:0]
	f.state = stLine
	f.dropping = false
}

// Feed consumes b and appends the frames it completes to dst.
func (f *Framer) Feed(dst []Frame, b []byte) []Frame {
	if f.buf == nil {
		f.buf = make([]byte, 0, MaxFrame)
	}
	for _, c := range b {
		switch f.state {
		case stLine:
			switch {
			case c == cr || c == lf:
				dst = f.end(dst)
			case c == stx:
				if len(f.buf) > 0 && !f.dropping {
					dst = append(dst, f.drop(ErrUnended))
				}
				f.Reset()
				f.state = stSTX
				f.lrc = 0
			case f.SSI && c == 0x04 && len(f.buf) == 0 && !f.dropping:
				f.state = stSSI
				f.buf = append(f.buf, c)
			default:
				f.add(c, &dst)
			}
		case stSTX:
			switch c {
			case etx:
				f.lrc ^= c
				if f.LRC {
					f.state = stLRC
				} else {
					dst = f.end(dst)
				}
			case stx:
				if !f.dropping {
					dst = append(dst, f.drop(ErrUnended))
				}
				f.Reset()
				f.state = stSTX
				f.lrc = 0
			default:
				f.lrc ^= c
				f.add(c, &dst)
			}
		case stLRC:
			if c != f.lrc && !f.dropping {
				dst = append(dst, f.drop(fmt.Errorf("%w: got %#02x, want %#02x", ErrBadLRC, c, f.lrc)))
				f.Reset()
				continue
			}
			dst = f.end(dst)
		case stSSI:
			f.buf = append(f.buf, c)
			if len(f.buf) == 2 && c != 0xd0 && c != 0xd1 {
				// Not an ACK/NAK: treat what we have as a line.
				f.state = stLine
				if c == cr || c == lf || c == stx {
					f.buf = f.buf[:1]
					dst = f.Feed(dst, []byte{c})
				}
				continue
			}
			if len(f.buf) == ssiLen {
				dst = append(dst, f.ssi())
				f.Reset()
			}
		}
	}
	return dst
}

// add appends c to the frame, dropping the frame once it is too long.
func (f *Framer) add(c byte, dst *[]Frame) {
	if f.dropping {
		return
	}
	if len(f.buf) == MaxFrame {
		*dst = append(*dst, f.drop(ErrTooLong))
		f.buf = f.buf[:0]
		f.dropping = true
		return
	}
	f.buf = append(f.buf, c)
}

// drop returns a dropped frame holding the current bytes.
func (f *Framer) drop(err error) Frame {
	return Frame{Err: err, Raw: append([]byte(nil), f.buf...)}
}

// end completes the current frame (if any) and appends it to dst.
func (f *Framer) end(dst []Frame) []Frame {
	defer f.Reset()
	if f.dropping || len(f.buf) == 0 {
		return dst
	}
	return append(dst, parseFrame(f.buf, f.Prefix))
}

// parseFrame checks a frame's bytes and splits off prefix and AIM id.
func parseFrame(b []byte, prefix string) Frame {
	for _, c := range b {
		if (c < 0x20 && c != gs) || c > 0x7e {
			return Frame{Err: ErrNoise, Raw: append([]byte(nil), b...)}
		}
	}
	s := string(b)
	if prefix != "" && len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		s = s[len(prefix):]
	}
	var aim string
	if len(s) >= 3 && s[0] == ']' && isAlpha(s[1]) && isAlnum(s[2]) {
		aim, s = s[:3], s[3:]
	}
	if s == "" {
		return Frame{Err: ErrEmptyBody, Raw: append([]byte(nil), b...)}
	}
	return Frame{Data: s, AIM: aim}
}

func (f *Framer) ssi() Frame {
	b := f.buf
	sum := 0
	for _, c := range b[:4] {
		sum += int(c)
	}
	want := (0x10000 - sum) & 0xffff
	if int(b[4])<<8|int(b[5]) != want {
		return Frame{Err: ErrBadSSI, Raw: append([]byte(nil), b...)}
	}
	if b[1] == 0xd0 {
		return Frame{Kind: KindAck}
	}
	return Frame{Kind: KindNak}
}

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isAlnum(c byte) bool { return isAlpha(c) || (c >= '0' && c <= '9') }

// String describes the frame for logs.
func (fr Frame) String() string {
	switch {
	case fr.Err != nil:
		return fmt.Sprintf("dropped %q: %v", fr.Raw, fr.Err)
	case fr.Kind == KindAck:
		return "ssi ack"
	case fr.Kind == KindNak:
		return "ssi nak"
	}
	return fmt.Sprintf("%s%q", fr.AIM, fr.Data)
}
