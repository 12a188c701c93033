package vdev

import (
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Suffix is how a scanner ends (or frames) each scan.
type Suffix string

// Suffixes a scanner can be configured with.
const (
	SuffixCR     Suffix = "cr"      // data CR (the usual factory default)
	SuffixLF     Suffix = "lf"      // data LF
	SuffixCRLF   Suffix = "crlf"    // data CR LF
	SuffixSTXETX Suffix = "stx_etx" // STX data ETX
	SuffixNone   Suffix = "none"    // nothing: frames are told apart by timing only
)

// ParseSuffix parses a suffix name; "" means SuffixCR.
func ParseSuffix(s string) (Suffix, error) {
	switch x := Suffix(strings.ToLower(s)); x {
	case "":
		return SuffixCR, nil
	case SuffixCR, SuffixLF, SuffixCRLF, SuffixSTXETX, SuffixNone:
		return x, nil
	}
	return "", fmt.Errorf("vdev: unknown scanner suffix %q (want cr, lf, crlf, stx_etx or none)", s)
}

// ScannerOpts configures a VirtualScanner. The zero value is a scanner
// that ends scans with CR, sends no AIM identifiers, and lives at
// scanner in a fresh temporary directory.
type ScannerOpts struct {
	// Dir is the directory that holds the device link; "" means a fresh
	// temporary directory, removed on Close.
	Dir string
	// Name is the link's file name; "" means "scanner".
	Name string
	// Suffix frames each scan; "" means SuffixCR.
	Suffix Suffix
	// AIM sends the AIM symbology identifier before the data.
	AIM bool
	// Prefix is sent before everything else (some scanners are set up
	// with a fixed prefix); "" means none.
	Prefix string
	// Model picks the host commands the scanner obeys: "" or "datalogic"
	// (single characters E enable, D disable), "honeywell" (SYN T CR
	// starts, SYN U CR stops scanning), "zebra" (SSI SCAN_ENABLE and
	// SCAN_DISABLE packets, each answered with CMD_ACK), or "none".
	Model string
	// OnCommand, when set, is called with every byte sequence the host
	// sends (enable/disable commands), from the device's reader.
	OnCommand func([]byte)
}

// VirtualScanner is a barcode scanner on a pseudo-terminal.
type VirtualScanner struct {
	*port
	opts ScannerOpts

	mu       sync.Mutex
	disabled bool
	cmdBuf   []byte
}

// hostCommand is a byte sequence a scanner model obeys.
type hostCommand struct {
	seq    string
	enable bool
	reply  string
}

// scannerModels are the host commands of each model, from
// shared/reference/devices.md.
var scannerModels = map[string][]hostCommand{
	"datalogic": {{seq: "E", enable: true}, {seq: "D"}},
	"honeywell": {{seq: "\x16T\r", enable: true}, {seq: "\x16U\r"}},
	"zebra": {
		{seq: "\x04\xe9\x04\x00\xff\x0f", enable: true, reply: ssiAck},
		{seq: "\x04\xea\x04\x00\xff\x0e", reply: ssiAck},
	},
	"none": nil,
}

// ssiAck is the Zebra SSI CMD_ACK packet.
const ssiAck = "\x04\xd0\x04\x00\xff\x28"

// ErrDisabled is returned by Scan while the host has disabled scanning.
var ErrDisabled = errors.New("vdev: scanner disabled by the host")

// NewScanner plugs in a virtual scanner.
func NewScanner(o ScannerOpts) (*VirtualScanner, error) {
	suffix, err := ParseSuffix(string(o.Suffix))
	if err != nil {
		return nil, err
	}
	if o.Model == "" {
		o.Model = "datalogic"
	}
	if _, ok := scannerModels[o.Model]; !ok {
		return nil, fmt.Errorf("vdev: unknown scanner model %q (want datalogic, honeywell, zebra or none)", o.Model)
	}
	o.Suffix = suffix
	s := &VirtualScanner{opts: o}
	s.port, err = newPort("scanner", o.Dir, o.Name, s.onData)
	if err != nil {
		return nil, err
	}
	if err := s.plugIn(); err != nil {
		return nil, err
	}
	return s, nil
}

// Frame builds the bytes a scanner configured like o sends for one scan.
// aim is the AIM identifier ("]E0"); when o.AIM is set and aim is "",
// AIMFor(data) is used. It is pure, so tests can compare with what a
// driver parses.
func Frame(o ScannerOpts, data, aim string) []byte {
	var b strings.Builder
	b.WriteString(o.Prefix)
	if o.Suffix == SuffixSTXETX {
		b.WriteByte(0x02)
	}
	if o.AIM {
		if aim == "" {
			aim = AIMFor(data)
		}
		b.WriteString(aim)
	}
	b.WriteString(data)
	switch o.Suffix {
	case SuffixCR, "":
		b.WriteString("\r")
	case SuffixLF:
		b.WriteString("\n")
	case SuffixCRLF:
		b.WriteString("\r\n")
	case SuffixSTXETX:
		b.WriteByte(0x03)
	}
	return []byte(b.String())
}

// AIMFor guesses the AIM identifier a scanner would send for data: "]E4"
// for 8 digits, "]E0" for 12 or 13 digits (UPC-A, EAN-13), "]C1" for a
// GS1 element string (it contains GS), "]C0" (Code 128) otherwise.
func AIMFor(data string) string {
	digits := data != "" && strings.Trim(data, "0123456789") == ""
	switch {
	case digits && len(data) == 8:
		return "]E4"
	case digits && (len(data) == 12 || len(data) == 13):
		return "]E0"
	case strings.ContainsRune(data, 0x1d):
		return "]C1"
	}
	return "]C0"
}

// Scan sends one scan of data with AIM identifier aim (ignored when AIM
// ids are off; "" lets AIMFor choose). The whole frame goes out in one
// write.
func (s *VirtualScanner) Scan(data, aim string) error {
	s.mu.Lock()
	disabled := s.disabled
	s.mu.Unlock()
	if disabled {
		return ErrDisabled
	}
	return s.write(Frame(s.opts, data, aim))
}

// ScanSplit sends one scan in two writes split at byte n, as a slow USB
// adapter may deliver it, so drivers are tested on partial reads.
func (s *VirtualScanner) ScanSplit(data, aim string, n int) error {
	f := Frame(s.opts, data, aim)
	if n < 0 || n > len(f) {
		return fmt.Errorf("vdev: split at %d outside the %d-byte frame", n, len(f))
	}
	if err := s.write(f[:n]); err != nil {
		return err
	}
	return s.write(f[n:])
}

// Enabled reports whether the host left scanning enabled.
func (s *VirtualScanner) Enabled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.disabled
}

// onData handles what the host sends: the model's enable and disable
// commands switch scanning (and are acknowledged where the model does);
// everything is passed to OnCommand.
func (s *VirtualScanner) onData(b []byte) {
	var replies []string
	s.mu.Lock()
	s.cmdBuf = append(s.cmdBuf, b...)
	for {
		at, cmd := -1, hostCommand{}
		for _, c := range scannerModels[s.opts.Model] {
			if i := strings.Index(string(s.cmdBuf), c.seq); i >= 0 && (at < 0 || i < at) {
				at, cmd = i, c
			}
		}
		if at < 0 {
			break
		}
		s.disabled = !cmd.enable
		if cmd.reply != "" {
			replies = append(replies, cmd.reply)
		}
		s.cmdBuf = s.cmdBuf[at+len(cmd.seq):]
	}
	if len(s.cmdBuf) > maxCommand {
		s.cmdBuf = s.cmdBuf[len(s.cmdBuf)-maxCommand:]
	}
	s.mu.Unlock()
	for _, r := range replies {
		_ = s.write([]byte(r))
	}
	if s.opts.OnCommand != nil {
		s.opts.OnCommand(append([]byte(nil), b...))
	}
}
