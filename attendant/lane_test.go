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
	for _, id := range []string{"a/1", "a+", "#", "a b", strings.Repeat("x", 129)} {
		fx, err := h.d.LaneAlert(t0, "3", alertMsg(id, "3", "front", protocol.KindHelp, protocol.AlertOpen))
		require.ErrorContains(t, err, "bad id", id)
		require.Empty(t, fxLines(fx))
	}
	fx, err := h.d.LaneResult(t0, "3", protocol.CommandResult{ID: strings.Repeat("x", 200), OK: true})
	require.ErrorContains(t, err, "command result: bad id")
	require.Empty(t, fxLines(fx))
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

// An alert belongs to the lane that raised it: another lane can neither
// cancel it nor re-raise it, closed ids are kept by lane, and a lane has
// at most limits.open_alerts_per_lane open alerts.
func TestAlertOwnership(t *testing.T) {
	cfg := testConfig(t)
	cfg.Limits.OpenAlertsPerLane = 2
	h := newHarness(t, cfg, allAvailable)
	lane := func(now time.Time, lane, id, status string) ([]string, error) {
		fx, err := h.d.LaneAlert(now, lane, alertMsg(id, lane, "front", protocol.KindHelp, status))
		return fxLines(fx), err
	}
	h.raise(t0, "a1", "front", protocol.KindHelp) // lane 3
	got, err := lane(at(time.Second), "4", "a1", protocol.AlertCancelled)
	require.ErrorContains(t, err, "lane 4 sent alert a1 cancelled, which lane 3 raised: ignored")
	require.Empty(t, got)
	_, open := h.d.Alert("a1")
	require.True(t, open, "lane 4 cannot cancel lane 3's alert")
	_, err = lane(at(time.Second), "4", "a1", protocol.AlertOpen)
	require.ErrorContains(t, err, "which lane 3 raised")
	// Closed ids by lane: lane 4 closing an id keeps it closed for lane
	// 4 only.
	_, err = lane(at(2*time.Second), "4", "b1", protocol.AlertCancelled)
	require.NoError(t, err)
	got, err = lane(at(3*time.Second), "3", "b1", protocol.AlertOpen)
	require.NoError(t, err)
	require.Equal(t, "page ana b1 tier 1", got[0], "lane 4's cancel does not keep lane 3's alert closed")
	// Lane 3 has two open alerts now: a third is refused.
	got, err = lane(at(4*time.Second), "3", "c1", protocol.AlertOpen)
	require.ErrorContains(t, err, "lane 3 alert c1 ignored: the lane has 2 open alerts")
	require.Empty(t, got)
	_, open = h.d.Alert("c1")
	require.False(t, open)
	got, err = lane(at(4*time.Second), "4", "c2", protocol.AlertOpen)
	require.NoError(t, err)
	require.NotEmpty(t, got, "another lane is not limited by lane 3")
	// Once lane 3 has fewer, the alert it publishes again is paged.
	h.cancel(at(5*time.Second), "a1")
	got, err = lane(at(6*time.Second), "3", "c1", protocol.AlertOpen)
	require.NoError(t, err)
	require.NotEmpty(t, got)
}

// Reconcile (issue 15.4): an open alert that the lane's retained state
// no longer lists, and that has nothing pending, was cancelled on a
// message the bridge never got: it is closed as cancelled. A lane that
// answers a resolution "already cancelled" closes it too.
func TestReconcileWithLaneState(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	h.raise(t0, "a1", "front", protocol.KindHelp)
	h.raise(t0, "a2", "front", protocol.KindBagTimeout)
	h.raise(t0, "a3", "front", protocol.KindBagTimeout)
	fx, err := h.d.LaneAlert(t0, "4", alertMsg("b1", "4", "back", protocol.KindHelp, protocol.AlertOpen))
	require.NoError(t, err)
	require.NotEmpty(t, fx.Pages)
	h.cmd(at(time.Second), "ana", "c1", "a2", "resolve", protocol.ActionApprove) // pending at the lane
	state := func(now time.Time, online bool, alerts ...string) []string {
		fx, err := h.d.Handle(now, "sco/v1/s1/lane/3/state", protocol.Encode(protocol.LaneState{Store: "s1", Lane: "3", Online: online, State: protocol.StateShopping, Alerts: alerts}))
		require.NoError(t, err)
		return fxLines(fx)
	}
	require.Empty(t, state(at(2*time.Second), true, "a1", "a2", "a3"))
	require.Empty(t, state(at(3*time.Second), false), "a lane that is offline keeps its alerts")
	fx, err = h.d.Handle(at(3*time.Second), "sco/v1/s1/lane/3/state", nil)
	require.NoError(t, err)
	require.Empty(t, fxLines(fx), "a cleared retained state changes nothing")
	require.Equal(t, []string{"withdraw ana a1: cancelled by lane", "record a1 cancelled tier 1 closed", "assist 3 claimed tier 1 Ana"},
		state(at(4*time.Second), true, "a3"), "a1 closed; a2 has a resolution pending; lane 4's b1 is not lane 3's to list")
	_, open := h.d.Alert("b1")
	require.True(t, open)
	require.Empty(t, h.raise(at(5*time.Second), "a1", "front", protocol.KindHelp), "closed")
	// The lane answers the pending resolution: already cancelled.
	require.Equal(t, []string{"result ana c1 ok=false error=alert cancelled by lane claimed_by=ana", "withdraw ana a2: cancelled by lane", "record a2 cancelled tier 1 by ana closed", "assist 3 paged tier 1 "},
		h.result(at(6*time.Second), "a2:ana:c1", false, "alert a2 is already cancelled"))
	_, err = h.d.LaneState(at(7*time.Second), "4", protocol.LaneState{Lane: "3", Online: true})
	require.ErrorContains(t, err, `came on lane "4"'s topic`)
}
