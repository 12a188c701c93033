package serialport_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.bug.st/serial"
	"go.bug.st/serial/enumerator"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/devices/devicestest"
	"github.com/sco-project/sco/devices/serialport"
)

const wait = 5 * time.Second

func TestMode(t *testing.T) {
	for _, tc := range []struct {
		o    serialport.Opts
		want serial.Mode
		err  string
	}{
		{serialport.Opts{}, serial.Mode{BaudRate: 9600, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit}, ""},
		{serialport.Opts{Baud: 19200, DataBits: 7, Parity: "even", StopBits: 1}, serial.Mode{BaudRate: 19200, DataBits: 7, Parity: serial.EvenParity}, ""},
		{serialport.Opts{DataBits: 7, Parity: "Odd", StopBits: 2}, serial.Mode{BaudRate: 9600, DataBits: 7, Parity: serial.OddParity, StopBits: serial.TwoStopBits}, ""},
		{serialport.Opts{Baud: -1}, serial.Mode{}, "baud -1"},
		{serialport.Opts{DataBits: 9}, serial.Mode{}, "data bits 9"},
		{serialport.Opts{Parity: "sometimes"}, serial.Mode{}, `parity "sometimes"`},
		{serialport.Opts{StopBits: 3}, serial.Mode{}, "stop bits 3"},
	} {
		m, err := tc.o.Mode()
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "serialport: ") {
				t.Errorf("Mode(%+v) error %v, want %q", tc.o, err, tc.err)
			}
			continue
		}
		if err != nil || *m != tc.want {
			t.Errorf("Mode(%+v) = %+v, %v; want %+v", tc.o, m, err, tc.want)
		}
	}
}

func TestParseUSB(t *testing.T) {
	id, err := serialport.ParseUSB("05F9:4204:S123")
	if err != nil || id != (serialport.USBID{VID: "05f9", PID: "4204", Serial: "S123"}) {
		t.Fatalf("serialport.ParseUSB = %+v, %v", id, err)
	}
	if !id.Match(&enumerator.PortDetails{IsUSB: true, VID: "05F9", PID: "4204", SerialNumber: "S123"}) {
		t.Error("no match on same id")
	}
	if id.Match(&enumerator.PortDetails{IsUSB: true, VID: "05F9", PID: "4204", SerialNumber: "S124"}) {
		t.Error("match on other serial")
	}
	for _, bad := range []string{"", "05f9", "05f9:xyz1", "12345:0001", "05f9:4204:"} {
		if _, err := serialport.ParseUSB(bad); err == nil {
			t.Errorf("serialport.ParseUSB(%q) accepted", bad)
		}
	}
	if _, err := serialport.Open(serialport.Opts{USB: "ffff:fffe:none"}); err == nil || !strings.Contains(err.Error(), "no serial port with usb id ffff:fffe:none") {
		t.Errorf("serialport.Open of absent usb id: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := serialport.Open(serialport.Opts{}); err == nil {
		t.Error("serialport.Open with no path accepted")
	}
	if _, err := serialport.Open(serialport.Opts{Path: "/nonexistent/tty", Parity: "x"}); err == nil || !strings.Contains(err.Error(), "parity") {
		t.Errorf("bad parity: %v", err)
	}
	if _, err := serialport.Open(serialport.Opts{Path: "/nonexistent/tty"}); err == nil || !strings.Contains(err.Error(), "/nonexistent/tty") {
		t.Errorf("absent path: %v", err)
	}
}

func readN(t *testing.T, p *serialport.Port, n int) string {
	t.Helper()
	var got []byte
	buf := make([]byte, 64)
	for len(got) < n {
		k, err := p.ReadWithin(buf, wait)
		if err != nil {
			t.Fatalf("read after %q: %v", got, err)
		}
		if k == 0 {
			t.Fatal("ReadWithin returned no data and no error")
		}
		got = append(got, buf[:k]...)
	}
	return string(got)
}

func nextEvent(t *testing.T, c <-chan devices.ConnEvent) devices.ConnEvent {
	t.Helper()
	select {
	case ev, ok := <-c:
		if !ok {
			t.Fatal("conn channel closed")
		}
		return ev
	case <-time.After(wait):
		t.Fatal("no connection event")
	}
	return devices.ConnEvent{}
}

func fastOpts(path string) serialport.Opts {
	return serialport.Opts{Path: path, Name: "dev", DataBits: 7, Parity: "even", MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}
}

func TestReadWriteTimeout(t *testing.T) {
	l := devicestest.NewLine(t)
	p, err := serialport.Open(fastOpts(l.Path))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.String() != "dev" || !p.Up() {
		t.Errorf("String %q Up %v", p, p.Up())
	}
	// A quiet line is a timeout, never (0, nil).
	buf := make([]byte, 8)
	if n, err := p.ReadWithin(buf, 120*time.Millisecond); n != 0 || !errors.Is(err, serialport.ErrTimeout) {
		t.Fatalf("quiet line: %d, %v; want serialport.ErrTimeout", n, err)
	}
	l.WriteString("W\r")
	if got := readN(t, p, 2); got != "W\r" {
		t.Errorf("read %q", got)
	}
	if _, err := p.Write([]byte("Z\r")); err != nil {
		t.Fatal(err)
	}
	if got, err := l.ReadUntil("Z\r", wait); err != nil {
		t.Fatalf("device read %q: %v", got, err)
	}
}

func TestUnplugReplug(t *testing.T) {
	l := devicestest.NewLine(t)
	p, err := serialport.Open(fastOpts(l.Path))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	l.WriteString("a")
	if got := readN(t, p, 1); got != "a" {
		t.Fatalf("read %q", got)
	}

	l.Unplug()
	buf := make([]byte, 8)
	if _, err := p.Read(buf); !errors.Is(err, serialport.ErrLost) {
		t.Fatalf("Read after unplug: %v, want serialport.ErrLost", err)
	}
	ev := nextEvent(t, p.Conn())
	if ev.Up || ev.Device != "dev" || ev.Err == nil || ev.At.IsZero() {
		t.Fatalf("event %+v, want lost with error", ev)
	}
	if _, err := p.Write([]byte("W\r")); !errors.Is(err, serialport.ErrLost) {
		t.Errorf("Write while lost: %v, want serialport.ErrLost", err)
	}
	if _, err := p.ReadWithin(buf, time.Second); !errors.Is(err, serialport.ErrLost) {
		t.Errorf("ReadWithin while lost: %v, want serialport.ErrLost", err)
	}

	// Read blocks while lost and resumes after replug.
	got := make(chan string, 1)
	go func() {
		n, err := p.Read(buf)
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		got <- string(buf[:n])
	}()
	l.Replug()
	if ev := nextEvent(t, p.Conn()); !ev.Up || ev.Err != nil {
		t.Fatalf("event %+v, want restored", ev)
	}
	l.WriteString("b")
	select {
	case s := <-got:
		if s != "b" {
			t.Fatalf("after replug read %q", s)
		}
	case <-time.After(wait):
		t.Fatal("no data after replug")
	}
	if _, err := p.Write([]byte("W\r")); err != nil {
		t.Fatalf("write after replug: %v", err)
	}
	if s, err := l.ReadUntil("W\r", wait); err != nil {
		t.Fatalf("device got %q: %v", s, err)
	}
}

func TestAllowAbsent(t *testing.T) {
	l := devicestest.NewLine(t)
	l.Unplug()
	o := fastOpts(l.Path)
	o.AllowAbsent = true
	p, err := serialport.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if ev := nextEvent(t, p.Conn()); ev.Up || ev.Err == nil {
		t.Fatalf("event %+v, want lost", ev)
	}
	l.Replug()
	if ev := nextEvent(t, p.Conn()); !ev.Up {
		t.Fatalf("event %+v, want restored", ev)
	}
	l.WriteString("x")
	if got := readN(t, p, 1); got != "x" {
		t.Fatalf("read %q", got)
	}
}

func TestCloseUnblocksAndIsIdempotent(t *testing.T) {
	l := devicestest.NewLine(t)
	p, err := serialport.Open(fastOpts(l.Path))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := p.Read(make([]byte, 8))
		done <- err
	}()
	// Close while the reader blocks (it may not have started yet; either
	// way it must end with serialport.ErrClosed).
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, serialport.ErrClosed) {
			t.Fatalf("Read after Close: %v", err)
		}
	case <-time.After(wait):
		t.Fatal("Close did not unblock Read")
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := p.Write([]byte("x")); !errors.Is(err, serialport.ErrClosed) {
		t.Errorf("Write after Close: %v", err)
	}
	if _, ok := <-p.Conn(); ok {
		t.Error("Conn not closed")
	}
}

func TestCloseWhileLost(t *testing.T) {
	l := devicestest.NewLine(t)
	p, err := serialport.Open(fastOpts(l.Path))
	if err != nil {
		t.Fatal(err)
	}
	l.Unplug()
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, 8)
		for {
			if _, err := p.Read(buf); errors.Is(err, serialport.ErrClosed) {
				done <- err
				return
			}
		}
	}()
	if ev := nextEvent(t, p.Conn()); ev.Up {
		t.Fatalf("event %+v, want lost", ev)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("Close did not unblock a reader waiting for the port to return")
	}
}

func TestCharTime(t *testing.T) {
	for _, c := range []struct {
		o    serialport.Opts
		want time.Duration
	}{
		{serialport.Opts{}, 10 * time.Second / 9600},                                        // 9600 8N1
		{serialport.Opts{Baud: 9600, DataBits: 7, Parity: "even"}, 10 * time.Second / 9600}, // 7E1
		{serialport.Opts{Baud: 9600, DataBits: 8, Parity: "odd", StopBits: 2}, 12 * time.Second / 9600},
		{serialport.Opts{Baud: 115200}, 10 * time.Second / 115200},
	} {
		if got := c.o.CharTime(); got != c.want {
			t.Errorf("%+v: %v, want %v", c.o, got, c.want)
		}
	}
}
