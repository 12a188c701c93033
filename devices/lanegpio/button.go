package lanegpio

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/sco-project/sco/devices"
)

// ButtonOpts configures a Button. The zero value suits the common wiring,
// a switch to ground with the pull-up on (pressed reads low), with a 50ms
// debounce.
type ButtonOpts struct {
	// ActiveHigh: pressed reads high (the pin gets a pull-down).
	ActiveHigh bool
	// Debounce is how long the input must hold a new level to count.
	Debounce time.Duration
	// Poll is the longest single WaitForEdge; 0 means 100ms. It bounds
	// how long Close waits for the reader.
	Poll time.Duration
	// Now is the clock for the debounce; nil means time.Now.
	Now func() time.Time
	// Logger; nil discards the logs.
	Logger *slog.Logger
}

// Button is the lane's help button.
type Button struct {
	pin     gpio.PinIn
	o       ButtonOpts
	presses chan time.Time
	stop    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
	// trace, when set by a test before the loop starts, sees every
	// sample.
	trace func(pressed bool)
}

var _ devices.Button = (*Button)(nil)

// OpenButton looks up the named pin (config key gpio.help) and starts the
// button; "" gives a button that is never pressed.
func OpenButton(name string, o *ButtonOpts) (*Button, error) {
	if name == "" {
		return NewButton(nil, o)
	}
	pin, err := lookup("gpio.help", name)
	if err != nil {
		return nil, err
	}
	return NewButton(pin, o)
}

// NewButton starts a button on pin (nil: never pressed).
func NewButton(pin gpio.PinIn, o *ButtonOpts) (*Button, error) {
	return newButton(pin, o, nil)
}

func newButton(pin gpio.PinIn, o *ButtonOpts, trace func(bool)) (*Button, error) {
	b := &Button{pin: pin, presses: make(chan time.Time, 8), stop: make(chan struct{}), trace: trace}
	if o != nil {
		b.o = *o
	}
	if b.o.Debounce < 0 || b.o.Poll < 0 {
		return nil, fmt.Errorf("lanegpio: help button: negative debounce or poll")
	}
	if b.o.Debounce == 0 {
		b.o.Debounce = 50 * time.Millisecond
	}
	if b.o.Poll == 0 {
		b.o.Poll = 100 * time.Millisecond
	}
	if b.o.Now == nil {
		b.o.Now = time.Now
	}
	if b.o.Logger == nil {
		b.o.Logger = slog.New(slog.DiscardHandler)
	}
	if pin == nil {
		b.o.Logger.Info("help button not configured")
		return b, nil
	}
	pull := gpio.PullUp
	if b.o.ActiveHigh {
		pull = gpio.PullDown
	}
	if err := pin.In(pull, gpio.BothEdges); err != nil {
		return nil, fmt.Errorf("lanegpio: help button %s: %w", pin, err)
	}
	b.wg.Add(1)
	go b.loop()
	return b, nil
}

// Presses delivers one time per debounced press. It is closed by Close.
func (b *Button) Presses() <-chan time.Time { return b.presses }

// String names the device.
func (b *Button) String() string {
	if b.pin == nil {
		return "button(none)"
	}
	return "button(" + b.pin.String() + ")"
}

func (b *Button) pressed() bool { return (b.pin.Read() == gpio.High) == b.o.ActiveHigh }

func (b *Button) loop() {
	defer b.wg.Done()
	d := Debouncer{Delay: b.o.Debounce}
	d.Init(b.pressed())
	for {
		wait := b.o.Poll
		if d.Pending() {
			wait = min(wait, b.o.Debounce)
		}
		// Finite timeouts only: WaitForEdge(-1) returns at once on the
		// ioctl driver. An edge or a timeout both end in a fresh read.
		b.pin.WaitForEdge(wait)
		select {
		case <-b.stop:
			return
		default:
		}
		now := b.o.Now()
		pressed := b.pressed()
		if b.trace != nil {
			b.trace(pressed)
		}
		if d.Update(pressed, now) {
			select {
			case b.presses <- now:
			case <-b.stop:
				return
			}
		}
	}
}

// Close stops the reader. Safe to call twice.
func (b *Button) Close() error {
	b.once.Do(func() {
		close(b.stop)
		b.wg.Wait()
		close(b.presses)
	})
	return nil
}

// Debouncer turns raw samples of a button into presses: a level counts
// once it has held for Delay; a press is the change from released to
// pressed. It is pure: time comes in with each sample.
type Debouncer struct {
	Delay time.Duration

	stable    bool // debounced level: true = pressed
	pending   bool // a different level is being timed
	candidate bool
	since     time.Time
}

// Init sets the starting level without reporting a press.
func (d *Debouncer) Init(pressed bool) { d.stable, d.pending = pressed, false }

// Pending reports whether a level change is being timed.
func (d *Debouncer) Pending() bool { return d.pending }

// Update feeds one sample taken at now and reports whether it completes
// a press.
func (d *Debouncer) Update(pressed bool, now time.Time) bool {
	if pressed == d.stable {
		d.pending = false
		return false
	}
	if !d.pending || d.candidate != pressed {
		d.pending, d.candidate, d.since = true, pressed, now
	}
	if now.Sub(d.since) < d.Delay {
		return false
	}
	d.stable, d.pending = pressed, false
	return pressed
}
