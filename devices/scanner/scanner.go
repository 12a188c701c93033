package scanner

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/devices/serialport"
)

// Port is what the driver needs from a serial port; *serialport.Port is
// one.
type Port interface {
	io.ReadWriter
	Conn() <-chan devices.ConnEvent
	Close() error
}

// Model holds a scanner family's host commands.
type Model struct {
	Name    string
	Enable  string // sent by SetEnabled(true); "" means not supported
	Disable string // sent by SetEnabled(false)
	SSI     bool   // replies with Zebra SSI ACK/NAK packets
}

// Models are the scanner families with built-in commands.
var Models = map[string]Model{
	"generic": {Name: "generic"},
	// Datalogic Magellan "RS-232 standard" single-character commands.
	"datalogic": {Name: "datalogic", Enable: "E", Disable: "D"},
	// Honeywell serial trigger: SYN T CR starts, SYN U CR stops scanning.
	"honeywell": {Name: "honeywell", Enable: "\x16T\r", Disable: "\x16U\r"},
	// Zebra SSI SCAN_ENABLE / SCAN_DISABLE from the host; decode data is
	// expected unpacketed (ASCII), and the scanner's ACK/NAK packets are
	// recognised and skipped.
	"zebra": {Name: "zebra", Enable: "\x04\xe9\x04\x00\xff\x0f", Disable: "\x04\xea\x04\x00\xff\x0e", SSI: true},
}

// Opts configures a Dev. The zero value is a generic scanner (no host
// commands) framing on CR/LF and STX/ETX, without prefix or LRC.
type Opts struct {
	// Model is a key of Models; "" means generic.
	Model string
	// Enable and Disable override the model's commands (raw bytes).
	Enable, Disable string
	// Prefix is stripped from each frame when present.
	Prefix string
	// LRC says an LRC byte follows ETX.
	LRC bool
	// Now stamps scans; nil means time.Now.
	Now func() time.Time
	// Logger gets dropped-frame warnings; nil discards them.
	Logger *slog.Logger
}

// Dev is a barcode scanner on a serial port.
type Dev struct {
	port  Port
	model Model
	now   func() time.Time
	log   *slog.Logger
	fr    Framer
	scans chan devices.Scan
	conn  <-chan devices.ConnEvent
	stop  chan struct{}
	wg    sync.WaitGroup

	mu       sync.Mutex
	enabled  bool
	closed   bool
	dropLog  time.Time // last dropped-frame warning
	droppedN int       // dropped since that warning
}

var _ devices.Scanner = (*Dev)(nil)

// Open opens the serial port described by po (its Name defaults to
// "scanner") and starts the driver.
func Open(po serialport.Opts, o *Opts) (*Dev, error) {
	if _, err := model(o); err != nil {
		return nil, err
	}
	if po.Name == "" {
		po.Name = "scanner"
	}
	if po.Logger == nil && o != nil {
		po.Logger = o.Logger
	}
	p, err := serialport.Open(po)
	if err != nil {
		return nil, fmt.Errorf("scanner: %w", err)
	}
	return New(p, o)
}

func model(o *Opts) (Model, error) {
	name := DefaultModel
	if o != nil && o.Model != "" {
		name = strings.ToLower(o.Model)
	}
	m, ok := Models[name]
	if !ok {
		return Model{}, fmt.Errorf("scanner: unknown model %q", name)
	}
	if o != nil && o.Enable != "" {
		m.Enable = o.Enable
	}
	if o != nil && o.Disable != "" {
		m.Disable = o.Disable
	}
	return m, nil
}

// New starts the driver on an open port, which it owns from then on.
func New(p Port, o *Opts) (*Dev, error) {
	if o == nil {
		o = &Opts{}
	}
	m, err := model(o)
	if err != nil {
		_ = p.Close()
		return nil, err
	}
	d := &Dev{
		port:    p,
		model:   m,
		now:     o.Now,
		log:     o.Logger,
		fr:      Framer{Prefix: o.Prefix, LRC: o.LRC, SSI: m.SSI},
		scans:   make(chan devices.Scan, 16),
		stop:    make(chan struct{}),
		enabled: true,
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.conn = serialport.Relay(&d.wg, p.Conn(), "scanner", d.reassert)
	d.wg.Add(1)
	go d.read()
	return d, nil
}

// Scans delivers decoded scans; it is closed by Close.
func (d *Dev) Scans() <-chan devices.Scan { return d.scans }

// Conn delivers lost/restored events (Device "scanner"); it is closed by
// Close.
func (d *Dev) Conn() <-chan devices.ConnEvent { return d.conn }

// String names the device.
func (d *Dev) String() string { return "scanner(" + d.model.Name + ")" }

// SetEnabled sends the model's enable or disable command; for a model
// without commands it is a no-op that returns nil. The setting is
// remembered and re-sent when the port comes back after a hang-up.
func (d *Dev) SetEnabled(on bool) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return serialport.ErrClosed
	}
	d.enabled = on
	d.mu.Unlock()
	return d.send(on)
}

func (d *Dev) send(on bool) error {
	cmd := d.model.Disable
	if on {
		cmd = d.model.Enable
	}
	if cmd == "" {
		return nil
	}
	if _, err := d.port.Write([]byte(cmd)); err != nil {
		return fmt.Errorf("scanner: set enabled %t: %w", on, err)
	}
	return nil
}

func (d *Dev) read() {
	defer d.wg.Done()
	defer close(d.scans)
	buf := make([]byte, 512)
	var frames []Frame
	for {
		n, err := d.port.Read(buf)
		if errors.Is(err, serialport.ErrClosed) || errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			// Lost (or a transient error): a half frame is garbage now.
			d.fr.Reset()
			select {
			case <-d.stop:
				return
			default:
			}
			if !errors.Is(err, serialport.ErrLost) {
				d.log.Warn("scanner read", "err", err)
			}
			continue
		}
		frames = d.fr.Feed(frames[:0], buf[:n])
		for _, f := range frames {
			if !d.deliver(f) {
				return
			}
		}
		if len(frames) > 0 {
			// Let the engine goroutine, which deliver readied, run on
			// this thread now: the next Read blocks in select(2) with
			// this P held in the system call, and the engine would wait
			// for another thread to be woken to steal it.
			runtime.Gosched()
		}
	}
}

// deliver hands one frame on; false when the driver is closing.
func (d *Dev) deliver(f Frame) bool {
	switch {
	case f.Err != nil:
		d.dropped(f)
		return true
	case f.Kind == KindNak:
		d.log.Warn("scanner refused a command (SSI NAK)")
		return true
	case f.Kind == KindAck:
		d.log.Debug("scanner acknowledged a command")
		return true
	}
	s := devices.Scan{Data: f.Data, AIM: f.AIM, At: d.now()}
	select {
	case d.scans <- s:
		return true
	case <-d.stop:
		return false
	}
}

// dropped logs a dropped frame, at most one warning a second with a
// count, so a scanner at the wrong baud does not flood the log.
func (d *Dev) dropped(f Frame) {
	now := d.now()
	d.mu.Lock()
	d.droppedN++
	if !d.dropLog.IsZero() && now.Sub(d.dropLog) < time.Second {
		d.mu.Unlock()
		return
	}
	n := d.droppedN
	d.droppedN = 0
	d.dropLog = now
	d.mu.Unlock()
	raw := f.Raw
	if len(raw) > 64 {
		raw = raw[:64]
	}
	d.log.Warn("scanner frame dropped", "reason", f.Err.Error(), "frame", fmt.Sprintf("%q", raw), "dropped", n)
}

// reassert re-sends a disable to a scanner that comes back (it may have
// been power-cycled into its enabled default).
func (d *Dev) reassert(ev devices.ConnEvent) {
	if !ev.Up {
		return
	}
	d.mu.Lock()
	on := d.enabled
	d.mu.Unlock()
	if !on {
		if err := d.send(false); err != nil {
			d.log.Warn("scanner: re-sending disable after reconnect", "err", err)
		}
	}
}

// Close stops the reader and closes the port. Safe to call twice.
func (d *Dev) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	close(d.stop)
	d.mu.Unlock()
	err := d.port.Close()
	d.wg.Wait()
	if err != nil {
		return fmt.Errorf("scanner: %w", err)
	}
	return nil
}
