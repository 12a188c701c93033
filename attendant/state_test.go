package attendant

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol"
)

func TestRestoreRepagesOpenAlerts(t *testing.T) {
	cfg := testConfig(t)
	h := newHarness(t, cfg, allAvailable)
	h.raise(t0, "a1", "front", protocol.KindHelp)
	h.tick(at(20 * time.Second))
	h.raise(at(21*time.Second), "a2", "back", protocol.KindBagTimeout)
	h.cmd(at(22*time.Second), "ben", "c1", "a2", "resolve", protocol.ActionVoid)

	b, err := json.Marshal(h.d.State())
	require.NoError(t, err)
	var s State
	require.NoError(t, json.Unmarshal(b, &s))

	d := NewDispatcher(cfg)
	d.Restore(s)
	// Before Start nothing is paged; presence arrives first.
	for _, id := range []string{"ana", "sue"} {
		fx, err := d.Presence(at(30*time.Second), id, protocol.Presence{Status: "available"})
		require.NoError(t, err)
		require.Empty(t, fxLines(fx))
	}
	require.Equal(t, []string{
		"page ana a1 tier 2", "page sue a1 tier 2", "record a1 paged tier 2", "assist 3 claimed tier 1 Ben", // a2 on the same lane is claimed
		"command 3 a2 void by ben id a2:ben:c1",
	}, fxLines(d.Start(at(31*time.Second))))
	// The deadline is the restarted tier's.
	dl, _ := d.NextDeadline()
	require.Equal(t, at(51*time.Second), dl)
	// The pending resolution completes after the restart.
	fx, err := d.LaneResult(at(32*time.Second), "3", protocol.CommandResult{ID: "a2:ben:c1", OK: true})
	require.NoError(t, err)
	require.Contains(t, fxLines(fx), "record a2 resolved tier 1 by ben void closed")
}

func TestForgetsOldIDs(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	h.raise(t0, "a1", "front", protocol.KindHelp)
	require.Equal(t, []string{"result ana c1 ok=true claimed_by=ana", "record a1 claimed tier 1 by ana", "assist 3 claimed tier 1 Ana"}, h.cmd(at(time.Second), "ana", "c1", "a1", "claim", ""))
	h.cancel(at(2*time.Second), "a1")
	require.Equal(t, []string{"result ana c1 ok=true claimed_by=ana"}, h.cmd(at(ResultTTL), "ana", "c1", "a1", "claim", ""), "a duplicate within ResultTTL gets the first answer")
	h.tick(at(ResultTTL + 2*time.Second))
	require.Equal(t, []string{"result ana c1 ok=false error=alert closed"}, h.cmd(at(ResultTTL+3*time.Second), "ana", "c1", "a1", "claim", ""), "after ResultTTL the id is new")
	require.Empty(t, h.raise(at(ClosedTTL), "a1", "front", protocol.KindHelp))
	h.tick(at(ClosedTTL + 3*time.Second))
	require.Equal(t, "page ana a1 tier 1", h.raise(at(ClosedTTL+4*time.Second), "a1", "front", protocol.KindHelp)[0], "after ClosedTTL the id is new")
}
