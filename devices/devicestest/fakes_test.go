package devicestest

import (
	"errors"
	"testing"
	"time"

	"github.com/sco-project/sco/devices"
)

func TestFakes(t *testing.T) {
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }

	sc := NewScanner(now)
	sc.Scan("5000112637922", "]E0")
	if s := <-sc.Scans(); s != (devices.Scan{Data: "5000112637922", AIM: "]E0", At: at}) {
		t.Fatalf("scan %+v", s)
	}
	if err := sc.SetEnabled(false); err != nil || sc.Enabled() {
		t.Fatalf("SetEnabled: %v %v", err, sc.Enabled())
	}
	sc.Lost(nil)
	if ev := <-sc.Conn(); ev.Up || ev.Device != "scanner" || ev.Err == nil {
		t.Fatalf("event %+v", ev)
	}
	sc.Restored()
	if ev := <-sc.Conn(); !ev.Up {
		t.Fatalf("event %+v", ev)
	}
	sc.Close()
	sc.Close()
	if _, ok := <-sc.Scans(); ok {
		t.Fatal("scans open after Close")
	}
	if err := sc.SetEnabled(true); !errors.Is(err, ErrClosed) {
		t.Fatalf("SetEnabled after Close: %v", err)
	}

	s := NewScale(now)
	s.Weigh(355)
	s.Weigh(0)
	s.Moving(12)
	for _, want := range []devices.Reading{
		{Grams: 355, Status: devices.StatusStable, At: at},
		{Status: devices.StatusZero, At: at},
		{Grams: 12, Status: devices.StatusUnstable, At: at},
	} {
		if r := <-s.Readings(); r != want {
			t.Fatalf("reading %+v, want %+v", r, want)
		}
	}
	s.ZeroErr = errors.New("cannot zero")
	if err := s.Zero(); err == nil || s.Zeroes() != 1 {
		t.Fatalf("Zero: %v, %d", err, s.Zeroes())
	}
	s.Close()
	s.Close()

	l := NewLight()
	if l.Pattern() != devices.LightOff {
		t.Fatal("not off at start")
	}
	_ = l.Set(devices.LightGreen)
	_ = l.Set(devices.LightYellowFlash)
	if l.Pattern() != devices.LightYellowFlash || len(l.History()) != 2 || <-l.Changes() != devices.LightGreen {
		t.Fatalf("light %v %v", l.Pattern(), l.History())
	}
	l.Close()
	if err := l.Set(devices.LightRed); err == nil {
		t.Fatal("Set after Close")
	}

	b := NewButton()
	b.Press(at)
	if p := <-b.Presses(); !p.Equal(at) {
		t.Fatal(p)
	}
	b.Close()
	b.Close()
}
