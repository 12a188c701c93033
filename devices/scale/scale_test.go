package scale

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/devices/devicestest"
	"github.com/sco-project/sco/devices/serialport"
)

const wait = 5 * time.Second

// fakeScale plays a scale on the device side of a pty: it answers each
// command with what answer returns ("" = stay silent). Replies are
// written in two halves to exercise reassembly.
type fakeScale struct {
	mu      sync.Mutex
	replies map[string]string
	seen    chan string
	// answer, when set, decides each reply instead of replies.
	answer func(cmd string) string
}

func newFake() *fakeScale {
	return &fakeScale{replies: map[string]string{}, seen: make(chan string, 1024)}
}

func (f *fakeScale) set(cmd, reply string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replies[cmd] = reply
}

// serve answers on master until it is closed.
func (f *fakeScale) serve(master *os.File, proto string) {
	go func() {
		var buf []byte
		b := make([]byte, 64)
		for {
			n, err := master.Read(b)
			if err != nil {
				return
			}
			buf = append(buf, b[:n]...)
			for {
				var cmd string
				switch proto {
				case "toledo":
					if len(buf) == 0 {
						break
					}
					cmd, buf = string(buf[:1]), buf[1:]
				default:
					i := bytes.IndexByte(buf, '\r')
					if i < 0 {
						break
					}
					cmd, buf = string(buf[:i]), bytes.TrimPrefix(buf[i+1:], []byte("\n"))
				}
				if cmd == "" {
					break
				}
				select {
				case f.seen <- cmd:
				default:
				}
				f.mu.Lock()
				r := f.replies[cmd]
				f.mu.Unlock()
				if f.answer != nil {
					r = f.answer(cmd)
				}
				if r != "" {
					h := len(r) / 2
					_, _ = master.Write([]byte(r[:h]))
					_, _ = master.Write([]byte(r[h:]))
				}
			}
		}
	}()
}

func openScale(t *testing.T, l *devicestest.Line, o *Opts) *Dev {
	t.Helper()
	if o.PollInterval == 0 {
		o.PollInterval = 10 * time.Millisecond
	}
	if o.ReplyTimeout == 0 {
		o.ReplyTimeout = 200 * time.Millisecond
	}
	d, err := Open(serialport.Opts{Path: l.Path, DataBits: 7, Parity: "even", MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// await returns the first reading that satisfies ok.
func await(t *testing.T, d *Dev, what string, ok func(devices.Reading) bool) devices.Reading {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case r, open := <-d.Readings():
			if !open {
				t.Fatalf("readings closed waiting for %s", what)
			}
			if ok(r) {
				return r
			}
		case <-deadline:
			t.Fatalf("no reading: %s", what)
		}
	}
}

func status(st devices.Status, detail string) func(devices.Reading) bool {
	return func(r devices.Reading) bool {
		return r.Status == st && (detail == "" || strings.Contains(r.Detail, detail))
	}
}

func TestNCIOverPTY(t *testing.T) {
	l := devicestest.NewLine(t)
	f := newFake()
	f.set("W", "\n01.234KG\r\nS00\r\x03")
	f.serve(l.Master(), "nci")
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	d := openScale(t, l, &Opts{Protocol: "nci", Now: func() time.Time { return at }})

	r := await(t, d, "stable 1234g", status(devices.StatusStable, ""))
	if r.Grams != 1234 || !r.Stable() || !r.At.Equal(at) {
		t.Fatalf("reading %+v", r)
	}
	f.set("W", "\nS10\r\x03")
	await(t, d, "unstable", status(devices.StatusUnstable, ""))
	f.set("W", "\nS0p8\r\x03")
	await(t, d, "fault", status(devices.StatusFault, "initial zero error"))
	f.set("W", "\n01.2\xff4KG\r\nS00\r\x03")
	r = await(t, d, "garbled", status(devices.StatusNotReady, "garbled"))
	if r.Grams != 0 || r.Stable() {
		t.Fatalf("garbled reply gave a weight: %+v", r)
	}
	f.set("W", "") // the scale goes quiet: not ready, never 0 g
	r = await(t, d, "no reply", status(devices.StatusNotReady, "no reply"))
	if r.Stable() {
		t.Fatalf("silence gave %+v", r)
	}
	f.set("W", "\n00.000KG\r\nS20\r\x03")
	await(t, d, "zero", status(devices.StatusZero, ""))

	f.set("Z", "\nS20\r\x03")
	if err := d.Zero(); err != nil {
		t.Fatalf("Zero: %v", err)
	}
	f.set("Z", "\nS10\r\x03")
	var ze *ZeroError
	if err := d.Zero(); !errors.As(err, &ze) {
		t.Fatalf("Zero while moving: %v, want *ZeroError", err)
	}
}

func TestToledoOverPTY(t *testing.T) {
	l := devicestest.NewLine(t)
	f := newFake()
	f.set("W", "\x0200.750N\r")
	f.serve(l.Master(), "toledo")
	d := openScale(t, l, &Opts{Protocol: "toledo"})
	if r := await(t, d, "750 g", status(devices.StatusStable, "")); r.Grams != 750 {
		t.Fatalf("reading %+v", r)
	}
	f.set("W", "\x02?B\r")
	await(t, d, "over capacity", status(devices.StatusOverCapacity, ""))
	if err := d.Zero(); err != nil {
		t.Fatalf("Zero: %v", err)
	}
	deadline := time.After(wait)
	for cmd := ""; cmd != "Z"; {
		select {
		case cmd = <-f.seen:
		case <-deadline:
			t.Fatal("scale never got Z")
		}
	}
}

func TestSICSOverPTY(t *testing.T) {
	l := devicestest.NewLine(t)
	f := newFake()
	f.set("SI", "S D      0.400 kg\r\n")
	f.serve(l.Master(), "sics")
	d := openScale(t, l, &Opts{Protocol: "sics", ZeroTimeout: 300 * time.Millisecond})
	if r := await(t, d, "dynamic", status(devices.StatusUnstable, "")); r.Grams != 400 {
		t.Fatalf("reading %+v", r)
	}
	f.set("SI", "S S      0.412 kg\r\n")
	if r := await(t, d, "stable", status(devices.StatusStable, "")); r.Grams != 412 {
		t.Fatalf("reading %+v", r)
	}
	f.set("SI", "S I\r\n")
	await(t, d, "busy", status(devices.StatusNotReady, "busy"))
	f.set("Z", "Z A\r\n")
	if err := d.Zero(); err != nil {
		t.Fatalf("Zero: %v", err)
	}
	f.set("Z", "Z I\r\n")
	var ze *ZeroError
	if err := d.Zero(); !errors.As(err, &ze) {
		t.Fatalf("Zero refused: %v, want *ZeroError", err)
	}
	f.set("Z", "")
	if err := d.Zero(); err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("Zero unanswered: %v", err)
	}
}

func TestScaleUnplugReplug(t *testing.T) {
	l := devicestest.NewLine(t)
	f := newFake()
	f.set("W", "\n01.000KG\r\nS00\r\x03")
	f.serve(l.Master(), "nci")
	d := openScale(t, l, &Opts{})
	await(t, d, "stable", status(devices.StatusStable, ""))

	l.Unplug()
	select {
	case ev := <-d.Conn():
		if ev.Up || ev.Device != "scale" || ev.Err == nil {
			t.Fatalf("event %+v, want scale lost", ev)
		}
	case <-time.After(wait):
		t.Fatal("no lost event")
	}
	await(t, d, "port lost", status(devices.StatusNotReady, "port lost"))

	f.set("W", "\n02.000KG\r\nS00\r\x03")
	l.Replug()
	f.serve(l.Master(), "nci")
	select {
	case ev := <-d.Conn():
		if !ev.Up || ev.Device != "scale" {
			t.Fatalf("event %+v, want scale restored", ev)
		}
	case <-time.After(wait):
		t.Fatal("no restored event")
	}
	if r := await(t, d, "2000 g after replug", status(devices.StatusStable, "")); r.Grams != 2000 {
		t.Fatalf("after replug %+v", r)
	}
}

func TestScaleClose(t *testing.T) {
	l := devicestest.NewLine(t)
	d := openScale(t, l, &Opts{Protocol: "sics"})
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for range d.Readings() {
	}
	if _, ok := <-d.Conn(); ok {
		t.Error("conn not closed")
	}
	if err := d.Zero(); !errors.Is(err, serialport.ErrClosed) {
		t.Errorf("Zero after Close: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(serialport.Opts{Path: "/nonexistent"}, &Opts{Protocol: "dialog06"}); err == nil || !strings.Contains(err.Error(), "dialog06") {
		t.Errorf("bad protocol: %v", err)
	}
	if _, err := Open(serialport.Opts{Path: "/nonexistent"}, nil); err == nil || !strings.HasPrefix(err.Error(), "scale: ") {
		t.Errorf("absent port: %v", err)
	}
}
