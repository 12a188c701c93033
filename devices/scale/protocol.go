package scale

import (
	"fmt"
	"strings"

	"github.com/sco-project/sco/devices"
)

// Protocol is one scale protocol: the bytes to send, how replies are
// framed, and how they are decoded. Implementations are pure.
type Protocol interface {
	// String names the protocol: "nci", "toledo" or "sics".
	String() string
	// WeightCmd is the poll command.
	WeightCmd() []byte
	// ZeroCmd is the zero command.
	ZeroCmd() []byte
	// ZeroReplies says whether the scale answers ZeroCmd.
	ZeroReplies() bool
	// Split finds the first complete reply in buf: it returns the reply
	// and how many bytes of buf it used, or n == 0 when more bytes are
	// needed.
	Split(buf []byte) (reply []byte, n int)
	// Parse decodes a reply to WeightCmd. A reply that is not a valid
	// answer returns an error (and a NotReady reading), never a weight.
	// At is left zero.
	Parse(reply []byte) (devices.Reading, error)
	// ParseZero decodes a reply to ZeroCmd: nil when the scale zeroed.
	ParseZero(reply []byte) error
}

// New returns the protocol named name ("nci", "toledo" or "sics"). unit
// is what a Toledo 8217 sends its weights in (its replies carry no unit);
// the other protocols name their unit in each reply.
func New(name string, unit Unit) (Protocol, error) {
	switch strings.ToLower(name) {
	case "", "nci":
		return NCI{}, nil
	case "toledo", "8217":
		return Toledo{Unit: unit}, nil
	case "sics", "mt-sics":
		return SICS{}, nil
	}
	return nil, fmt.Errorf("scale: unknown protocol %q, want nci, toledo or sics", name)
}

// ParseError is a reply that does not decode.
type ParseError struct {
	Protocol string
	Reply    string
	Reason   string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("scale: %s: %s in reply %q", e.Protocol, e.Reason, e.Reply)
}

// garbled returns a NotReady reading and the error for a bad reply.
func garbled(proto string, reply []byte, reason string) (devices.Reading, error) {
	return devices.Reading{Status: devices.StatusNotReady, Detail: "garbled reply"},
		&ParseError{Protocol: proto, Reply: string(reply), Reason: reason}
}

// weighed is the reading for a settled weight: zero or stable.
func weighed(g int) devices.Reading {
	switch {
	case g == 0:
		return devices.Reading{Status: devices.StatusZero}
	case g < 0:
		return devices.Reading{Grams: g, Status: devices.StatusUnderZero}
	}
	return devices.Reading{Grams: g, Status: devices.StatusStable}
}

// joinDetail appends a fault name to a detail list.
func joinDetail(d, s string) string {
	if d == "" {
		return s
	}
	return d + ", " + s
}

// trimCRLF drops CR and LF at both ends.
func trimCRLF(b []byte) []byte {
	for len(b) > 0 && (b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == '\r' || b[len(b)-1] == '\n') {
		b = b[:len(b)-1]
	}
	return b
}
