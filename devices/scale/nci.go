package scale

import (
	"bytes"

	"github.com/sco-project/sco/devices"
)

// NCI is the NCI Standard Scale Protocol. Commands end in CR. The reply
// to W is LF weight units CR LF S status CR ETX when the weight is stable
// and valid, else LF S status CR ETX; an unknown command gets LF ? CR
// ETX.
type NCI struct{}

func (NCI) String() string    { return "nci" }
func (NCI) WeightCmd() []byte { return []byte("W\r") }
func (NCI) ZeroCmd() []byte   { return []byte("Z\r") }
func (NCI) ZeroReplies() bool { return true }
func (NCI) Split(buf []byte) ([]byte, int) {
	i := bytes.IndexByte(buf, 0x03)
	if i < 0 {
		return nil, 0
	}
	return buf[:i+1], i + 1
}

// NCI status bits. Bits 4 and 5 of every status byte are always set.
const (
	nciMotion    = 0x01 // byte 1
	nciAtZero    = 0x02 // byte 1
	nciRAM       = 0x04 // byte 1
	nciEEPROM    = 0x08 // byte 1
	nciUnder     = 0x01 // byte 2
	nciOver      = 0x02 // byte 2
	nciROM       = 0x04 // byte 2
	nciCal       = 0x08 // byte 2
	nciMore      = 0x40 // byte 2: a third byte follows
	nciZeroError = 0x08 // byte 3: initial zero error
)

// NCIStatus is a decoded NCI status (2 or 3 bytes after 'S').
type NCIStatus struct {
	Motion, AtZero, Under, Over bool
	// Fault names RAM, EEPROM, ROM, calibration and initial zero errors;
	// "" when there is none.
	Fault string
	Net   bool // byte 3 bit 2
	Range int  // byte 3 bits 0-1
}

// ParseNCIStatus decodes the bytes after 'S'. Each must have bits 4 and
// 5 set; byte 2 bit 6 says byte 3 follows.
func ParseNCIStatus(b []byte) (NCIStatus, bool) {
	if len(b) < 2 || len(b) > 3 {
		return NCIStatus{}, false
	}
	for _, c := range b {
		if c&0x30 != 0x30 || c&0x80 != 0 {
			return NCIStatus{}, false
		}
	}
	if (b[1]&nciMore != 0) != (len(b) == 3) {
		return NCIStatus{}, false
	}
	s := NCIStatus{
		Motion: b[0]&nciMotion != 0,
		AtZero: b[0]&nciAtZero != 0,
		Under:  b[1]&nciUnder != 0,
		Over:   b[1]&nciOver != 0,
	}
	if b[0]&nciRAM != 0 {
		s.Fault = joinDetail(s.Fault, "RAM error")
	}
	if b[0]&nciEEPROM != 0 {
		s.Fault = joinDetail(s.Fault, "EEPROM error")
	}
	if b[1]&nciROM != 0 {
		s.Fault = joinDetail(s.Fault, "ROM error")
	}
	if b[1]&nciCal != 0 {
		s.Fault = joinDetail(s.Fault, "faulty calibration")
	}
	if len(b) == 3 {
		s.Range = int(b[2] & 0x03)
		s.Net = b[2]&0x04 != 0
		if b[2]&nciZeroError != 0 {
			s.Fault = joinDetail(s.Fault, "initial zero error")
		}
	}
	return s, true
}

// nciFields splits an NCI reply (ETX already removed) into its
// CR/LF-separated fields without allocating: at most two are expected.
func nciFields(b []byte) (f [3][]byte, n int) {
	for len(b) > 0 {
		i := bytes.IndexAny(b, "\r\n")
		if i < 0 {
			i = len(b)
		}
		if i > 0 {
			if n == len(f) {
				return f, n + 1
			}
			f[n] = b[:i]
			n++
		}
		if i == len(b) {
			break
		}
		b = b[i+1:]
	}
	return f, n
}

// Parse decodes a reply to W.
func (p NCI) Parse(reply []byte) (devices.Reading, error) {
	body, ok := bytes.CutSuffix(reply, []byte{0x03})
	if !ok {
		return garbled("nci", reply, "no ETX")
	}
	f, n := nciFields(body)
	if n == 1 && len(f[0]) == 1 && f[0][0] == '?' {
		return garbled("nci", reply, "command not understood")
	}
	if n < 1 || n > 2 {
		return garbled("nci", reply, "want weight and status lines")
	}
	st := f[n-1]
	if len(st) < 3 || st[0] != 'S' {
		return garbled("nci", reply, "no status")
	}
	s, ok := ParseNCIStatus(st[1:])
	if !ok {
		return garbled("nci", reply, "bad status bytes")
	}
	if r, done := nciStatusReading(s); done {
		return r, nil
	}
	if n == 1 {
		if s.AtZero {
			return devices.Reading{Status: devices.StatusZero}, nil
		}
		return devices.Reading{Status: devices.StatusNotReady, Detail: "status without weight"}, nil
	}
	w := f[0]
	// The unit is the trailing letters.
	k := len(w)
	for k > 0 && (w[k-1]|0x20) >= 'a' && (w[k-1]|0x20) <= 'z' {
		k--
	}
	u, ok := unitOf(w[k:])
	if !ok {
		return garbled("nci", reply, "unknown unit")
	}
	g, err := parseMass(w[:k], u)
	if err != nil {
		return garbled("nci", reply, err.Error())
	}
	r := weighed(g)
	if s.AtZero && g == 0 {
		r.Status = devices.StatusZero
	}
	return r, nil
}

// nciStatusReading returns the reading a status alone decides: a fault,
// over/under capacity or motion, in that order of precedence.
func nciStatusReading(s NCIStatus) (devices.Reading, bool) {
	switch {
	case s.Fault != "":
		return devices.Reading{Status: devices.StatusFault, Detail: s.Fault}, true
	case s.Over:
		return devices.Reading{Status: devices.StatusOverCapacity}, true
	case s.Under:
		return devices.Reading{Status: devices.StatusUnderZero}, true
	case s.Motion:
		return devices.Reading{Status: devices.StatusUnstable}, true
	}
	return devices.Reading{}, false
}

// ParseZero decodes the status reply to Z: the scale ignores Z while
// moving or out of zero range, and says so in the status.
func (p NCI) ParseZero(reply []byte) error {
	r, err := p.Parse(reply)
	if err != nil {
		return err
	}
	switch r.Status {
	case devices.StatusFault, devices.StatusOverCapacity, devices.StatusUnderZero, devices.StatusUnstable:
		return &ZeroError{Protocol: "nci", Reason: "scale did not zero: " + r.String()}
	}
	return nil
}

// ZeroError says the scale refused or could not zero.
type ZeroError struct {
	Protocol string
	Reason   string
}

func (e *ZeroError) Error() string { return "scale: " + e.Protocol + ": " + e.Reason }
