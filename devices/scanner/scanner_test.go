package scanner

import (
	"strings"
	"testing"
	"time"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/devices/devicestest"
	"github.com/sco-project/sco/devices/serialport"
)

const wait = 5 * time.Second

func open(t *testing.T, l *devicestest.Line, o *Opts) *Dev {
	t.Helper()
	d, err := Open(serialport.Opts{Path: l.Path, MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func nextScan(t *testing.T, d *Dev) devices.Scan {
	t.Helper()
	select {
	case s, ok := <-d.Scans():
		if !ok {
			t.Fatal("scans closed")
		}
		return s
	case <-time.After(wait):
		t.Fatal("no scan")
	}
	return devices.Scan{}
}

func nextConn(t *testing.T, d *Dev) devices.ConnEvent {
	t.Helper()
	select {
	case ev := <-d.Conn():
		return ev
	case <-time.After(wait):
		t.Fatal("no conn event")
	}
	return devices.ConnEvent{}
}

func TestScannerOverPTY(t *testing.T) {
	l := devicestest.NewLine(t)
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	d := open(t, l, &Opts{Now: func() time.Time { return at }})

	// Split frames, joined frames, noise in between.
	l.WriteString("]E0500011")
	l.WriteString("2637922\r\n]E4950")
	l.WriteString("12346\r\n\xf8\x80\xfe\x00\r\n")
	l.WriteString(strings.Repeat("7", 300) + "\r\n")
	l.WriteString("\x02]C10109501101530003\x1d10AB\x03")
	for _, want := range []devices.Scan{
		{Data: "5000112637922", AIM: "]E0", At: at},
		{Data: "95012346", AIM: "]E4", At: at},
		{Data: "0109501101530003\x1d10AB", AIM: "]C1", At: at},
	} {
		if got := nextScan(t, d); got != want {
			t.Fatalf("scan %+v, want %+v", got, want)
		}
	}
	// Generic: SetEnabled is a no-op.
	if err := d.SetEnabled(false); err != nil {
		t.Fatal(err)
	}
}

func TestScannerEnableDisable(t *testing.T) {
	l := devicestest.NewLine(t)
	d := open(t, l, &Opts{Model: "datalogic"})
	if err := d.SetEnabled(false); err != nil {
		t.Fatal(err)
	}
	if got, err := l.ReadUntil("D", wait); err != nil || got != "D" {
		t.Fatalf("device got %q, %v; want D", got, err)
	}
	if err := d.SetEnabled(true); err != nil {
		t.Fatal(err)
	}
	if got, err := l.ReadUntil("E", wait); err != nil || got != "E" {
		t.Fatalf("device got %q, %v; want E", got, err)
	}
}

func TestScannerZebraAck(t *testing.T) {
	l := devicestest.NewLine(t)
	d := open(t, l, &Opts{Model: "zebra"})
	if err := d.SetEnabled(false); err != nil {
		t.Fatal(err)
	}
	want := "\x04\xea\x04\x00\xff\x0e"
	if got, err := l.ReadUntil(want, wait); err != nil || got != want {
		t.Fatalf("device got %q, %v", got, err)
	}
	// The ACK is skipped; the scan right behind it is intact.
	l.WriteString("\x04\xd0\x00\x00\xff\x2c]E05000112637922\r\n")
	if got := nextScan(t, d); got.Data != "5000112637922" || got.AIM != "]E0" {
		t.Fatalf("scan %+v", got)
	}
}

func TestScannerUnplugReplug(t *testing.T) {
	l := devicestest.NewLine(t)
	d := open(t, l, &Opts{Model: "datalogic"})
	if err := d.SetEnabled(false); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ReadUntil("D", wait); err != nil {
		t.Fatal(err)
	}
	l.WriteString("]E0500011") // half a frame, then the cable is pulled
	l.Unplug()
	if ev := nextConn(t, d); ev.Up || ev.Device != "scanner" || ev.Err == nil {
		t.Fatalf("event %+v, want scanner lost", ev)
	}
	if err := d.SetEnabled(false); err == nil {
		t.Error("SetEnabled while lost returned nil")
	}
	l.Replug()
	if ev := nextConn(t, d); !ev.Up || ev.Device != "scanner" {
		t.Fatalf("event %+v, want scanner restored", ev)
	}
	// The disable is re-sent to the fresh scanner.
	if got, err := l.ReadUntil("D", wait); err != nil || got != "D" {
		t.Fatalf("after replug device got %q, %v; want D", got, err)
	}
	l.WriteString("2637922\r\n]E401234565\r\n")
	// The half frame from before the unplug is gone: "2637922" is a scan
	// of its own, not the tail of the old one.
	if got := nextScan(t, d); got.Data != "2637922" || got.AIM != "" {
		t.Fatalf("scan %+v", got)
	}
	if got := nextScan(t, d); got.Data != "01234565" {
		t.Fatalf("scan %+v", got)
	}
}

func TestScannerClose(t *testing.T) {
	l := devicestest.NewLine(t)
	d := open(t, l, nil)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, ok := <-d.Scans(); ok {
		t.Error("scans not closed")
	}
	if _, ok := <-d.Conn(); ok {
		t.Error("conn not closed")
	}
	if err := d.SetEnabled(true); err == nil {
		t.Error("SetEnabled after Close returned nil")
	}
}

func TestScannerBadModel(t *testing.T) {
	_, err := Open(serialport.Opts{Path: "/nonexistent"}, &Opts{Model: "acme"})
	if err == nil || !strings.Contains(err.Error(), `scanner: unknown model "acme"`) {
		t.Fatalf("err %v", err)
	}
}
