package scale

import (
	"strings"

	"github.com/sco-project/sco/devices/serialport"
)

// DefaultProtocol is the protocol an Opts without one speaks.
const DefaultProtocol = "nci"

// Protocols lists the protocols New speaks, by their canonical names (New
// also takes the aliases "8217" and "mt-sics").
func Protocols() []string {
	return []string{NCI{}.String(), Toledo{}.String(), SICS{}.String()}
}

// Units lists the unit names ParseUnit takes, by their canonical names.
func Units() []string {
	return []string{Kilograms.String(), Pounds.String(), Grams.String(), Ounces.String()}
}

// DefaultLine is the serial line setting the scales of a protocol ship
// with (the Baud, DataBits, Parity and StopBits of a serialport.Opts):
// NCI and Toledo 8217 9600 7E1, MT-SICS 9600 8N1. An unknown name gets
// the NCI setting, as New would refuse it anyway.
func DefaultLine(protocol string) serialport.Opts {
	switch strings.ToLower(protocol) {
	case "sics", "mt-sics":
		return serialport.Opts{Baud: 9600, DataBits: 8, Parity: "none", StopBits: 1}
	}
	return serialport.Opts{Baud: 9600, DataBits: 7, Parity: "even", StopBits: 1}
}
