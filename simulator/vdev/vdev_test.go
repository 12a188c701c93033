package vdev

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.bug.st/serial"

	"github.com/sco-project/sco/internal/testsupport"
)

// open opens a device path the way the drivers do: go.bug.st/serial, by
// path, at the line settings of the protocol.
func open(t *testing.T, path string, mode *serial.Mode) serial.Port {
	t.Helper()
	p, err := serial.Open(path, mode)
	require.NoError(t, err, "open %s", path)
	require.NoError(t, p.SetReadTimeout(50*time.Millisecond))
	t.Cleanup(func() { p.Close() })
	return p
}

var mode7E1 = &serial.Mode{BaudRate: 9600, DataBits: 7, Parity: serial.EvenParity, StopBits: serial.OneStopBit}

// readFrame reads until want's length has arrived (or 5 s pass) and
// returns what came.
func readFrame(t *testing.T, p serial.Port, n int) []byte {
	t.Helper()
	var got []byte
	buf := make([]byte, 64)
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < n && time.Now().Before(deadline) {
		k, err := p.Read(buf)
		require.NoError(t, err)
		got = append(got, buf[:k]...)
	}
	return got
}

func ask(t *testing.T, p serial.Port, cmd, want string) {
	t.Helper()
	_, err := p.Write([]byte(cmd))
	require.NoError(t, err)
	assert.Equal(t, want, string(readFrame(t, p, len(want))), "reply to %q", cmd)
}

func newTestScale(t *testing.T, proto Protocol, o ScaleOpts) (*VirtualScale, *testsupport.Clock) {
	t.Helper()
	c := testsupport.NewClock(t0)
	o.Protocol, o.Now, o.Dir = proto, c.Now, t.TempDir()
	if o.Physics == (PhysicsOpts{}) {
		o.Physics = quiet
	}
	s, err := NewScale(o)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s, c
}

func TestScaleOverPTY(t *testing.T) {
	for _, tc := range []struct {
		proto              Protocol
		poll               string
		empty, moving, got string
	}{
		{NCI, "W\r", "\n00.000KG\r\nS20\r\x03", "\nS10\r\x03", "\n00.355KG\r\nS00\r\x03"},
		{Toledo, "W", "\x0200.000\r", "\x02?A\r", "\x0200.355\r"},
		{SICS, "SI\r\n", "S S     0.000 kg\r\n", "S D     0.000 kg\r\n", "S S     0.355 kg\r\n"},
	} {
		t.Run(string(tc.proto), func(t *testing.T) {
			var mu sync.Mutex
			var cmds []string
			s, c := newTestScale(t, tc.proto, ScaleOpts{OnCommand: func(cmd string) {
				mu.Lock()
				defer mu.Unlock()
				cmds = append(cmds, cmd)
			}})
			assert.Equal(t, filepath.Join(filepath.Dir(s.Path()), "scale"), s.Path())
			p := open(t, s.Path(), mode7E1)
			ask(t, p, tc.poll, tc.empty)
			s.Place(355)
			ask(t, p, tc.poll, tc.moving)
			c.Advance(400 * time.Millisecond)
			ask(t, p, tc.poll, tc.got)
			assert.Equal(t, 355, s.Load())
			mu.Lock()
			assert.Len(t, cmds, 3)
			mu.Unlock()
		})
	}
}

func TestScaleCommandSplitAcrossWrites(t *testing.T) {
	s, _ := newTestScale(t, SICS, ScaleOpts{})
	p := open(t, s.Path(), &serial.Mode{})
	_, err := p.Write([]byte("S"))
	require.NoError(t, err)
	ask(t, p, "I\r\nZ\r\n", "S S     0.000 kg\r\nZ A\r\n")
}

func TestScaleFaults(t *testing.T) {
	seen := make(chan string, 16)
	s, _ := newTestScale(t, NCI, ScaleOpts{OnCommand: func(cmd string) { seen <- cmd }})
	p := open(t, s.Path(), mode7E1)
	s.SetOverCapacity(true)
	ask(t, p, "W\r", "\nS02\r\x03")
	s.SetOverCapacity(false)
	s.SetCannotZero(true)
	ask(t, p, "Z\r", "\nS0p8\r\x03")
	s.SetCannotZero(false)
	ask(t, p, "W\r", "\n00.000KG\r\nS20\r\x03")
	assert.Equal(t, Sample{AtZero: true}, s.Sample())

	// A mute scale answers nothing; the next answer is to the next poll.
	for len(seen) > 0 { // earlier polls were answered, so already reported
		<-seen
	}
	s.SetMute(true)
	_, err := p.Write([]byte("W\r"))
	require.NoError(t, err)
	for cmd := ""; cmd != "W"; {
		select {
		case cmd = <-seen:
		case <-time.After(5 * time.Second):
			t.Fatal("the scale never saw the poll")
		}
	}
	s.SetMute(false)
	ask(t, p, "S\r", "\nS20\r\x03")

	require.NoError(t, s.Garbage([]byte("\xff\x00junk")))
	assert.Equal(t, "\xff\x00junk", string(readFrame(t, p, 6)))
}

func TestUnplugReplug(t *testing.T) {
	s, _ := newTestScale(t, NCI, ScaleOpts{})
	first := s.TTY()
	p := open(t, s.Path(), mode7E1)
	ask(t, p, "W\r", "\n00.000KG\r\nS20\r\x03")

	require.NoError(t, s.Unplug())
	require.NoError(t, s.Unplug(), "unplug twice is a no-op")
	assert.False(t, s.Plugged())
	_, err := os.Lstat(s.Path())
	assert.True(t, errors.Is(err, os.ErrNotExist), "the path is gone while unplugged: %v", err)
	// The driver's port hangs up, as with a pulled USB adapter.
	buf := make([]byte, 16)
	var rerr error
	deadline := time.Now().Add(5 * time.Second)
	for rerr == nil && time.Now().Before(deadline) {
		_, rerr = p.Read(buf)
	}
	require.Error(t, rerr, "reading an unplugged port fails")
	assert.ErrorIs(t, s.Garbage(nil), ErrUnplugged)
	p.Close()

	require.NoError(t, s.Replug())
	assert.True(t, s.Plugged())
	assert.NotEmpty(t, s.TTY())
	t.Logf("pty %s -> %s", first, s.TTY())
	p2 := open(t, s.Path(), mode7E1)
	s.Place(100) // physics survive the unplug
	ask(t, p2, "S\r", "\nS10\r\x03")

	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "close twice is a no-op")
	assert.ErrorIs(t, s.Replug(), ErrClosed)
	_, err = os.Lstat(s.Path())
	assert.True(t, errors.Is(err, os.ErrNotExist))
}

func TestTempDirRemovedOnClose(t *testing.T) {
	s, err := NewScanner(ScannerOpts{})
	require.NoError(t, err)
	dir := filepath.Dir(s.Path())
	_, err = os.Stat(dir)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	_, err = os.Stat(dir)
	assert.True(t, errors.Is(err, os.ErrNotExist))
	_, err = NewScanner(ScannerOpts{Name: "../x"})
	assert.ErrorContains(t, err, `"../x"`)
	_, err = NewScanner(ScannerOpts{Model: "symbol"})
	assert.ErrorContains(t, err, `"symbol"`)
}

func TestScannerOverPTY(t *testing.T) {
	cmds := make(chan []byte, 4)
	s, err := NewScanner(ScannerOpts{Dir: t.TempDir(), Name: "ttyACM0", AIM: true, Suffix: SuffixCRLF,
		OnCommand: func(b []byte) { cmds <- b }})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	p := open(t, s.Path(), &serial.Mode{})

	require.NoError(t, s.Scan("5000112637922", ""))
	want := "]E05000112637922\r\n"
	assert.Equal(t, want, string(readFrame(t, p, len(want))))

	require.NoError(t, s.ScanSplit("96385074", "", 5))
	want = "]E496385074\r\n"
	assert.Equal(t, want, string(readFrame(t, p, len(want))))

	// The host disables scanning (Datalogic D), then enables it (E).
	_, err = p.Write([]byte("D"))
	require.NoError(t, err)
	select {
	case b := <-cmds:
		assert.Equal(t, "D", string(b))
	case <-time.After(5 * time.Second):
		t.Fatal("the scanner did not see the disable command")
	}
	assert.False(t, s.Enabled())
	assert.ErrorIs(t, s.Scan("5000112637922", ""), ErrDisabled)
	_, err = p.Write([]byte("E"))
	require.NoError(t, err)
	select {
	case <-cmds:
	case <-time.After(5 * time.Second):
		t.Fatal("the scanner did not see the enable command")
	}
	require.NoError(t, s.Scan("ABC", "]C0"))
	assert.Equal(t, "]C0ABC\r\n", string(readFrame(t, p, 8)))

	require.NoError(t, s.Garbage(nil))
	got := readFrame(t, p, len(defaultGarbage))
	assert.True(t, bytes.Equal(defaultGarbage, got), "%q", got)
}

func TestScannerModelsObeyTheirCommands(t *testing.T) {
	z, err := NewScanner(ScannerOpts{Dir: t.TempDir(), Model: "zebra"})
	require.NoError(t, err)
	t.Cleanup(func() { z.Close() })
	p := open(t, z.Path(), &serial.Mode{})
	ask(t, p, "\x04\xea\x04\x00\xff\x0e", "\x04\xd0\x04\x00\xff\x28") // SCAN_DISABLE -> CMD_ACK
	assert.False(t, z.Enabled())
	ask(t, p, "\x04\xe9\x04", "")
	ask(t, p, "\x00\xff\x0f", "\x04\xd0\x04\x00\xff\x28") // SCAN_ENABLE split across writes
	assert.True(t, z.Enabled())

	seen := make(chan []byte, 4)
	h, err := NewScanner(ScannerOpts{Dir: t.TempDir(), Model: "honeywell", OnCommand: func(b []byte) { seen <- b }})
	require.NoError(t, err)
	t.Cleanup(func() { h.Close() })
	p = open(t, h.Path(), &serial.Mode{})
	_, err = p.Write([]byte("E\x16U\r"))
	require.NoError(t, err)
	for got := []byte{}; !bytes.Contains(got, []byte("\r")); {
		select {
		case b := <-seen:
			got = append(got, b...)
		case <-time.After(5 * time.Second):
			t.Fatal("the scanner never saw the command")
		}
	}
	assert.False(t, h.Enabled(), "SYN U CR stops a honeywell; the stray E means nothing to it")
}
