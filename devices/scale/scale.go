package scale

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/devices/serialport"
)

// Port is what the driver needs from a serial port; *serialport.Port is
// one.
type Port interface {
	Write(b []byte) (int, error)
	// ReadWithin reads at least one byte or fails within d.
	ReadWithin(b []byte, d time.Duration) (int, error)
	// ResetInput drops unread bytes (a late reply) before a command.
	ResetInput() error
	Conn() <-chan devices.ConnEvent
	Close() error
}

// DefaultPollInterval is how often the scale is asked for its weight.
const DefaultPollInterval = 100 * time.Millisecond

// maxReply bounds a reply; more bytes without a complete one is garbage.
const maxReply = 256

// A reply ends at its terminator, or when the line stays quiet for
// ReplyGapChars character times (at least MinReplyGap) after its first
// byte: the bytes so far are the reply, whole or not, so a garbled reply
// costs one poll, not ReplyTimeout. The floor covers USB serial adapters,
// which hand received bytes on in chunks up to 16 ms apart.
const (
	ReplyGapChars = 5
	MinReplyGap   = 20 * time.Millisecond
)

// Opts configures a Dev. The zero value polls an NCI scale every 100ms,
// waits up to 1s for a reply and 3s for a zero, and ends a reply after a
// gap of 5 character times at 9600 8N1 (at least 20 ms).
type Opts struct {
	// Protocol is "nci" (default), "toledo" or "sics".
	Protocol string
	// Unit is what a Toledo 8217 reports in (kg by default); ignored by
	// the others, whose replies name their unit.
	Unit Unit
	// PollInterval is the time between weight requests.
	PollInterval time.Duration
	// ReplyTimeout is how long a reply may take before the reading is
	// "not ready".
	ReplyTimeout time.Duration
	// ZeroTimeout bounds Zero.
	ZeroTimeout time.Duration
	// ReplyGap is how long the line may stay quiet inside a reply; 0
	// means ReplyGapChars character times at the line's setting (Open
	// takes it from the port options; NewDev assumes 9600 8N1), at least
	// MinReplyGap.
	ReplyGap time.Duration
	// Now stamps readings; nil means time.Now.
	Now func() time.Time
	// Logger gets status changes and garbled replies; nil discards
	// them.
	Logger *slog.Logger
}

// Dev is a polled serial scale.
type Dev struct {
	port     Port
	proto    Protocol
	o        Opts
	log      *slog.Logger
	readings chan devices.Reading
	conn     <-chan devices.ConnEvent
	zeroReq  chan chan error
	stop     chan struct{}
	wg       sync.WaitGroup
	once     sync.Once
	closeErr error

	buf     [maxReply]byte
	lastLog string // last not-ready/fault detail logged
}

var _ devices.Scale = (*Dev)(nil)

// Open opens the serial port described by po (Name defaults to "scale")
// and starts polling.
func Open(po serialport.Opts, o *Opts) (*Dev, error) {
	if o == nil {
		o = &Opts{}
	}
	proto, err := New(o.Protocol, o.Unit)
	if err != nil {
		return nil, err
	}
	if po.Name == "" {
		po.Name = "scale"
	}
	if po.Logger == nil {
		po.Logger = o.Logger
	}
	p, err := serialport.Open(po)
	if err != nil {
		return nil, fmt.Errorf("scale: %w", err)
	}
	oo := *o
	if oo.ReplyGap == 0 {
		oo.ReplyGap = replyGap(po)
	}
	return NewDev(p, proto, &oo)
}

// replyGap is the default ReplyGap for a line.
func replyGap(line serialport.Opts) time.Duration {
	return max(ReplyGapChars*line.CharTime(), MinReplyGap)
}

// NewDev starts polling proto over an open port, which it owns from then
// on.
func NewDev(p Port, proto Protocol, o *Opts) (*Dev, error) {
	var oo Opts
	if o != nil {
		oo = *o
	}
	if oo.PollInterval < 0 || oo.ReplyTimeout < 0 || oo.ZeroTimeout < 0 || oo.ReplyGap < 0 {
		_ = p.Close()
		return nil, errors.New("scale: negative interval or timeout")
	}
	if oo.PollInterval == 0 {
		oo.PollInterval = DefaultPollInterval
	}
	if oo.ReplyTimeout == 0 {
		oo.ReplyTimeout = time.Second
	}
	if oo.ZeroTimeout == 0 {
		oo.ZeroTimeout = 3 * time.Second
	}
	if oo.ReplyGap == 0 {
		oo.ReplyGap = replyGap(serialport.Opts{})
	}
	if oo.Now == nil {
		oo.Now = time.Now
	}
	d := &Dev{
		port:     p,
		proto:    proto,
		o:        oo,
		log:      oo.Logger,
		readings: make(chan devices.Reading, 8),
		zeroReq:  make(chan chan error),
		stop:     make(chan struct{}),
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.log = d.log.With("protocol", proto.String())
	d.conn = serialport.Relay(&d.wg, p.Conn(), "scale", nil)
	d.wg.Add(1)
	go d.loop()
	return d, nil
}

// Readings delivers one reading per poll, newest first kept: when the
// reader falls behind, the oldest unread reading is dropped. It is closed
// by Close.
func (d *Dev) Readings() <-chan devices.Reading { return d.readings }

// Conn delivers lost/restored events (Device "scale"); closed by Close.
func (d *Dev) Conn() <-chan devices.ConnEvent { return d.conn }

// String names the device.
func (d *Dev) String() string { return "scale(" + d.proto.String() + ")" }

// Zero asks the scale to zero itself and waits for its answer (protocols
// without one, Toledo 8217, return once the command is sent). A refusal
// is a *ZeroError.
func (d *Dev) Zero() error {
	res := make(chan error, 1)
	select {
	case d.zeroReq <- res:
	case <-d.stop:
		return serialport.ErrClosed
	}
	select {
	case err := <-res:
		return err
	case <-d.stop:
		return serialport.ErrClosed
	}
}

func (d *Dev) loop() {
	defer d.wg.Done()
	defer close(d.readings)
	t := time.NewTicker(d.o.PollInterval)
	defer t.Stop()
	for {
		d.emit(d.poll())
		select {
		case <-d.stop:
			return
		case res := <-d.zeroReq:
			res <- d.zero()
			// Poll at the next tick.
			select {
			case <-d.stop:
				return
			case <-t.C:
			}
		case <-t.C:
		}
	}
}

// poll asks for the weight once and returns what the scale said.
func (d *Dev) poll() devices.Reading {
	reply, err := d.exchange(d.proto.WeightCmd(), d.o.ReplyTimeout)
	var r devices.Reading
	switch {
	case err != nil:
		r = devices.Reading{Status: devices.StatusNotReady, Detail: err.Error()}
		if errors.Is(err, serialport.ErrTimeout) {
			r.Detail = "no reply"
		} else if errors.Is(err, serialport.ErrLost) {
			r.Detail = "port lost"
		}
	default:
		r, err = d.proto.Parse(reply)
		if err != nil {
			r.Detail = "garbled reply"
			// Keyed by the status, so line noise does not flood the log.
			d.note(r.String(), err.Error())
			r.At = d.o.Now()
			return r
		}
	}
	r.At = d.o.Now()
	if r.Status == devices.StatusNotReady || r.Status == devices.StatusFault {
		d.note(r.String(), r.String())
	} else {
		d.lastLog = ""
	}
	return r
}

// note logs a trouble once until the key changes or the scale is fine
// again.
func (d *Dev) note(key, msg string) {
	if key == d.lastLog {
		return
	}
	d.lastLog = key
	d.log.Warn("scale not ready", "detail", msg)
}

// exchange sends cmd and, if wait > 0, reads one reply within wait. The
// reply ends at the protocol's terminator (Split), or at a gap of
// ReplyGap after some bytes came, or at wait: then the bytes so far are
// the reply, for Parse to judge.
func (d *Dev) exchange(cmd []byte, wait time.Duration) ([]byte, error) {
	if err := d.port.ResetInput(); err != nil && !errors.Is(err, serialport.ErrClosed) {
		d.log.Debug("scale: reset input", "err", err)
	}
	if _, err := d.port.Write(cmd); err != nil {
		return nil, err
	}
	if wait == 0 {
		return nil, nil
	}
	deadline := time.Now().Add(wait)
	n := 0
	for {
		left := time.Until(deadline)
		switch {
		case left <= 0 && n > 0:
			return d.buf[:n], nil
		case left <= 0:
			return nil, serialport.ErrTimeout
		case n == len(d.buf):
			return nil, fmt.Errorf("scale: %s: %d bytes without a complete reply", d.proto, n)
		case n > 0:
			left = min(left, d.o.ReplyGap)
		}
		k, err := d.port.ReadWithin(d.buf[n:], left)
		if n > 0 && errors.Is(err, serialport.ErrTimeout) {
			return d.buf[:n], nil // the line went quiet: that was the reply
		}
		if err != nil {
			return nil, err
		}
		n += k
		if reply, used := d.proto.Split(d.buf[:n]); used > 0 {
			return reply, nil
		}
	}
}

func (d *Dev) zero() error {
	wait := d.o.ZeroTimeout
	if !d.proto.ZeroReplies() {
		wait = 0
	}
	reply, err := d.exchange(d.proto.ZeroCmd(), wait)
	if err != nil {
		return fmt.Errorf("scale: zero: %w", err)
	}
	if wait == 0 {
		return nil
	}
	return d.proto.ParseZero(reply)
}

// emit queues r, dropping the oldest unread reading when the queue is
// full; the loop is the only sender.
func (d *Dev) emit(r devices.Reading) {
	for {
		select {
		case d.readings <- r:
			return
		default:
		}
		select {
		case <-d.readings:
		default:
		}
	}
}

// Close stops polling and closes the port. Safe to call twice.
func (d *Dev) Close() error {
	d.once.Do(func() {
		close(d.stop)
		if err := d.port.Close(); err != nil {
			d.closeErr = fmt.Errorf("scale: %w", err)
		}
		d.wg.Wait()
	})
	return d.closeErr
}
