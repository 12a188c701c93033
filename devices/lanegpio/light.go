package lanegpio

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/sco-project/sco/devices"
)

// Lamp is what one colour does.
type Lamp uint8

// Lamp modes.
const (
	Off Lamp = iota
	Steady
	Flash
)

func (l Lamp) String() string {
	switch l {
	case Off:
		return "off"
	case Steady:
		return "steady"
	case Flash:
		return "flash"
	}
	return fmt.Sprintf("lamp(%d)", uint8(l))
}

// Pattern is the state of the three colours.
type Pattern struct {
	Green, Yellow, Red Lamp
}

// Table maps each lane light pattern to outputs.
type Table map[devices.LightPattern]Pattern

// DefaultTable is the usual tower-light convention: green open, yellow
// steady when the shopper is prompted, yellow flashing while an attendant
// is called, red steady out of service, red flashing for a device fault.
func DefaultTable() Table {
	return Table{
		devices.LightOff:         {},
		devices.LightGreen:       {Green: Steady},
		devices.LightYellow:      {Yellow: Steady},
		devices.LightYellowFlash: {Yellow: Flash},
		devices.LightRed:         {Red: Steady},
		devices.LightRedFlash:    {Red: Flash},
	}
}

// LightPins names the tower light's output pins; "" means not fitted.
type LightPins struct {
	Green, Yellow, Red string
}

// LightOpts configures a Light. The zero value is a log-only light with
// DefaultTable, flashing at 1 Hz.
type LightOpts struct {
	// Green, Yellow and Red are the outputs; nil means not fitted. All
	// nil makes the light log-only.
	Green, Yellow, Red gpio.PinOut
	// ActiveLow drives an output low to light it (relay boards).
	ActiveLow bool
	// Table maps patterns to outputs; nil means DefaultTable. Patterns
	// missing from the table are refused by Set.
	Table Table
	// FlashPeriod is a full on+off cycle; 0 means 1s.
	FlashPeriod time.Duration
	// Ticker makes the flash ticker; nil means time.NewTicker. Tests
	// inject one to step the flashing.
	Ticker func(d time.Duration) (c <-chan time.Time, stop func())
	// Logger gets pattern changes (all a log-only light does); nil
	// discards them.
	Logger *slog.Logger
}

// Light is the lane's tower light.
type Light struct {
	pins  [3]gpio.PinOut
	names [3]string
	o     LightOpts
	log   *slog.Logger
	req   chan lightReq
	stop  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once

	// Owned by the loop goroutine.
	cur   devices.LightPattern
	pat   Pattern
	phase bool // flashing lamps are lit
}

type lightReq struct {
	p   devices.LightPattern
	res chan error
}

var _ devices.Light = (*Light)(nil)

// OpenLight looks up the named pins (see LightPins) and starts the light.
// No names at all gives a log-only light; a name that does not resolve is
// an error naming its config key (gpio.light.green, ...).
func OpenLight(names LightPins, o *LightOpts) (*Light, error) {
	var oo LightOpts
	if o != nil {
		oo = *o
	}
	for _, p := range []struct {
		key, name string
		dst       *gpio.PinOut
	}{
		{"gpio.light.green", names.Green, &oo.Green},
		{"gpio.light.yellow", names.Yellow, &oo.Yellow},
		{"gpio.light.red", names.Red, &oo.Red},
	} {
		if p.name == "" {
			continue
		}
		pin, err := lookup(p.key, p.name)
		if err != nil {
			return nil, err
		}
		*p.dst = pin
	}
	return NewLight(&oo)
}

// NewLight starts a light on the given outputs, all off.
func NewLight(o *LightOpts) (*Light, error) {
	l := &Light{req: make(chan lightReq), stop: make(chan struct{}), cur: devices.LightOff}
	if o != nil {
		l.o = *o
	}
	if l.o.Table == nil {
		l.o.Table = DefaultTable()
	}
	for p, pat := range l.o.Table {
		for _, m := range []Lamp{pat.Green, pat.Yellow, pat.Red} {
			if m > Flash {
				return nil, fmt.Errorf("lanegpio: light pattern %q: bad lamp mode %d", p, m)
			}
		}
	}
	if l.o.FlashPeriod <= 0 {
		l.o.FlashPeriod = time.Second
	}
	if l.o.Ticker == nil {
		l.o.Ticker = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	l.log = l.o.Logger
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	l.pins = [3]gpio.PinOut{l.o.Green, l.o.Yellow, l.o.Red}
	l.names = [3]string{"green", "yellow", "red"}
	if l.LogOnly() {
		l.log.Info("lane light is log-only (no GPIO pins configured)")
	}
	if err := l.apply(); err != nil {
		return nil, err
	}
	l.wg.Add(1)
	go l.loop()
	return l, nil
}

// LogOnly reports whether the light has no outputs.
func (l *Light) LogOnly() bool {
	return l.pins[0] == nil && l.pins[1] == nil && l.pins[2] == nil
}

// String names the device.
func (l *Light) String() string {
	if l.LogOnly() {
		return "light(log-only)"
	}
	return "light(gpio)"
}

// Set shows pattern p. It returns once the outputs are set.
func (l *Light) Set(p devices.LightPattern) error {
	res := make(chan error, 1)
	select {
	case l.req <- lightReq{p, res}:
	case <-l.stop:
		return fmt.Errorf("lanegpio: light closed")
	}
	return <-res
}

func (l *Light) loop() {
	defer l.wg.Done()
	tick, stopTick := l.o.Ticker(l.o.FlashPeriod / 2)
	defer stopTick()
	for {
		select {
		case <-l.stop:
			return
		case r := <-l.req:
			r.res <- l.set(r.p)
		case <-tick:
			if l.pat.Green == Flash || l.pat.Yellow == Flash || l.pat.Red == Flash {
				l.phase = !l.phase
				if err := l.apply(); err != nil {
					l.log.Warn("lane light", "err", err)
				}
			}
		}
	}
}

func (l *Light) set(p devices.LightPattern) error {
	pat, ok := l.o.Table[p]
	if !ok {
		return fmt.Errorf("lanegpio: light pattern %q not in table", p)
	}
	if p == l.cur {
		return nil
	}
	l.log.Info("lane light", "pattern", string(p))
	l.cur, l.pat, l.phase = p, pat, true
	return l.apply()
}

// apply drives the outputs for the current pattern and flash phase.
func (l *Light) apply() error {
	modes := [3]Lamp{l.pat.Green, l.pat.Yellow, l.pat.Red}
	for i, pin := range l.pins {
		if pin == nil {
			continue
		}
		on := modes[i] == Steady || (modes[i] == Flash && l.phase)
		if err := pin.Out(gpio.Level(on != l.o.ActiveLow)); err != nil {
			return fmt.Errorf("lanegpio: light %s: %w", l.names[i], err)
		}
	}
	return nil
}

// Close turns the light off and stops flashing. Safe to call twice.
func (l *Light) Close() error {
	var err error
	l.once.Do(func() {
		close(l.stop)
		l.wg.Wait()
		l.pat = Pattern{}
		err = l.apply()
	})
	return err
}
