package serialport

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.bug.st/serial"

	"github.com/sco-project/sco/devices"
)

// connBuffer is how many connection events wait for a reader; when it is
// full the oldest is dropped, so the newest state always gets through.
const connBuffer = 16

// Port is a serial port that reopens itself after a hang-up. Read, Write
// and ReadWithin may be called from different goroutines; Read and
// ReadWithin must not be called concurrently with each other.
type Port struct {
	o    Opts
	mode *serial.Mode
	usb  USBID
	name string
	log  *slog.Logger
	rec  *recorder
	conn chan devices.ConnEvent
	stop chan struct{}
	wg   sync.WaitGroup

	mu      sync.Mutex
	cur     serial.Port   // nil while lost
	gen     uint64        // bumped on every successful open
	up      chan struct{} // closed when the port is (back) up
	closed  bool
	upAt    time.Time
	backoff time.Duration
}

// Open validates o and opens the port. See Opts.AllowAbsent for a device
// that is not there yet.
func Open(o Opts) (*Port, error) {
	mode, err := o.Mode()
	if err != nil {
		return nil, err
	}
	p := &Port{o: o, mode: mode, conn: make(chan devices.ConnEvent, connBuffer), stop: make(chan struct{})}
	switch {
	case o.Path != "":
		p.name = o.Path
	case o.USB != "":
		if p.usb, err = ParseUSB(o.USB); err != nil {
			return nil, err
		}
		p.name = "usb " + p.usb.String()
	default:
		return nil, errors.New("serialport: no path and no usb id")
	}
	if o.Name != "" {
		p.name = o.Name
	}
	if p.o.ReadTimeout <= 0 {
		p.o.ReadTimeout = DefaultReadTimeout
	}
	if p.o.MinBackoff <= 0 {
		p.o.MinBackoff = 100 * time.Millisecond
	}
	if p.o.MaxBackoff <= 0 {
		p.o.MaxBackoff = 5 * time.Second
	}
	if p.o.MaxBackoff < p.o.MinBackoff {
		p.o.MaxBackoff = p.o.MinBackoff
	}
	if p.o.Now == nil {
		p.o.Now = time.Now
	}
	p.log = o.Logger
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.log = p.log.With("port", p.name)
	p.backoff = p.o.MinBackoff
	p.up = make(chan struct{})
	p.rec = newRecorder(o.Record)

	sp, err := p.openOnce()
	if err != nil {
		if !o.AllowAbsent {
			return nil, err
		}
		p.log.Warn("serial port absent, will keep trying", "err", err)
		p.mu.Lock()
		p.lostLocked(err)
		p.mu.Unlock()
		return p, nil
	}
	p.cur, p.gen, p.upAt = sp, 1, p.o.Now()
	close(p.up)
	return p, nil
}

// String returns the port's name.
func (p *Port) String() string { return p.name }

// Conn delivers lost/restored events. It is closed by Close.
func (p *Port) Conn() <-chan devices.ConnEvent { return p.conn }

// Up reports whether the port is open right now.
func (p *Port) Up() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur != nil
}

// path resolves where to open.
func (p *Port) path() (string, error) {
	if p.o.Path != "" {
		return p.o.Path, nil
	}
	return FindUSB(p.usb)
}

func (p *Port) openOnce() (serial.Port, error) {
	path, err := p.path()
	if err != nil {
		return nil, err
	}
	sp, err := serial.Open(path, p.mode)
	if err != nil {
		return nil, fmt.Errorf("serialport: open %s: %w", path, err)
	}
	if err := sp.SetReadTimeout(p.o.ReadTimeout); err != nil {
		sp.Close()
		return nil, fmt.Errorf("serialport: %s: set read timeout: %w", path, err)
	}
	return sp, nil
}

// current returns the open port and its generation, or nil and the
// channel that is closed when it comes back.
func (p *Port) current() (serial.Port, uint64, <-chan struct{}, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, 0, nil, ErrClosed
	}
	return p.cur, p.gen, p.up, nil
}

// Read reads at least one byte. It blocks while the port is lost and
// until data arrives; it returns an error wrapping ErrLost once when the
// port is lost (so a half-received frame can be dropped), and ErrClosed
// after Close.
func (p *Port) Read(b []byte) (int, error) {
	return p.read(b, time.Time{}, nil)
}

// ReadWithin is Read with a deadline d from now: it returns ErrTimeout when
// nothing arrived in time, and an error wrapping ErrLost at once when the
// port is lost or down.
func (p *Port) ReadWithin(b []byte, d time.Duration) (int, error) {
	deadline := time.Now().Add(d)
	t := time.NewTimer(d)
	defer t.Stop()
	return p.read(b, deadline, t.C)
}

func (p *Port) read(b []byte, deadline time.Time, timeout <-chan time.Time) (int, error) {
	for {
		sp, gen, up, err := p.current()
		if err != nil {
			return 0, err
		}
		if sp == nil {
			if timeout != nil {
				return 0, p.lostErr(nil)
			}
			select {
			case <-up:
				continue
			case <-p.stop:
				return 0, ErrClosed
			}
		}
		// One OS read waits at most ReadTimeout, and no longer than the
		// caller's deadline: an idle port wakes rarely (Close interrupts
		// a read at once), a deadline is kept to the millisecond. Only
		// one goroutine reads a Port, so setting the timeout here does
		// not race.
		wait := p.o.ReadTimeout
		if timeout != nil {
			wait = min(wait, max(time.Until(deadline), time.Millisecond))
		}
		if err := sp.SetReadTimeout(wait); err != nil {
			return 0, fmt.Errorf("serialport: %s: read timeout: %w", p.name, err)
		}
		n, err := sp.Read(b)
		if n > 0 {
			// Data wins; a pending error shows up on the next read.
			if p.rec != nil {
				p.rec.add('<', string(b[:n]))
			}
			return n, nil
		}
		if err == nil {
			// go.bug.st/serial read timeout: (0, nil). Never data.
			if timeout != nil && !time.Now().Before(deadline) {
				return 0, ErrTimeout
			}
			continue
		}
		if p.isClosed() {
			return 0, ErrClosed
		}
		p.lost(gen, err)
		return 0, p.lostErr(err)
	}
}

// Write writes b. While the port is lost it fails at once with an error
// wrapping ErrLost; a write error marks the port lost.
func (p *Port) Write(b []byte) (int, error) {
	sp, gen, _, err := p.current()
	if err != nil {
		return 0, err
	}
	if sp == nil {
		return 0, p.lostErr(nil)
	}
	n, err := sp.Write(b)
	if p.rec != nil {
		p.rec.add('>', string(b[:n]))
	}
	if err != nil {
		if p.isClosed() {
			return n, ErrClosed
		}
		p.lost(gen, err)
		return n, p.lostErr(err)
	}
	return n, nil
}

// ResetInput discards bytes received and not yet read, e.g. a late reply
// before a new poll. It is a no-op while the port is lost.
func (p *Port) ResetInput() error {
	sp, _, _, err := p.current()
	if err != nil || sp == nil {
		return err
	}
	return sp.ResetInputBuffer()
}

func (p *Port) lostErr(err error) error {
	if err == nil {
		return fmt.Errorf("serialport: %s: %w", p.name, ErrLost)
	}
	return fmt.Errorf("serialport: %s: %w: %w", p.name, ErrLost, err)
}

func (p *Port) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// lost marks generation gen lost (once) and starts reopening.
func (p *Port) lost(gen uint64, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.cur == nil || gen != p.gen {
		return
	}
	_ = p.cur.Close()
	p.cur = nil
	p.up = make(chan struct{})
	// A port that flaps keeps backing off; one that stayed up a while
	// starts again from MinBackoff.
	if p.o.Now().Sub(p.upAt) >= p.o.MaxBackoff {
		p.backoff = p.o.MinBackoff
	}
	p.log.Warn("serial port lost", "err", err)
	p.lostLocked(err)
}

// lostLocked sends the lost event and starts the reopen loop; p.mu held.
func (p *Port) lostLocked(err error) {
	p.rec.add('!', "lost")
	p.sendLocked(devices.ConnEvent{Device: p.name, Up: false, Err: err, At: p.o.Now()})
	p.wg.Add(1)
	go p.reopen()
}

// sendLocked queues ev (dropping the oldest when full); p.mu held, so
// there is one sender at a time.
func (p *Port) sendLocked(ev devices.ConnEvent) { sendLatest(p.conn, ev) }

// reopen retries the open with backoff until it works or Close.
func (p *Port) reopen() {
	defer p.wg.Done()
	for attempt := 1; ; attempt++ {
		p.mu.Lock()
		delay := p.backoff
		p.backoff = min(2*p.backoff, p.o.MaxBackoff)
		p.mu.Unlock()
		t := time.NewTimer(delay)
		select {
		case <-p.stop:
			t.Stop()
			return
		case <-t.C:
		}
		sp, err := p.openOnce()
		if err != nil {
			if attempt == 1 || attempt%10 == 0 {
				p.log.Info("serial port still lost", "attempt", attempt, "err", err)
			}
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			_ = sp.Close()
			return
		}
		p.cur = sp
		p.gen++
		p.upAt = p.o.Now()
		close(p.up)
		p.log.Info("serial port restored", "attempt", attempt)
		p.rec.add('!', "up")
		p.sendLocked(devices.ConnEvent{Device: p.name, Up: true, At: p.upAt})
		p.mu.Unlock()
		return
	}
}

// Close closes the port, unblocks readers, stops reopening and closes
// Conn. Safe to call twice.
func (p *Port) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.stop)
	cur := p.cur
	p.cur = nil
	p.mu.Unlock()
	var err error
	if cur != nil {
		err = cur.Close()
	}
	p.wg.Wait()
	close(p.conn)
	if err != nil {
		return fmt.Errorf("serialport: close %s: %w", p.name, err)
	}
	return nil
}
