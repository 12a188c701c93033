package attendant

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol"
)

func TestCancelWithdrawsEveryPage(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	h.raise(t0, "a1", "front", protocol.KindUnexpectedItem)
	h.tick(at(20 * time.Second))
	require.Equal(t, []string{"withdraw ana a1: cancelled by lane", "withdraw ben a1: cancelled by lane", "withdraw sue a1: cancelled by lane", "record a1 cancelled tier 2 closed", "assist 3 clear"}, h.cancel(at(25*time.Second), "a1"))
	require.Empty(t, h.raise(at(26*time.Second), "a1", "front", protocol.KindUnexpectedItem))
	require.Empty(t, h.cancel(at(27*time.Second), "a1"))
	// A cancel that overtakes its open keeps the id closed.
	require.Empty(t, h.cancel(at(28*time.Second), "a2"))
	require.Empty(t, h.raise(at(29*time.Second), "a2", "front", protocol.KindHelp))
}

// A lane that died between publishing a new alert and journaling it
// comes back without it, and answers the resolution "unknown alert": the
// bridge closes the alert instead of leaving it claimed for ever.
func TestLaneWithoutTheAlertClosesIt(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	h.raise(t0, "a1", "front", protocol.KindHelp)
	h.cmd(at(time.Second), "ana", "c1", "a1", "resolve", protocol.ActionClear)
	require.Equal(t, []string{"result ana c1 ok=false error=alert not open on lane claimed_by=ana", "withdraw ana a1: not open on the lane", "record a1 cancelled tier 1 by ana closed", "assist 3 clear"},
		h.result(at(2*time.Second), "a1:ana:c1", false, "unknown alert a1"))
	_, open := h.d.Alert("a1")
	require.False(t, open)
	require.Empty(t, h.raise(at(3*time.Second), "a1", "front", protocol.KindHelp), "the id stays closed")
}

func TestCancelWhileResolutionPending(t *testing.T) {
	for _, ok := range []bool{true, false} {
		h := newHarness(t, testConfig(t), allAvailable)
		h.raise(t0, "a1", "front", protocol.KindBagTimeout)
		h.cmd(at(time.Second), "ana", "c1", "a1", "resolve", protocol.ActionApprove)
		require.Empty(t, h.cancel(at(2*time.Second), "a1"), "the lane's answer decides")
		got := h.result(at(3*time.Second), "a1:ana:c1", ok, "nothing pending")
		if ok {
			require.Equal(t, []string{"result ana c1 ok=true claimed_by=ana", "withdraw ana a1: resolved", "record a1 resolved tier 1 by ana approve closed", "assist 3 clear"}, got)
		} else {
			require.Equal(t, []string{"result ana c1 ok=false error=alert cancelled by lane claimed_by=ana", "withdraw ana a1: cancelled by lane", "record a1 cancelled tier 1 by ana closed", "assist 3 clear"}, got)
		}
	}
}

func TestLaneAlertChecks(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	_, err := h.d.LaneAlert(t0, "4", alertMsg("a1", "3", "front", protocol.KindHelp, protocol.AlertOpen))
	require.ErrorContains(t, err, `came on lane "4"'s topic`)
	m := alertMsg("a1", "3", "front", protocol.KindHelp, protocol.AlertOpen)
	m.Store = "s2"
	_, err = h.d.LaneAlert(t0, "3", m)
	require.ErrorContains(t, err, `store "s2"`)
	for _, id := range []string{"a/1", "a+", "#", strings.Repeat("x", 129)} {
		_, err = h.d.LaneAlert(t0, "3", alertMsg(id, "3", "front", protocol.KindHelp, protocol.AlertOpen))
		require.ErrorContains(t, err, "cannot be a topic level", id)
	}
	_, err = h.d.Presence(t0, "zed", protocol.Presence{Status: "available"})
	require.ErrorContains(t, err, `"zed"`)
}

func TestAssistWithSeveralAlertsOnALane(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	h.raise(t0, "a1", "front", protocol.KindHelp)
	h.cmd(at(time.Second), "ana", "c1", "a1", "claim", "")
	got := h.raise(at(2*time.Second), "a2", "back", protocol.KindBagTimeout)
	require.Equal(t, "assist 3 claimed tier 1 Ana", got[len(got)-1], "the shopper still sees who is coming")
	h.tick(at(22 * time.Second)) // a2 escalates; ana's claim still shows
	require.Equal(t, []string{"withdraw ben a2: cancelled by lane", "withdraw ana a2: cancelled by lane", "withdraw sue a2: cancelled by lane", "record a2 cancelled tier 2 closed", "assist 3 claimed tier 1 Ana"}, h.cancel(at(23*time.Second), "a2"))
	require.Equal(t, []string{"withdraw ana a1: cancelled by lane", "record a1 cancelled tier 1 by ana closed", "assist 3 clear"}, h.cancel(at(24*time.Second), "a1"))
}

// A lane that restarts while a resolution is on its way re-publishes its
// open alert; the bridge sends the pending command again (same id), so a
// command the broker lost in the lane's session takeover is not lost for
// good. An alert with nothing pending is only deduplicated.
func TestRepublishedAlertResendsPendingCommand(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	h.raise(t0, "a1", "front", protocol.KindBagTimeout)
	require.Empty(t, h.raise(at(time.Second), "a1", "front", protocol.KindBagTimeout), "nothing pending: deduplicated")
	h.cmd(at(2*time.Second), "ana", "c1", "a1", "claim", "")
	require.Equal(t, []string{"command 3 a1 approve by ana id a1:ana:c2"},
		h.cmd(at(3*time.Second), "ana", "c2", "a1", "resolve", protocol.ActionApprove))
	require.Equal(t, []string{"command 3 a1 approve by ana id a1:ana:c2"},
		h.raise(at(9*time.Second), "a1", "front", protocol.KindBagTimeout), "the same command again")
	require.Equal(t, []string{"result ana c2 ok=true claimed_by=ana", "withdraw ana a1: resolved", "record a1 resolved tier 1 by ana approve closed", "assist 3 clear"},
		h.result(at(10*time.Second), "a1:ana:c2", true, ""))
}
