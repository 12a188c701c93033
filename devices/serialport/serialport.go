package serialport

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"go.bug.st/serial"
	"go.bug.st/serial/enumerator"
)

// Errors callers branch on.
var (
	// ErrClosed is returned by I/O on a Port after Close.
	ErrClosed = errors.New("serialport: port closed")
	// ErrLost is wrapped by the error Read and Write return when the port
	// was lost (hang-up, unplug) or is still being reopened.
	ErrLost = errors.New("port lost")
	// ErrTimeout is returned by ReadWithin when nothing arrived in time.
	ErrTimeout = errors.New("serialport: read timeout")
)

// DefaultReadTimeout bounds one OS read. It is long, so an idle lane's
// ports wake the CPU twice a second, not twenty times.
const DefaultReadTimeout = 500 * time.Millisecond

// Opts configures a Port. The zero value of each line setting is 9600 8N1.
type Opts struct {
	// Path is the device path (/dev/ttyUSB0, /dev/serial/by-id/...,
	// /dev/pts/N). Either Path or USB is required; Path wins when both
	// are set.
	Path string
	// USB finds the port by USB id, "VID:PID" or "VID:PID:SERIAL" (hex,
	// as lsusb prints them), on every open and reopen.
	USB string
	// Baud rate; 0 means 9600.
	Baud int
	// DataBits is 5..8; 0 means 8.
	DataBits int
	// Parity is "none" (or ""), "even", "odd", "mark" or "space".
	Parity string
	// StopBits is 1 or 2; 0 means 1.
	StopBits int
	// Name names the port in connection events and logs; "" means the
	// path (or "usb VID:PID").
	Name string
	// AllowAbsent makes Open succeed when the device cannot be opened
	// yet: the Port starts lost (a ConnEvent with Up false is queued) and
	// keeps trying. When false, Open returns the open error.
	AllowAbsent bool
	// ReadTimeout is the longest one OS read waits before the Port looks
	// again (Close interrupts a read at once, and a ReadWithin deadline
	// shortens the wait); 0 means DefaultReadTimeout. Callers never see
	// it: a read timeout is never data.
	ReadTimeout time.Duration
	// MinBackoff and MaxBackoff bound the delay between reopen attempts,
	// doubling from min to max; 0 means 100ms and 5s.
	MinBackoff, MaxBackoff time.Duration
	// Now stamps connection events; nil means time.Now.
	Now func() time.Time
	// Logger receives lost/restored/retry lines; nil discards them.
	Logger *slog.Logger
	// Record, when set, receives a transcript of the session (see
	// ParseTranscript): a real device session becomes a test fixture.
	Record io.Writer
}

// Mode returns the go.bug.st/serial mode for the line settings, or an
// error naming the bad setting.
func (o *Opts) Mode() (*serial.Mode, error) {
	m := &serial.Mode{BaudRate: o.Baud, DataBits: o.DataBits}
	if m.BaudRate == 0 {
		m.BaudRate = 9600
	}
	if m.BaudRate < 0 {
		return nil, fmt.Errorf("serialport: baud %d is not positive", o.Baud)
	}
	if m.DataBits == 0 {
		m.DataBits = 8
	}
	if m.DataBits < 5 || m.DataBits > 8 {
		return nil, fmt.Errorf("serialport: data bits %d, want 5..8", o.DataBits)
	}
	p, err := ParseParity(o.Parity)
	if err != nil {
		return nil, err
	}
	m.Parity = p
	switch o.StopBits {
	case 0, 1:
		m.StopBits = serial.OneStopBit
	case 2:
		m.StopBits = serial.TwoStopBits
	default:
		return nil, fmt.Errorf("serialport: stop bits %d, want 1 or 2", o.StopBits)
	}
	return m, nil
}

// CharTime is how long one character takes on the line: a start bit,
// the data bits, the parity bit (unless none) and the stop bits at the
// baud rate, with the zero values as Mode reads them (9600 8N1: about
// 1.04 ms). Drivers measure the gaps that end a reply or a frame in it.
func (o *Opts) CharTime() time.Duration {
	baud, data, stop := o.Baud, o.DataBits, o.StopBits
	if baud <= 0 {
		baud = 9600
	}
	if data == 0 {
		data = 8
	}
	if stop == 0 {
		stop = 1
	}
	bits := 1 + data + stop
	if p, err := ParseParity(o.Parity); err == nil && p != serial.NoParity {
		bits++
	}
	return time.Duration(bits) * time.Second / time.Duration(baud)
}

// ParseParity maps a config word to a serial.Parity.
func ParseParity(s string) (serial.Parity, error) {
	switch strings.ToLower(s) {
	case "", "none", "n":
		return serial.NoParity, nil
	case "even", "e":
		return serial.EvenParity, nil
	case "odd", "o":
		return serial.OddParity, nil
	case "mark", "m":
		return serial.MarkParity, nil
	case "space", "s":
		return serial.SpaceParity, nil
	}
	return 0, fmt.Errorf("serialport: parity %q, want none, even, odd, mark or space", s)
}

// USBID identifies a USB serial device.
type USBID struct {
	VID, PID string // 4 hex digits, lower case
	Serial   string // "" matches any
}

func (u USBID) String() string {
	if u.Serial == "" {
		return u.VID + ":" + u.PID
	}
	return u.VID + ":" + u.PID + ":" + u.Serial
}

// ParseUSB parses "VID:PID" or "VID:PID:SERIAL" (VID and PID in hex).
func ParseUSB(s string) (USBID, error) {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) < 2 {
		return USBID{}, fmt.Errorf("serialport: usb id %q, want VID:PID or VID:PID:SERIAL", s)
	}
	var id USBID
	for i, p := range parts[:2] {
		if len(p) == 0 || len(p) > 4 {
			return USBID{}, fmt.Errorf("serialport: usb id %q: %q is not a 4-digit hex id", s, p)
		}
		v, err := strconv.ParseUint(p, 16, 16)
		if err != nil {
			return USBID{}, fmt.Errorf("serialport: usb id %q: %q is not a 4-digit hex id", s, p)
		}
		h := fmt.Sprintf("%04x", v)
		if i == 0 {
			id.VID = h
		} else {
			id.PID = h
		}
	}
	if len(parts) == 3 {
		if parts[2] == "" {
			return USBID{}, fmt.Errorf("serialport: usb id %q: empty serial number", s)
		}
		id.Serial = parts[2]
	}
	return id, nil
}

// Match reports whether a port from the enumerator is this device.
func (u USBID) Match(d *enumerator.PortDetails) bool {
	return d.IsUSB && strings.EqualFold(d.VID, u.VID) && strings.EqualFold(d.PID, u.PID) &&
		(u.Serial == "" || d.SerialNumber == u.Serial)
}

// FindUSB returns the path of the first serial port that is the USB
// device id.
func FindUSB(id USBID) (string, error) {
	list, err := enumerator.GetDetailedPortsList()
	if err != nil {
		return "", fmt.Errorf("serialport: list ports: %w", err)
	}
	for _, d := range list {
		if id.Match(d) {
			return d.Name, nil
		}
	}
	return "", fmt.Errorf("serialport: no serial port with usb id %s", id)
}
