package scale

import (
	"bytes"

	"github.com/sco-project/sco/devices"
)

// Toledo is the Mettler Toledo 8217 protocol. Commands are single bytes
// with no terminator (W weight, Z zero). The reply to W is STX weight CR
// (an N before CR marks a net weight), or STX ? status CR when there is
// no valid weight. Replies carry no unit: Unit says what the scale is set
// to (the zero value is kg).
type Toledo struct {
	Unit Unit
}

func (Toledo) String() string    { return "toledo" }
func (Toledo) WeightCmd() []byte { return []byte("W") }
func (Toledo) ZeroCmd() []byte   { return []byte("Z") }

// ZeroReplies is false: the 8217 does not answer Z.
func (Toledo) ZeroReplies() bool { return false }

// Split returns the reply up to the first CR, starting at the last STX
// before it.
func (Toledo) Split(buf []byte) ([]byte, int) {
	i := bytes.IndexByte(buf, '\r')
	if i < 0 {
		return nil, 0
	}
	start := bytes.LastIndexByte(buf[:i], 0x02)
	if start < 0 {
		start = 0
	}
	return buf[start : i+1], i + 1
}

// Toledo 8217 status bits (sources disagree on the letters; the bits are
// decoded). Bit 6 is always set.
const (
	toledoMotion   = 0x01
	toledoOver     = 0x02
	toledoUnder    = 0x04
	toledoNoZero   = 0x08 // outside zero capture range
	toledoCentre   = 0x10 // centre of zero
	toledoAlwaysOn = 0x40
)

// Parse decodes a reply to W.
func (t Toledo) Parse(reply []byte) (devices.Reading, error) {
	if len(reply) < 3 || reply[0] != 0x02 || reply[len(reply)-1] != '\r' {
		return garbled("toledo", reply, "want STX ... CR")
	}
	body := reply[1 : len(reply)-1]
	if body[0] == '?' {
		if len(body) != 2 || body[1]&toledoAlwaysOn == 0 || body[1]&0x80 != 0 {
			return garbled("toledo", reply, "bad status byte")
		}
		return toledoStatus(body[1]), nil
	}
	body = bytes.TrimSuffix(body, []byte("N"))
	g, err := parseMass(body, t.Unit)
	if err != nil {
		return garbled("toledo", reply, err.Error())
	}
	return weighed(g), nil
}

// toledoStatus is the reading for a status-only reply.
func toledoStatus(st byte) devices.Reading {
	switch {
	case st&toledoNoZero != 0:
		return devices.Reading{Status: devices.StatusFault, Detail: "outside zero capture range"}
	case st&toledoOver != 0:
		return devices.Reading{Status: devices.StatusOverCapacity}
	case st&toledoUnder != 0:
		return devices.Reading{Status: devices.StatusUnderZero}
	case st&toledoMotion != 0:
		return devices.Reading{Status: devices.StatusUnstable}
	case st&toledoCentre != 0:
		return devices.Reading{Status: devices.StatusZero}
	}
	return devices.Reading{Status: devices.StatusNotReady, Detail: "status without cause"}
}

// ParseZero is never called for the 8217 (no reply); it accepts anything.
func (Toledo) ParseZero([]byte) error { return nil }
