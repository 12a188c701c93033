package lanegpio

import (
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/internal/testsupport"
)

const wait = 5 * time.Second

type tower struct {
	g, y, r *gpiotest.Pin
	tick    chan time.Time
	l       *Light
}

func newTower(t *testing.T, activeLow bool) *tower {
	t.Helper()
	tw := &tower{
		g: &gpiotest.Pin{N: "G"}, y: &gpiotest.Pin{N: "Y"}, r: &gpiotest.Pin{N: "R"},
		tick: make(chan time.Time),
	}
	l, err := NewLight(&LightOpts{
		Green: tw.g, Yellow: tw.y, Red: tw.r, ActiveLow: activeLow,
		Ticker: func(time.Duration) (<-chan time.Time, func()) { return tw.tick, func() {} },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	tw.l = l
	return tw
}

// lit returns which outputs are on, as "gyr" letters.
func (tw *tower) lit(activeLow bool) string {
	s := ""
	for i, p := range []*gpiotest.Pin{tw.g, tw.y, tw.r} {
		if (p.Read() == gpio.High) != activeLow {
			s += string("gyr"[i])
		} else {
			s += "-"
		}
	}
	return s
}

// step delivers one flash tick; the Set that follows (same pattern, a
// no-op) returns only after the loop has handled it.
func (tw *tower) step(t *testing.T, p devices.LightPattern) {
	t.Helper()
	select {
	case tw.tick <- time.Time{}:
	case <-time.After(wait):
		t.Fatal("flash loop not running")
	}
	if err := tw.l.Set(p); err != nil {
		t.Fatal(err)
	}
}

func TestLightPatterns(t *testing.T) {
	for _, activeLow := range []bool{false, true} {
		tw := newTower(t, activeLow)
		if got := tw.lit(activeLow); got != "---" {
			t.Fatalf("at start %q, want all off", got)
		}
		for _, tc := range []struct {
			p    devices.LightPattern
			want string
		}{
			{devices.LightGreen, "g--"},
			{devices.LightYellow, "-y-"},
			{devices.LightRed, "--r"},
			{devices.LightYellowFlash, "-y-"},
			{devices.LightRedFlash, "--r"},
			{devices.LightOff, "---"},
		} {
			if err := tw.l.Set(tc.p); err != nil {
				t.Fatal(err)
			}
			if got := tw.lit(activeLow); got != tc.want {
				t.Errorf("active low %t, %s: lit %q, want %q", activeLow, tc.p, got, tc.want)
			}
		}
		if err := tw.l.Set("disco"); err == nil || !strings.Contains(err.Error(), `"disco"`) {
			t.Errorf("unknown pattern: %v", err)
		}
	}
}

func TestLightFlashes(t *testing.T) {
	tw := newTower(t, false)
	if err := tw.l.Set(devices.LightYellowFlash); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"---", "-y-", "---", "-y-"} {
		tw.step(t, devices.LightYellowFlash)
		if got := tw.lit(false); got != want {
			t.Fatalf("tick %d: %q, want %q", i, got, want)
		}
	}
	// Steady patterns ignore ticks.
	if err := tw.l.Set(devices.LightGreen); err != nil {
		t.Fatal(err)
	}
	tw.step(t, devices.LightGreen)
	if got := tw.lit(false); got != "g--" {
		t.Fatalf("green after tick %q", got)
	}
	// A new flashing pattern starts lit.
	tw.step(t, devices.LightGreen)
	if err := tw.l.Set(devices.LightRedFlash); err != nil {
		t.Fatal(err)
	}
	if got := tw.lit(false); got != "--r" {
		t.Fatalf("red flash starts %q", got)
	}
}

func TestLightCustomTableAndClose(t *testing.T) {
	g := &gpiotest.Pin{N: "G"}
	l, err := NewLight(&LightOpts{Green: g, Table: Table{devices.LightGreen: {Green: Steady}, devices.LightRed: {Red: Steady}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Set(devices.LightGreen); err != nil || g.Read() != gpio.High {
		t.Fatalf("green: %v %v", err, g.Read())
	}
	// Red is not fitted: nothing to drive, not an error.
	if err := l.Set(devices.LightRed); err != nil || g.Read() != gpio.Low {
		t.Fatalf("red: %v %v", err, g.Read())
	}
	if err := l.Set(devices.LightYellow); err == nil {
		t.Fatal("pattern outside the table accepted")
	}
	if err := l.Set(devices.LightGreen); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if g.Read() != gpio.Low {
		t.Error("Close left the light on")
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := l.Set(devices.LightGreen); err == nil {
		t.Error("Set after Close accepted")
	}
	if _, err := NewLight(&LightOpts{Table: Table{devices.LightGreen: {Green: 7}}}); err == nil {
		t.Error("bad lamp mode accepted")
	}
}

func TestOpenWithoutGPIO(t *testing.T) {
	l, err := OpenLight(LightPins{}, nil)
	if err != nil {
		t.Fatalf("log-only light: %v", err)
	}
	defer l.Close()
	if !l.LogOnly() || l.String() != "light(log-only)" {
		t.Errorf("%v not log-only", l)
	}
	if err := l.Set(devices.LightYellowFlash); err != nil {
		t.Fatal(err)
	}
	_, err = OpenLight(LightPins{Green: "NOSUCHPIN42"}, nil)
	if err == nil || !strings.Contains(err.Error(), `gpio.light.green: no GPIO pin "NOSUCHPIN42"`) {
		t.Errorf("missing pin: %v", err)
	}
	_, err = OpenButton("NOSUCHPIN43", nil)
	if err == nil || !strings.Contains(err.Error(), `gpio.help: no GPIO pin "NOSUCHPIN43"`) {
		t.Errorf("missing button pin: %v", err)
	}
	b, err := OpenButton("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-b.Presses(); ok {
		t.Error("unconfigured button pressed")
	}
}

func TestDebouncer(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	d := Debouncer{Delay: 50 * time.Millisecond}
	d.Init(false)
	steps := []struct {
		pressed bool
		at      int
		press   bool
	}{
		{true, 0, false},   // contact
		{false, 5, false},  // bounce
		{true, 8, false},   // contact again: timing restarts
		{true, 40, false},  // not long enough
		{true, 58, true},   // held 50ms: one press
		{true, 200, false}, // held: no repeat
		{false, 300, false},
		{true, 320, false}, // released for only 20ms: still pressed
		{false, 330, false},
		{false, 380, false}, // released for 50ms
		{true, 400, false},
		{true, 460, true}, // second press
	}
	for i, s := range steps {
		if got := d.Update(s.pressed, ms(s.at)); got != s.press {
			t.Fatalf("step %d (%v at %dms): press %v, want %v", i, s.pressed, s.at, got, s.press)
		}
	}
}

func TestButtonOverGPIOTest(t *testing.T) {
	pin := &gpiotest.Pin{N: "HELP", EdgesChan: make(chan gpio.Level, 16)}
	clk := testsupport.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	samples := make(chan bool, 4096)
	b, err := newButton(pin, &ButtonOpts{Debounce: 50 * time.Millisecond, Poll: 5 * time.Millisecond, Now: clk.Now},
		func(p bool) {
			select {
			case samples <- p:
			default:
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if pin.P != gpio.PullUp {
		t.Fatalf("pull %v, want up", pin.P)
	}
	// sampled waits until the loop has read the input as want, after
	// everything sent so far.
	sampled := func(want bool) {
		t.Helper()
		deadline := time.After(wait)
		// Every edge sent has been taken by WaitForEdge...
		for len(pin.EdgesChan) > 0 {
			select {
			case <-samples:
			case <-deadline:
				t.Fatal("loop does not take edges")
			}
		}
		// ...so a sample traced after this drain was read after the last
		// edge.
		for len(samples) > 0 {
			<-samples
		}
		for {
			select {
			case p := <-samples:
				if p == want {
					return
				}
			case <-deadline:
				t.Fatalf("loop never read pressed=%v", want)
			}
		}
	}
	expectPress := func() {
		t.Helper()
		select {
		case at := <-b.Presses():
			if !at.Equal(clk.Now()) {
				t.Fatalf("press at %v, want %v", at, clk.Now())
			}
		case <-time.After(wait):
			t.Fatal("no press")
		}
	}
	// A bouncy press (low = pressed), then held past the debounce.
	for _, l := range []gpio.Level{gpio.Low, gpio.High, gpio.Low, gpio.High, gpio.Low} {
		pin.EdgesChan <- l
	}
	sampled(true)
	clk.Advance(60 * time.Millisecond)
	expectPress()

	// A blip up while held, shorter than the debounce: no second press.
	pin.EdgesChan <- gpio.High
	sampled(false)
	clk.Advance(10 * time.Millisecond)
	pin.EdgesChan <- gpio.Low
	sampled(true)
	clk.Advance(60 * time.Millisecond)
	sampled(true)

	// A real release, then a second press.
	pin.EdgesChan <- gpio.High
	sampled(false)
	clk.Advance(60 * time.Millisecond)
	sampled(false)
	pin.EdgesChan <- gpio.Low
	sampled(true)
	clk.Advance(60 * time.Millisecond)
	expectPress()
	if n := len(b.Presses()); n != 0 {
		t.Fatalf("%d extra presses", n)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}
