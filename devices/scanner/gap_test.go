package scanner

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/sco-project/sco/devices/devicestest"
	"github.com/sco-project/sco/devices/serialport"
)

// logSignal is a slog handler that sends each record's message.
type logSignal chan string

func (c logSignal) Enabled(context.Context, slog.Level) bool { return true }
func (c logSignal) Handle(_ context.Context, r slog.Record) error {
	select {
	case c <- r.Message:
	default:
	}
	return nil
}
func (c logSignal) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c logSignal) WithGroup(string) slog.Handler      { return c }

// A half frame is dropped once the line stays quiet for the frame gap,
// not held until the next CR where it would spoil the next scan.
func TestHalfFrameDroppedAfterGap(t *testing.T) {
	for name, half := range map[string]string{
		"a line":              "50001126",
		"an STX frame":        "\x02]E05000",
		"waiting for its LRC": "\x02]E0500011263792\x03",
	} {
		t.Run(name, func(t *testing.T) {
			l := devicestest.NewLine(t)
			logs := make(logSignal, 16)
			o := &Opts{Logger: slog.New(logs), FrameGap: 30 * time.Millisecond}
			if half[len(half)-1] == 0x03 {
				o.LRC = true // the LRC byte never comes
			}
			d := open(t, l, o)
			start := time.Now()
			l.WriteString(half)
			select {
			case msg := <-logs:
				if msg != "scanner frame dropped" {
					t.Fatalf("log %q", msg)
				}
			case <-time.After(wait):
				t.Fatal("the half frame was never dropped")
			}
			if took := time.Since(start); took < 30*time.Millisecond {
				t.Fatalf("dropped after %v, before the gap", took)
			}
			l.WriteString("5000112637922\r")
			if got := nextScan(t, d); got.Data != "5000112637922" {
				t.Fatalf("scan %q, want the whole next barcode", got.Data)
			}
		})
	}
}

func TestFramerPartialAndFlush(t *testing.T) {
	var f Framer
	if f.Partial() {
		t.Fatal("a new framer holds nothing")
	}
	if _, ok := f.Flush(); ok {
		t.Fatal("nothing to flush")
	}
	if out := f.Feed(nil, []byte("12345")); len(out) != 0 || !f.Partial() {
		t.Fatalf("frames %v, partial %v", out, f.Partial())
	}
	fr, ok := f.Flush()
	if !ok || fr.Err != ErrCutOff || string(fr.Raw) != "12345" {
		t.Fatalf("flush %+v %v", fr, ok)
	}
	if f.Partial() {
		t.Fatal("flushed")
	}
	f.Feed(nil, []byte{stx})
	if !f.Partial() {
		t.Fatal("an STX alone is a partial frame")
	}
	if fr, ok := f.Flush(); !ok || fr.Err != ErrCutOff || len(fr.Raw) != 0 {
		t.Fatalf("flush %+v %v", fr, ok)
	}
	// A frame too long was reported already: flushing its tail says nothing.
	f.Feed(nil, make([]byte, MaxFrame+1))
	if _, ok := f.Flush(); ok {
		t.Fatal("reported twice")
	}
	if out := f.Feed(nil, []byte("96385074\r")); len(out) != 1 || out[0].Data != "96385074" {
		t.Fatalf("after a flush: %v", out)
	}
}

func TestFrameGap(t *testing.T) {
	if got := frameGap(serialport.Opts{}); got != MinFrameGap {
		t.Errorf("9600 8N1: %v", got)
	}
	if got, want := frameGap(serialport.Opts{Baud: 300}), 5*(10*time.Second/300); got != want {
		t.Errorf("300 baud: %v, want %v", got, want)
	}
}
