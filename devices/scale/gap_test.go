package scale

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/devices/devicestest"
	"github.com/sco-project/sco/devices/serialport"
)

// garbler answers W as an NCI scale whose first replies are cut short
// (the ETX lost on the line), then whole.
type garbler struct {
	garbled atomic.Int64 // replies still to garble
	mute    atomic.Bool  // answer nothing
}

func (g *garbler) answer(cmd string) string {
	switch {
	case cmd != "W" || g.mute.Load():
		return ""
	case g.garbled.Add(-1) >= 0:
		return "\n01.2\x9934KG\r\nS00\r" // a flipped byte, no ETX
	}
	return "\n01.234KG\r\nS00\r\x03"
}

// A garbled reply costs one poll, not the reply timeout: ten of them in
// a row, at a reply timeout of 1 s, are all reported as garbled (not as
// "no reply") and the good weight follows within a fraction of the ten
// seconds the timeout would have cost.
func TestGarbledReplyCostsOnePoll(t *testing.T) {
	l := devicestest.NewLine(t)
	g := &garbler{}
	g.garbled.Store(10)
	f := newFake()
	f.answer = g.answer
	f.serve(l.Master(), "nci")
	start := time.Now()
	d := openScale(t, l, &Opts{Protocol: "nci", ReplyTimeout: time.Second, PollInterval: 20 * time.Millisecond})
	var garbled int
	for {
		r := await(t, d, "a reading", func(devices.Reading) bool { return true })
		if r.Status == devices.StatusStable {
			if r.Grams != 1234 {
				t.Fatalf("reading %+v", r)
			}
			break
		}
		if r.Status != devices.StatusNotReady || r.Detail != "garbled reply" {
			t.Fatalf("reading %d: %v, want a garbled reply", garbled+1, r)
		}
		garbled++
	}
	if garbled != 10 {
		t.Fatalf("%d garbled readings, want 10", garbled)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("ten garbled replies took %v: each waited for the reply timeout", took)
	}

	// A scale that answers nothing still times out.
	g.mute.Store(true)
	await(t, d, "no reply", status(devices.StatusNotReady, "no reply"))
}

// The gap that ends a reply is a few character times at the line's
// setting, at least MinReplyGap.
func TestReplyGap(t *testing.T) {
	for _, c := range []struct {
		line serialport.Opts
		want time.Duration
	}{
		{serialport.Opts{Baud: 9600, DataBits: 7, Parity: "even"}, MinReplyGap},
		{serialport.Opts{Baud: 1200}, 5 * (10 * time.Second / 1200)},
		{serialport.Opts{Baud: 300, DataBits: 7, Parity: "odd", StopBits: 2}, 5 * (11 * time.Second / 300)},
	} {
		if got := replyGap(c.line); got != c.want {
			t.Errorf("%+v: %v, want %v", c.line, got, c.want)
		}
	}
}
