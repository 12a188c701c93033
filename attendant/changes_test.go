package attendant

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol"
)

// Each closed id and answer is in the Changes after it was set or
// forgotten, and in no later one; the open alerts and the paging history
// are always whole. (The bridge's store tests check that what Changes
// add up to on disk is the dispatcher's State.)
func TestChangesHoldWhatChanged(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	h.raise(t0, "a1", "front", protocol.KindHelp)
	h.cmd(at(time.Second), "ana", "c1", "a1", "claim", "")
	c := h.d.Changes()
	require.Len(t, c.Alerts, 1)
	require.Equal(t, map[string]time.Time{"ana": t0}, c.LastPaged)
	require.Empty(t, c.Closed)
	require.Contains(t, c.Results, "ana/c1")

	h.cancel(at(2*time.Second), "a1")
	c = h.d.Changes()
	require.Empty(t, c.Alerts)
	require.Equal(t, map[string]time.Time{"ana": t0}, c.LastPaged)
	require.Equal(t, map[string]time.Time{"3/a1": at(2 * time.Second)}, c.Closed)
	require.Empty(t, c.Results, "c1's answer was in the last changes")

	h.tick(at(2*time.Second + ClosedTTL + time.Second)) // forgets a1 and c1
	c = h.d.Changes()
	require.Contains(t, c.Closed, "3/a1")
	require.True(t, c.Closed["3/a1"].IsZero(), "forgotten")
	require.Contains(t, c.Results, "ana/c1")
	require.True(t, c.Results["ana/c1"].At.IsZero(), "forgotten")
	c = h.d.Changes()
	require.Empty(t, c.Closed)
	require.Empty(t, c.Results)
}

// Then merges changes whose save failed with the next ones.
func TestChangesThen(t *testing.T) {
	first := Changes{
		Closed:    map[string]time.Time{"a1": t0, "a2": t0},
		Results:   map[string]StoredResult{"ana/c1": {At: t0}},
		LastPaged: map[string]time.Time{"ana": t0},
	}
	later := Changes{
		Alerts:    []AlertState{{Status: protocol.AlertPaged}},
		Closed:    map[string]time.Time{"a2": {}, "a3": at(time.Second)},
		LastPaged: map[string]time.Time{"ben": t0},
	}
	got := first.Then(later)
	require.Equal(t, later.Alerts, got.Alerts, "the later alerts")
	require.Equal(t, later.LastPaged, got.LastPaged, "the later history")
	require.Equal(t, map[string]time.Time{"a1": t0, "a2": {}, "a3": at(time.Second)}, got.Closed, "both, the later where both have one")
	require.Equal(t, first.Results, got.Results)
	require.Equal(t, map[string]time.Time{"a1": t0, "a2": t0}, first.Closed, "first is not changed")
	require.Equal(t, later.Closed, Changes{}.Then(later).Closed)
}
