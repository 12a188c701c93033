package bridge

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/protocol"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// testConfig is a valid bridge config for store s1 with the test roster
// (ana and sue age verifiers, sue a supervisor), data in a temporary
// directory and the default broker.
func testConfig(t testing.TB) *Config {
	t.Helper()
	c := &Config{
		Config: attendant.Config{
			Store: "s1",
			Attendants: []attendant.Attendant{
				{ID: "ana", Name: "Ana", Zone: "front", Roles: []string{"attendant", "age_verifier"}},
				{ID: "ben", Name: "Ben", Zone: "back", Roles: []string{"attendant"}},
				{ID: "sue", Name: "Sue", Zone: "office", Roles: []string{"attendant", "age_verifier", "supervisor"}},
			},
			Escalation: attendant.Escalation{AckTimeout: 20 * time.Second, ClaimTimeout: 3 * time.Minute, Repeat: 2},
			Zones:      map[string]map[string]time.Duration{"front": {"back": 40 * time.Second, "office": 60 * time.Second}},
		},
		DataDir: t.TempDir(),
	}
	require.NoError(t, c.Validate())
	return c
}

// fakeLane drives a started dispatcher, with every attendant available,
// as lane 3 would: what the store's tests save.
type fakeLane struct {
	t testing.TB
	d *attendant.Dispatcher
}

func newFakeLane(t testing.TB, cfg *Config) *fakeLane {
	l := &fakeLane{t: t, d: attendant.NewDispatcher(&cfg.Config)}
	for _, a := range cfg.Attendants {
		_, err := l.d.Presence(t0, a.ID, protocol.Presence{Status: protocol.PresenceAvailable})
		require.NoError(t, err)
	}
	l.d.Start(t0)
	return l
}

func (l *fakeLane) alert(now time.Time, id, status string) {
	_, err := l.d.LaneAlert(now, "3", protocol.Alert{ID: id, Store: "s1", Lane: "3", Zone: "front", Kind: protocol.KindHelp, Status: status, TS: protocol.At(t0)})
	require.NoError(l.t, err)
}

func (l *fakeLane) raise(now time.Time, id string)  { l.alert(now, id, protocol.AlertOpen) }
func (l *fakeLane) cancel(now time.Time, id string) { l.alert(now, id, protocol.AlertCancelled) }
