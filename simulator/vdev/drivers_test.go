package vdev_test

// These tests run the real drivers (devices/scale, devices/scanner over
// devices/serialport) against the virtual devices: the simulator is only
// worth something if the code paths kioskd uses accept what it sends.

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/devices/scale"
	"github.com/sco-project/sco/devices/scanner"
	"github.com/sco-project/sco/devices/serialport"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/simulator/vdev"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// waitReading reads the driver's readings until ok accepts one.
func waitReading(t *testing.T, d *scale.Dev, what string, ok func(devices.Reading) bool) devices.Reading {
	t.Helper()
	deadline := time.After(5 * time.Second)
	var last devices.Reading
	for {
		select {
		case r, open := <-d.Readings():
			require.True(t, open, "readings closed while waiting for %s", what)
			if ok(r) {
				return r
			}
			last = r
		case <-deadline:
			t.Fatalf("no %s reading; last was %v", what, last)
		}
	}
}

func waitConn(t *testing.T, ch <-chan devices.ConnEvent, up bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-ch:
			if ev.Up == up {
				return
			}
		case <-deadline:
			t.Fatalf("no connection event with up=%v", up)
		}
	}
}

func status(s devices.Status) func(devices.Reading) bool {
	return func(r devices.Reading) bool { return r.Status == s }
}

func TestRealScaleDriverAgainstVirtualScale(t *testing.T) {
	for _, proto := range []vdev.Protocol{vdev.NCI, vdev.Toledo, vdev.SICS} {
		t.Run(string(proto), func(t *testing.T) {
			c := testsupport.NewClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
			vs, err := vdev.NewScale(vdev.ScaleOpts{Dir: t.TempDir(), Protocol: proto, Now: c.Now, Physics: vdev.PhysicsOpts{Seed: 1}})
			require.NoError(t, err)
			t.Cleanup(func() { vs.Close() })

			po := serialport.Opts{Path: vs.Path(), DataBits: 7, Parity: "even", Logger: quietLog,
				MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}
			d, err := scale.Open(po, &scale.Opts{Protocol: string(proto), PollInterval: 10 * time.Millisecond, Logger: quietLog})
			require.NoError(t, err)
			t.Cleanup(func() { d.Close() })

			waitReading(t, d, "zero", status(devices.StatusZero))
			vs.Place(355)
			waitReading(t, d, "unstable", func(r devices.Reading) bool { return !r.Stable() })
			c.Advance(time.Second)
			r := waitReading(t, d, "stable", status(devices.StatusStable))
			require.InDelta(t, 355, r.Grams, 1, "settled within the stable noise")

			vs.SetOverCapacity(true)
			waitReading(t, d, "over capacity", status(devices.StatusOverCapacity))
			vs.SetOverCapacity(false)
			vs.SetCannotZero(true)
			waitReading(t, d, "zero fault", func(r devices.Reading) bool { return !r.Stable() && r.Status != devices.StatusOverCapacity })
			if proto != vdev.Toledo { // the 8217 does not answer Z: the driver cannot know
				require.Error(t, d.Zero(), "a scale that cannot zero refuses")
			}
			vs.SetCannotZero(false)
			require.NoError(t, d.Zero(), "zeroing 355 g is within range")
			waitReading(t, d, "zero after zeroing", status(devices.StatusZero))

			vs.Remove(355)
			c.Advance(time.Second)
			waitReading(t, d, "under zero", status(devices.StatusUnderZero))

			require.NoError(t, vs.Unplug())
			waitConn(t, d.Conn(), false)
			require.NoError(t, vs.Replug())
			waitConn(t, d.Conn(), true)
			vs.Set(355 + 1000)
			c.Advance(time.Second)
			r = waitReading(t, d, "stable after replug", status(devices.StatusStable))
			require.InDelta(t, 1000, r.Grams, 1)
		})
	}
}

func TestRealScannerDriverAgainstVirtualScanner(t *testing.T) {
	for _, tc := range []struct {
		model  string
		suffix vdev.Suffix
	}{
		{"datalogic", vdev.SuffixCR}, {"datalogic", vdev.SuffixCRLF}, {"datalogic", vdev.SuffixLF},
		{"datalogic", vdev.SuffixSTXETX}, {"honeywell", vdev.SuffixCR}, {"zebra", vdev.SuffixCRLF},
	} {
		t.Run(tc.model+"/"+string(tc.suffix), func(t *testing.T) {
			vs, err := vdev.NewScanner(vdev.ScannerOpts{Dir: t.TempDir(), Suffix: tc.suffix, AIM: true, Model: tc.model})
			require.NoError(t, err)
			t.Cleanup(func() { vs.Close() })
			po := serialport.Opts{Path: vs.Path(), Logger: quietLog,
				MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}
			d, err := scanner.Open(po, &scanner.Opts{Model: tc.model, Logger: quietLog})
			require.NoError(t, err)
			t.Cleanup(func() { d.Close() })

			next := func() devices.Scan {
				t.Helper()
				select {
				case s := <-d.Scans():
					return s
				case <-time.After(5 * time.Second):
					t.Fatal("no scan")
				}
				return devices.Scan{}
			}
			require.NoError(t, vs.Scan("5000112637922", ""))
			s := next()
			require.Equal(t, "5000112637922", s.Data)
			require.Equal(t, "]E0", s.AIM)

			require.NoError(t, vs.Garbage(nil))
			require.NoError(t, vs.ScanSplit("96385074", "", 3))
			s = next()
			require.Equal(t, "96385074", s.Data, "a frame split across reads, after noise")

			require.NoError(t, d.SetEnabled(false))
			require.Eventually(t, func() bool { return !vs.Enabled() }, 5*time.Second, 5*time.Millisecond, "the driver's disable reaches the scanner")
			require.NoError(t, d.SetEnabled(true))
			require.Eventually(t, vs.Enabled, 5*time.Second, 5*time.Millisecond)

			require.NoError(t, vs.Unplug())
			waitConn(t, d.Conn(), false)
			require.NoError(t, vs.Replug())
			waitConn(t, d.Conn(), true)
			require.NoError(t, vs.Scan("ABC-123", "]C0"))
			// A zebra acknowledged both commands; the driver skips the ACKs.
			s = next()
			require.Equal(t, "ABC-123", s.Data)
		})
	}
}
