package vdev

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// Protocol is the serial protocol a scale speaks.
type Protocol string

// Scale protocols.
const (
	NCI    Protocol = "nci"    // NCI Standard Scale Protocol (Magellan, Avery Weigh-Tronix, Brecknell, NCR)
	Toledo Protocol = "toledo" // Mettler Toledo 8217 (SASI)
	SICS   Protocol = "sics"   // Mettler Toledo MT-SICS
)

// ParseProtocol parses a protocol name; "" means NCI.
func ParseProtocol(s string) (Protocol, error) {
	switch p := Protocol(strings.ToLower(s)); p {
	case "":
		return NCI, nil
	case NCI, Toledo, SICS:
		return p, nil
	}
	return "", fmt.Errorf("vdev: unknown scale protocol %q (want nci, toledo or sics)", s)
}

// Units is what a scale reports weights in.
type Units string

// Units.
const (
	KG Units = "kg"
	LB Units = "lb"
)

// ParseUnits parses a unit name; "" means KG.
func ParseUnits(s string) (Units, error) {
	switch u := Units(strings.ToLower(s)); u {
	case "":
		return KG, nil
	case KG, LB:
		return u, nil
	}
	return "", fmt.Errorf("vdev: unknown scale units %q (want kg or lb)", s)
}

const gramsPerPound = 453.59237

// value converts grams to the unit's number.
func (u Units) value(grams int) float64 {
	if u == LB {
		return float64(grams) / gramsPerPound
	}
	return float64(grams) / 1000
}

// maxCommand is how many bytes a scale buffers without a terminator
// before it drops them, like the small receive buffer of a real one.
const maxCommand = 64

// SplitCommands cuts the bytes a host sent into complete commands, and
// returns what is left for the next read. NCI commands end in CR, MT-SICS
// commands in CR LF (a bare LF is accepted), and Toledo 8217 commands are
// single bytes (CR and LF between them are ignored). An over-long
// unterminated command is dropped.
func SplitCommands(p Protocol, buf []byte) (cmds []string, rest []byte) {
	if p == Toledo {
		for _, c := range buf {
			if c != '\r' && c != '\n' {
				cmds = append(cmds, string(c))
			}
		}
		return cmds, nil
	}
	term := byte('\r')
	if p == SICS {
		term = '\n'
	}
	for {
		i := bytes.IndexByte(buf, term)
		if i < 0 {
			break
		}
		cmd := strings.Trim(string(buf[:i]), "\r\n")
		buf = buf[i+1:]
		if cmd != "" {
			cmds = append(cmds, cmd)
		}
	}
	if len(buf) > maxCommand {
		buf = nil
	}
	return cmds, append([]byte(nil), buf...)
}

// ScaleModel is the pure part of a virtual scale: physics, faults and
// settings, and the answer to each command in each protocol. It is not
// safe for concurrent use; VirtualScale guards it.
type ScaleModel struct {
	Protocol Protocol
	Units    Units
	Phys     *Physics
	// OverCapacity forces the over-capacity status whatever the load.
	OverCapacity bool
	// CannotZero is a zero error: zero commands fail and weight requests
	// are answered with the zero-error status (NCI, Toledo) or S I
	// (MT-SICS).
	CannotZero bool
	// Serial is the serial number MT-SICS reports for @ and I4.
	Serial string
}

// Answer returns the bytes the scale sends in reply to cmd at now; nil
// means no reply (Toledo zero and tare commands, ignored bytes).
func (m *ScaleModel) Answer(cmd string, now time.Time) []byte {
	switch m.Protocol {
	case Toledo:
		return m.toledo(cmd, now)
	case SICS:
		return m.sics(cmd, now)
	default:
		return m.nci(cmd, now)
	}
}

// sample is the physics reading with the forced faults applied.
func (m *ScaleModel) sample(now time.Time) Sample {
	s := m.Phys.Read(now)
	if m.OverCapacity {
		s.Over, s.AtZero = true, false
	}
	return s
}

// NCI: W weight, S status, Z zero, H high resolution, U change units.

func (m *ScaleModel) nci(cmd string, now time.Time) []byte {
	switch cmd {
	case "W", "H":
		s := m.sample(now)
		if s.Motion || s.Over || s.Under || m.CannotZero {
			return m.nciStatus(s)
		}
		unit := strings.ToUpper(string(m.Units))
		w := fmt.Sprintf("%06.3f", m.Units.value(s.Net))
		if cmd == "H" { // one more digit; unverified against hardware
			w = fmt.Sprintf("%07.4f", m.Units.value(s.Net))
		}
		return append([]byte("\n"+w+unit+"\r"), m.nciStatus(s)...)
	case "S":
		return m.nciStatus(m.sample(now))
	case "Z":
		if !m.CannotZero {
			m.Phys.Zero(now) // ignored while moving or out of range
		}
		return m.nciStatus(m.sample(now))
	case "U":
		if m.Units == LB {
			m.Units = KG
		} else {
			m.Units = LB
		}
		return m.nciStatus(m.sample(now))
	}
	return []byte("\n?\r\x03")
}

// nciStatus is LF S h h [h] CR ETX. Bits 4 and 5 of every status byte are
// set; byte 2 bit 6 announces byte 3, which carries the zero error.
func (m *ScaleModel) nciStatus(s Sample) []byte {
	b1, b2 := byte(0x30), byte(0x30)
	if s.Motion {
		b1 |= 0x01
	}
	if s.AtZero && !m.CannotZero {
		b1 |= 0x02
	}
	if s.Under {
		b2 |= 0x01
	}
	if s.Over {
		b2 |= 0x02
	}
	out := []byte{'\n', 'S', b1, b2}
	if m.CannotZero {
		out[3] |= 0x40
		out = append(out, 0x30|0x08)
	}
	return append(out, '\r', 0x03)
}

// Toledo 8217: W weight, Z zero, T tare, C clear tare; single bytes.

func (m *ScaleModel) toledo(cmd string, now time.Time) []byte {
	switch cmd {
	case "W":
		s := m.sample(now)
		var st byte = 0x40
		if s.Motion {
			st |= 0x01
		}
		if s.Over {
			st |= 0x02
		}
		if s.Under {
			st |= 0x04
		}
		if m.CannotZero {
			st |= 0x08
		}
		if st != 0x40 {
			if s.AtZero {
				st |= 0x10
			}
			return []byte{0x02, '?', st, '\r'}
		}
		net := ""
		if s.Tared {
			net = "N"
		}
		return []byte(fmt.Sprintf("\x02%06.3f%s\r", m.Units.value(s.Net), net))
	case "Z":
		if !m.CannotZero {
			m.Phys.Zero(now)
		}
	case "T":
		if !m.CannotZero {
			m.Phys.Tare(now)
		}
	case "C":
		m.Phys.ClearTare()
	}
	return nil // the 8217 does not answer Z, T, C; other bytes are ignored
}

// MT-SICS: S, SI, Z, T, TAC, @, I4; everything else is a syntax error.

func (m *ScaleModel) sics(cmd string, now time.Time) []byte {
	line := func(format string, a ...any) []byte { return []byte(fmt.Sprintf(format, a...) + "\r\n") }
	weight := func(g int) string { return fmt.Sprintf("%9.3f %s", m.Units.value(g), m.Units) }
	switch cmd {
	case "S", "SI":
		s := m.sample(now)
		switch {
		case m.CannotZero, cmd == "S" && s.Motion:
			return line("S I")
		case s.Over:
			return line("S +")
		case s.Under:
			return line("S -")
		case s.Motion:
			return line("S D %s", weight(s.Net))
		}
		return line("S S %s", weight(s.Net))
	case "Z":
		if m.CannotZero {
			return line("Z I")
		}
		switch m.Phys.Zero(now) {
		case ZeroMoving:
			return line("Z I")
		case ZeroAboveRange:
			return line("Z +")
		case ZeroBelowRange:
			return line("Z -")
		}
		return line("Z A")
	case "T":
		s := m.sample(now)
		switch {
		case m.CannotZero || s.Motion:
			return line("T I")
		case s.Over:
			return line("T +")
		}
		g, ok := m.Phys.Tare(now)
		if !ok {
			return line("T -")
		}
		return line("T S %s", weight(g))
	case "TAC":
		m.Phys.ClearTare()
		return line("TAC A")
	case "@", "I4":
		return line("I4 A %q", m.Serial)
	}
	return line("ES")
}
