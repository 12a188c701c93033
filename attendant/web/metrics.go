package web

import (
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
)

// metrics are the app's counters on /metrics.
type metrics struct {
	signinFailed   atomic.Uint64
	signinLimited  atomic.Uint64
	streamsOpened  atomic.Uint64
	streamsRefused atomic.Uint64

	mu       sync.Mutex
	commands map[string]uint64
}

func (m *metrics) command(action string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.commands == nil {
		m.commands = map[string]uint64{}
	}
	m.commands[action]++
}

// serveMetrics writes the app's metrics in the Prometheus text format,
// then the bridge's (Opts.Metrics).
func (s *Server) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	now := s.now()
	gauge := func(name, help string, v int) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %d\n", name, help, name, name, v)
	}
	counter := func(name, help string, v uint64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	gauge("sco_web_sessions", "Signed-in sessions of the attendant app.", s.sessions.count(now))
	gauge("sco_web_streams", "Open event streams.", s.hub.count())
	gauge("sco_web_devices_on_shift", "Handhelds that are available or busy.", s.devices.online())
	counter("sco_web_signin_failures_total", "Sign-ins refused for a wrong id or PIN.", s.metrics.signinFailed.Load())
	counter("sco_web_signin_limited_total", "Sign-ins refused for too many failures.", s.metrics.signinLimited.Load())
	counter("sco_web_streams_opened_total", "Event streams opened.", s.metrics.streamsOpened.Load())
	counter("sco_web_streams_refused_total", "Event streams refused over a cap.", s.metrics.streamsRefused.Load())
	s.metrics.mu.Lock()
	actions := make([]string, 0, len(s.metrics.commands))
	for a := range s.metrics.commands {
		actions = append(actions, a)
	}
	sort.Strings(actions)
	fmt.Fprintf(w, "# HELP sco_web_actions_total Actions taken in the app, by action.\n# TYPE sco_web_actions_total counter\n")
	for _, a := range actions {
		fmt.Fprintf(w, "sco_web_actions_total{action=%q} %d\n", a, s.metrics.commands[a])
	}
	s.metrics.mu.Unlock()
	if s.extra != nil {
		s.extra(w)
	}
}
