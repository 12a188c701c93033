package devicestest

import (
	"errors"
	"sync"
	"time"

	"github.com/sco-project/sco/devices"
)

// ErrClosed is returned by a fake used after Close.
var ErrClosed = errors.New("devicestest: closed")

// conn is the connection-event half shared by the serial fakes.
type conn struct {
	name string
	now  func() time.Time
	c    chan devices.ConnEvent
}

func newConn(name string, now func() time.Time) conn {
	if now == nil {
		now = time.Now
	}
	return conn{name: name, now: now, c: make(chan devices.ConnEvent, 64)}
}

// Lost reports the device's port lost.
func (c conn) Lost(err error) {
	if err == nil {
		err = errors.New("devicestest: unplugged")
	}
	c.c <- devices.ConnEvent{Device: c.name, Up: false, Err: err, At: c.now()}
}

// Restored reports the device's port back.
func (c conn) Restored() { c.c <- devices.ConnEvent{Device: c.name, Up: true, At: c.now()} }

// Conn implements the devices interfaces.
func (c conn) Conn() <-chan devices.ConnEvent { return c.c }

// Scanner is a channel-fed devices.Scanner.
type Scanner struct {
	conn
	scans chan devices.Scan

	mu      sync.Mutex
	enabled bool
	closed  bool
	// SetEnabledErr, when set, is what SetEnabled returns.
	SetEnabledErr error
}

var _ devices.Scanner = (*Scanner)(nil)

// NewScanner returns an enabled fake scanner; now stamps scans and events
// (nil: time.Now).
func NewScanner(now func() time.Time) *Scanner {
	return &Scanner{conn: newConn("scanner", now), scans: make(chan devices.Scan, 64), enabled: true}
}

// Scan delivers one scan, as the driver would after a complete frame.
func (s *Scanner) Scan(data, aim string) {
	s.scans <- devices.Scan{Data: data, AIM: aim, At: s.now()}
}

// Enabled reports the last SetEnabled.
func (s *Scanner) Enabled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.enabled
}

func (s *Scanner) Scans() <-chan devices.Scan { return s.scans }

func (s *Scanner) SetEnabled(on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.SetEnabledErr != nil {
		return s.SetEnabledErr
	}
	s.enabled = on
	return nil
}

// Close closes Scans and Conn. Safe to call twice; do not call Scan,
// Lost or Restored after it.
func (s *Scanner) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.scans)
		close(s.c)
	}
	return nil
}

// Scale is a channel-fed devices.Scale.
type Scale struct {
	conn
	readings chan devices.Reading

	mu     sync.Mutex
	zeroes int
	closed bool
	// ZeroErr, when set, is what Zero returns.
	ZeroErr error
}

var _ devices.Scale = (*Scale)(nil)

// NewScale returns a fake scale; now stamps readings (nil: time.Now).
func NewScale(now func() time.Time) *Scale {
	return &Scale{conn: newConn("scale", now), readings: make(chan devices.Reading, 256)}
}

// Put delivers r (At filled in when zero).
func (s *Scale) Put(r devices.Reading) {
	if r.At.IsZero() {
		r.At = s.now()
	}
	s.readings <- r
}

// Weigh delivers a settled reading of g grams (StatusZero for 0).
func (s *Scale) Weigh(g int) {
	st := devices.StatusStable
	if g == 0 {
		st = devices.StatusZero
	}
	s.Put(devices.Reading{Grams: g, Status: st})
}

// Moving delivers an unstable reading.
func (s *Scale) Moving(g int) { s.Put(devices.Reading{Grams: g, Status: devices.StatusUnstable}) }

// Zeroes counts Zero calls.
func (s *Scale) Zeroes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.zeroes
}

func (s *Scale) Readings() <-chan devices.Reading { return s.readings }

func (s *Scale) Zero() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.zeroes++
	return s.ZeroErr
}

// Close closes Readings and Conn. Safe to call twice.
func (s *Scale) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.readings)
		close(s.c)
	}
	return nil
}

// Light records the patterns it is set to.
type Light struct {
	mu      sync.Mutex
	history []devices.LightPattern
	changes chan devices.LightPattern
	closed  bool
}

var _ devices.Light = (*Light)(nil)

// NewLight returns a fake light, off.
func NewLight() *Light { return &Light{changes: make(chan devices.LightPattern, 256)} }

// Set records p; every call is also sent on Changes.
func (l *Light) Set(p devices.LightPattern) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.history = append(l.history, p)
	select {
	case l.changes <- p:
	default:
	}
	return nil
}

// Pattern is the last pattern set (LightOff before any).
func (l *Light) Pattern() devices.LightPattern {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.history) == 0 {
		return devices.LightOff
	}
	return l.history[len(l.history)-1]
}

// History is every pattern set, oldest first.
func (l *Light) History() []devices.LightPattern {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]devices.LightPattern(nil), l.history...)
}

// Changes delivers each Set (up to 256 unread).
func (l *Light) Changes() <-chan devices.LightPattern { return l.changes }

// Close is safe to call twice.
func (l *Light) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	return nil
}

// Button is a help button the test presses.
type Button struct {
	presses chan time.Time
	once    sync.Once
}

var _ devices.Button = (*Button)(nil)

// NewButton returns a fake button.
func NewButton() *Button { return &Button{presses: make(chan time.Time, 64)} }

// Press delivers one debounced press at at.
func (b *Button) Press(at time.Time) { b.presses <- at }

func (b *Button) Presses() <-chan time.Time { return b.presses }

// Close closes Presses. Safe to call twice; do not Press after it.
func (b *Button) Close() error {
	b.once.Do(func() { close(b.presses) })
	return nil
}
