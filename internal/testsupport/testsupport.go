package testsupport

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/creack/pty"

	"github.com/sco-project/sco/internal/broker"
	"github.com/sco-project/sco/internal/mosquittoproc"
	"github.com/sco-project/sco/internal/rawtty"
)

// Mochi starts an embedded broker on a free loopback port and returns it.
// It is stopped when the test ends.
func Mochi(t testing.TB) *broker.Broker {
	t.Helper()
	b, err := broker.Start(broker.Opts{})
	if err != nil {
		t.Fatalf("testsupport: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// Mosquitto is a real Mosquitto broker process run for one test.
type Mosquitto struct {
	Addr string // host:port
	Dir  string // where its config and log live
	// Pid is the broker's process id.
	Pid int
	log *SyncBuffer
}

// URL is the broker address as an MQTT client URL.
func (m *Mosquitto) URL() string { return "tcp://" + m.Addr }

// Log returns what Mosquitto has logged so far.
func (m *Mosquitto) Log() string { return m.log.String() }

// MosquittoBinary finds the mosquitto executable, or returns "".
func MosquittoBinary() string { return mosquittoproc.Find("mosquitto") }

// FreePort is a loopback TCP port that is free at the time of asking, for
// a config that names its listeners' ports.
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := mosquittoproc.FreePort()
	if err != nil {
		t.Fatalf("testsupport: %v", err)
	}
	return port
}

// RequireMosquitto reports whether a missing Mosquitto must fail tests.
func RequireMosquitto() bool { return os.Getenv("SCO_REQUIRE_MOSQUITTO") == "1" }

// StartMosquitto runs Mosquitto on a free loopback port with an anonymous
// listener. extraConf is appended to the generated config (for example
// password_file and acl_file lines, with allow_anonymous false to
// override). The broker is stopped by its pid when the test ends. When
// the binary is missing the test is skipped, or failed if
// SCO_REQUIRE_MOSQUITTO=1.
func StartMosquitto(t testing.TB, extraConf string) *Mosquitto {
	t.Helper()
	bin := needMosquitto(t)
	m := &Mosquitto{Dir: t.TempDir(), log: &SyncBuffer{}}
	conf := func(port int) (string, error) {
		c := fmt.Sprintf("listener %d 127.0.0.1\npersistence false\nset_tcp_nodelay true\nlog_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\nlog_type information\n", port)
		if !strings.Contains(extraConf, "allow_anonymous") {
			c += "allow_anonymous true\n"
		}
		return c + extraConf + "\n", nil
	}
	b, err := mosquittoproc.Start(context.Background(), mosquittoproc.Opts{Bin: bin, Dir: m.Dir, Conf: conf, Out: m.log})
	if err != nil {
		t.Fatalf("testsupport: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Stop(); err != nil {
			t.Errorf("testsupport: %v", err)
		}
	})
	m.Addr, m.Pid = b.Addr, b.Pid
	return m
}

// needMosquitto returns the mosquitto executable; when there is none it
// skips the test, or fails it if SCO_REQUIRE_MOSQUITTO=1.
func needMosquitto(t testing.TB) string {
	t.Helper()
	bin := MosquittoBinary()
	if bin == "" {
		if RequireMosquitto() {
			t.Fatal("testsupport: mosquitto not found and SCO_REQUIRE_MOSQUITTO=1 (install Debian's mosquitto package; scripts/test.sh does)")
		}
		t.Skip("testsupport: mosquitto not installed")
	}
	return bin
}

// PTY is a pseudo-terminal pair. The device under test opens Path (the
// /dev/pts/N side) with go.bug.st/serial, exactly as it would open
// /dev/ttyUSB0; the test plays the device on Master.
type PTY struct {
	Master *os.File
	Path   string
	slave  *os.File
	once   sync.Once
}

// OpenPTY opens a pseudo-terminal pair in raw mode. The slave side stays
// open in the test (so the pty does not hang up before the driver opens
// it) until HangUp or the end of the test.
func OpenPTY(t testing.TB) *PTY {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Fatalf("testsupport: open pty: %v", err)
	}
	if master, err = rawtty.Pollable(master); err != nil {
		slave.Close()
		t.Fatalf("testsupport: pty: %v", err)
	}
	if err := rawtty.MakeRaw(slave); err != nil {
		master.Close()
		slave.Close()
		t.Fatalf("testsupport: raw pty: %v", err)
	}
	p := &PTY{Master: master, Path: slave.Name(), slave: slave}
	t.Cleanup(func() { p.HangUp(); p.slave.Close() })
	return p
}

// HangUp closes the master side: a driver reading the slave sees EIO, as it
// would when a USB serial adapter is unplugged. Safe to call twice.
func (p *PTY) HangUp() {
	p.once.Do(func() { p.Master.Close() })
}

// ReadUntil reads from the master side until want has been seen or the
// deadline passes, and returns everything read.
func (p *PTY) ReadUntil(ctx context.Context, want []byte) ([]byte, error) {
	var got []byte
	buf := make([]byte, 256)
	for !bytes.Contains(got, want) {
		if dl, ok := ctx.Deadline(); ok {
			_ = p.Master.SetReadDeadline(dl)
		}
		n, err := p.Master.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			return got, fmt.Errorf("testsupport: waiting for %q, got %q: %w", want, got, err)
		}
	}
	return got, nil
}

// SyncBuffer is a buffer that goroutines may write and read at once: a
// process's or a logger's output that a test reads while it runs, and
// waits on (Seen). The zero value is an empty buffer.
type SyncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	waiters []textWaiter
}

type textWaiter struct {
	text []byte
	seen chan struct{}
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.b.Write(p)
	waiting := s.waiters[:0]
	for _, w := range s.waiters {
		if bytes.Contains(s.b.Bytes(), w.text) {
			close(w.seen)
		} else {
			waiting = append(waiting, w)
		}
	}
	s.waiters = waiting
	return n, err
}

// Seen returns a channel that is closed once text has been written: at
// once if it has been already. A test waits on it with a deadline, and
// on the writer's exit.
func (s *SyncBuffer) Seen(text string) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan struct{})
	if bytes.Contains(s.b.Bytes(), []byte(text)) {
		close(ch)
	} else {
		s.waiters = append(s.waiters, textWaiter{[]byte(text), ch})
	}
	return ch
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
