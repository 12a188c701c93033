package devices

import (
	"fmt"
	"time"
)

// Scan is one decoded barcode read.
type Scan struct {
	// Data is the barcode content with prefix, AIM identifier and suffix
	// removed. GS1 element strings keep their GS (0x1D) separators.
	Data string
	// AIM is the AIM symbology identifier the scanner sent (for example
	// "]E0" for EAN/UPC, "]C1" for GS1-128), or "" when it sent none.
	AIM string
	// At is when the frame was complete.
	At time.Time
}

// Status is what a scale says about a reading.
type Status uint8

// Scale statuses. The zero value is NotReady, so a Reading that was never
// filled in is never mistaken for a weight.
const (
	StatusNotReady     Status = iota // no reply, a garbled reply, or warming up
	StatusStable                     // a settled weight above zero
	StatusZero                       // settled at zero
	StatusUnstable                   // moving; Grams may carry the moving weight
	StatusOverCapacity               // above the scale's range
	StatusUnderZero                  // below zero / under capacity
	StatusFault                      // RAM/ROM/EEPROM/calibration error, cannot zero
)

var statusNames = [...]string{"not_ready", "stable", "zero", "unstable", "over_capacity", "under_zero", "fault"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Reading is one answer from a scale.
type Reading struct {
	// Grams is the weight in whole grams. It is meaningful only when
	// Stable() is true (and, as a hint, for StatusUnstable).
	Grams int
	// Status says whether Grams is a weight at all.
	Status Status
	// Detail names the fault or status bits for a fault, in words.
	Detail string
	// At is when the reply was received.
	At time.Time
}

// Stable reports whether the reading is a settled weight that may be
// counted (StatusStable or StatusZero).
func (r Reading) Stable() bool { return r.Status == StatusStable || r.Status == StatusZero }

func (r Reading) String() string {
	if r.Stable() || r.Status == StatusUnstable {
		return fmt.Sprintf("%dg %s", r.Grams, r.Status)
	}
	if r.Detail != "" {
		return r.Status.String() + " (" + r.Detail + ")"
	}
	return r.Status.String()
}

// ConnEvent reports that a device's port was lost or came back.
type ConnEvent struct {
	Device string // "scanner", "scale", or the port path
	Up     bool   // true: (re)connected; false: lost
	Err    error  // why it was lost, when Up is false
	At     time.Time
}

// Scanner is a barcode scanner.
type Scanner interface {
	// Scans delivers decoded scans. It is closed when the scanner is
	// closed.
	Scans() <-chan Scan
	// Conn delivers connection changes (lost, restored).
	Conn() <-chan ConnEvent
	// SetEnabled enables or disables scanning on models that support it;
	// on others it is a no-op that returns nil.
	SetEnabled(on bool) error
	// Close stops the reader and closes the port. Safe to call twice.
	Close() error
}

// Scale is a bagging-area or POS scale that the driver polls.
type Scale interface {
	// Readings delivers one reading per poll. It is closed when the scale
	// is closed.
	Readings() <-chan Reading
	// Conn delivers connection changes (lost, restored).
	Conn() <-chan ConnEvent
	// Zero asks the scale to zero itself.
	Zero() error
	// Close stops polling and closes the port. Safe to call twice.
	Close() error
}

// LightPattern names what the lane's tower light shows. The lane engine
// chooses a pattern from the lane state; the light driver maps it to
// outputs.
type LightPattern string

// Light patterns, from calm to urgent.
const (
	LightOff         LightPattern = "off"          // lane closed or powered down
	LightGreen       LightPattern = "green"        // open, free or shopping normally
	LightYellow      LightPattern = "yellow"       // prompting the shopper
	LightYellowFlash LightPattern = "yellow_flash" // waiting for an attendant
	LightRed         LightPattern = "red"          // out of service
	LightRedFlash    LightPattern = "red_flash"    // device fault / urgent
)

// Light is the lane's tower light.
type Light interface {
	Set(p LightPattern) error
	Close() error
}

// Button is the lane's help button.
type Button interface {
	// Presses delivers one value per debounced press.
	Presses() <-chan time.Time
	Close() error
}
