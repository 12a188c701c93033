package devicestest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sco-project/sco/internal/testsupport"
)

// Line is a serial device a test plays through a real pseudo-terminal,
// reached by the driver under test at Path, a symlink that survives
// unplug and replug the way /dev/serial/by-id/... does.
type Line struct {
	// Path is the stable path to give the driver.
	Path string
	t    testing.TB
	mu   sync.Mutex
	pty  *testsupport.PTY
}

// NewLine opens a pty and points Path at it.
func NewLine(t testing.TB) *Line {
	t.Helper()
	l := &Line{Path: filepath.Join(t.TempDir(), "tty"), t: t}
	l.Replug()
	return l
}

// Master is the device side of the current pty: write what the device
// sends, read what the driver sent.
func (l *Line) Master() *os.File {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pty.Master
}

// Write sends b from the device to the driver.
func (l *Line) Write(b []byte) (int, error) { return l.Master().Write(b) }

// WriteString sends s from the device, failing the test on error.
func (l *Line) WriteString(s string) {
	l.t.Helper()
	if _, err := l.Master().Write([]byte(s)); err != nil {
		l.t.Fatalf("devicestest: write %q: %v", s, err)
	}
}

// ReadUntil reads what the driver sent until want is seen or d passes.
func (l *Line) ReadUntil(want string, d time.Duration) (string, error) {
	l.mu.Lock()
	p := l.pty
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	got, err := p.ReadUntil(ctx, []byte(want))
	return string(got), err
}

// Unplug hangs up the current pty: the driver sees EIO, as when a USB
// adapter is pulled. Path then points at nothing that opens.
func (l *Line) Unplug() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pty.HangUp()
}

// Replug opens a new pty and atomically re-points Path at it.
func (l *Line) Replug() {
	l.t.Helper()
	p := testsupport.OpenPTY(l.t)
	tmp := fmt.Sprintf("%s.%d", l.Path, time.Now().UnixNano())
	if err := os.Symlink(p.Path, tmp); err != nil {
		l.t.Fatalf("devicestest: %v", err)
	}
	if err := os.Rename(tmp, l.Path); err != nil {
		l.t.Fatalf("devicestest: %v", err)
	}
	l.mu.Lock()
	l.pty = p
	l.mu.Unlock()
}
