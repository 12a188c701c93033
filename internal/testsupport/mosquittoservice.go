package testsupport

import (
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sco-project/sco/internal/mosquittoproc"
)

// MosquittoWait bounds a MosquittoService's start and its stop on SIGTERM.
const MosquittoWait = 20 * time.Second

// MosquittoService is Mosquitto run on a config file the test wrote, with
// its own listeners and log_dest stderr (a store's broker from the
// shipped snippets, a central broker), handled as systemctl handles the
// mosquitto service: the test starts it, stops it and starts it again on
// the same config and ports, and reloads it. It is stopped when the test
// ends.
type MosquittoService struct {
	t    testing.TB
	name string
	conf string
	bin  string

	mu  sync.Mutex
	b   *mosquittoproc.Broker // nil when stopped
	log *SyncBuffer           // since the last start
}

// NewMosquittoService returns the broker of config file conf, not started;
// name says which it is in failures. When the binary is missing the test
// is skipped, or failed if SCO_REQUIRE_MOSQUITTO=1.
func NewMosquittoService(t testing.TB, name, conf string) *MosquittoService {
	t.Helper()
	m := &MosquittoService{t: t, name: name, conf: conf, bin: needMosquitto(t)}
	t.Cleanup(m.Stop)
	return m
}

// Start starts Mosquitto and returns once it logs that it runs, which it
// does when every listener is open. The test fails when it exits first or
// does not say so within MosquittoWait.
func (m *MosquittoService) Start() {
	m.t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.b != nil {
		m.t.Fatalf("testsupport: %s mosquitto: started twice", m.name)
	}
	m.log = &SyncBuffer{}
	b, err := mosquittoproc.Run(m.conf, mosquittoproc.Opts{Bin: m.bin, Out: m.log, StopWait: MosquittoWait})
	if err != nil {
		m.t.Fatalf("testsupport: %s: %v", m.name, err)
	}
	m.b = b
	select {
	case <-m.log.Seen(" running\n"):
	case <-b.Done():
		m.t.Fatalf("%s mosquitto exited at start (%v):\n%s", m.name, b.Err(), m.log.String())
	case <-time.After(MosquittoWait):
		m.t.Fatalf("%s mosquitto did not say it runs within %v:\n%s", m.name, MosquittoWait, m.log.String())
	}
}

// Stop stops Mosquitto, if it runs, with SIGTERM as systemctl stop does
// (it saves its persistence file), and waits until it has exited. The
// test fails when it had to be killed or had exited by itself with a
// failure.
func (m *MosquittoService) Stop() {
	m.t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.b == nil {
		return
	}
	if err := m.b.Stop(); err != nil {
		m.t.Errorf("testsupport: %s: %v\n%s", m.name, err, m.log.String())
	}
	m.b = nil
}

// Reload sends Mosquitto SIGHUP, as systemctl reload does: it reads its
// config, password file and ACL again.
func (m *MosquittoService) Reload() {
	m.t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.b == nil {
		m.t.Fatalf("testsupport: %s mosquitto: reload before start", m.name)
	}
	if err := m.b.Signal(syscall.SIGHUP); err != nil {
		m.t.Fatalf("testsupport: %s: %v", m.name, err)
	}
}

// Log is what Mosquitto has logged since its last start.
func (m *MosquittoService) Log() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.log == nil {
		return ""
	}
	return m.log.String()
}
