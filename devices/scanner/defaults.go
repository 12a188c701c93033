package scanner

import (
	"slices"

	"github.com/sco-project/sco/devices/serialport"
)

// DefaultModel is the model an Opts without one is: no host commands.
const DefaultModel = "generic"

// ModelNames lists the keys of Models: the default first, then the others
// in alphabetical order.
func ModelNames() []string {
	names := []string{DefaultModel}
	for name := range Models {
		if name != DefaultModel {
			names = append(names, name)
		}
	}
	slices.Sort(names[1:])
	return names
}

// DefaultLine is the serial line setting scanners ship with (the Baud,
// DataBits, Parity and StopBits of a serialport.Opts): 9600 8N1.
func DefaultLine() serialport.Opts {
	return serialport.Opts{Baud: 9600, DataBits: 8, Parity: "none", StopBits: 1}
}
