package attendant

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol"
)

func (h *harness) send(now time.Time, who string, c protocol.PagerCmd) []string {
	fx, _ := h.d.PagerCmd(now, who, c)
	return fxLines(fx)
}

// arrive: the claimer is at the lane; the time is kept in the alert's
// state, and tier 1 walks from that lane's zone afterwards. Anyone else
// holding it is refused; arriving at an alert nobody holds claims it.
func TestArrive(t *testing.T) {
	h := newHarness(t, testConfig(t), map[string]string{"ana": "available", "ben": "available", "sue": "busy"})
	h.raise(t0, "a1", "office", protocol.KindHelp) // ana: front-office 60s, ben: back-office unlisted, 60s too; ana by roster order
	h.raise(t0, "a2", "back", protocol.KindHelp)   // ben
	h.cmd(at(time.Second), "ana", "c1", "a1", "claim", "")
	require.Equal(t, []string{"result ben b1 ok=false error=not paged for this alert claimed_by=ana"}, h.cmd(at(2*time.Second), "ben", "b1", "a1", "arrive", ""))
	h.tick(at(20 * time.Second)) // a2 at tier 2: ana and ben
	require.Equal(t, []string{"result ana c2 ok=true claimed_by=ana", "assist 3 arrived tier 1 Ana"}, h.cmd(at(50*time.Second), "ana", "c2", "a1", "arrive", ""))
	st, _ := h.d.Alert("a1")
	require.Equal(t, at(50*time.Second), st.Arrived)
	require.Equal(t, []string{"result ana c2 ok=true claimed_by=ana"}, h.cmd(at(51*time.Second), "ana", "c2", "a1", "arrive", ""), "a duplicate")
	st, _ = h.d.Alert("a1")
	require.Equal(t, at(50*time.Second), st.Arrived, "a duplicate changes nothing")
	// Arriving at a page nobody claimed claims it.
	require.Equal(t, []string{"result ben b3 ok=true claimed_by=ben", "withdraw ana a2: claimed by ben", "record a2 claimed tier 2 by ben", "assist 3 arrived tier 1 Ana", "assist 3 arrived tier 1 Ana"},
		h.cmd(at(52*time.Second), "ben", "b3", "a2", "arrive", ""))
	require.Equal(t, []string{"result ana c4 ok=false error=already claimed claimed_by=ben"}, h.cmd(at(52*time.Second), "ana", "c4", "a2", "arrive", ""))
	for _, c := range []struct{ who, id, alert string }{{"ana", "c3", "a1"}, {"ben", "b4", "a2"}} {
		h.cmd(at(53*time.Second), c.who, c.id, c.alert, "resolve", protocol.ActionClear)
		h.result(at(53*time.Second), laneCmdID(c.alert, c.who, c.id), true, "")
	}
	// Ana is in the office now, 60s from the front; Ben in the back, 40s.
	require.Equal(t, "page ben a3 tier 1", h.raise(at(54*time.Second), "a3", "front", protocol.KindHelp)[0])
}

// lane: a supervisor takes a lane out of service (or back); the lane is
// sent a command without an alert, and the supervisor is answered when
// the lane answers, or "lane: no answer" after LaneOpTimeout.
func TestLaneCommand(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	oos := protocol.PagerCmd{ID: "s1", Action: protocol.PagerLane, Lane: "4", Resolution: protocol.ActionOutOfService}
	require.Equal(t, []string{"result sue s0 ok=false error=unknown lane"}, h.send(t0, "sue", protocol.PagerCmd{ID: "s0", Action: protocol.PagerLane, Lane: "4", Resolution: protocol.ActionOutOfService}),
		"a lane the bridge has never had a state from")
	for _, lane := range []string{"4", "5"} {
		_, err := h.d.LaneState(t0, lane, protocol.LaneState{Lane: lane, Online: lane == "4"})
		require.NoError(t, err)
	}
	require.Equal(t, []string{"result ben b1 ok=false error=role required: lane needs supervisor"},
		h.send(t0, "ben", protocol.PagerCmd{ID: "b1", Action: protocol.PagerLane, Lane: "4", Resolution: protocol.ActionOutOfService}))
	require.Equal(t, []string{"command 4  out_of_service by sue id lane.4:sue:s1"}, h.send(t0, "sue", oos))
	require.Empty(t, h.send(at(time.Second), "sue", oos), "a duplicate: answered when the lane answers")
	require.Equal(t, []string{"result sue s2 ok=false error=resolution pending"},
		h.send(at(time.Second), "sue", protocol.PagerCmd{ID: "s2", Action: protocol.PagerLane, Lane: "4", Resolution: protocol.ActionInService}))
	fx, err := h.d.LaneResult(at(2*time.Second), "3", protocol.CommandResult{ID: "lane.4:sue:s1", OK: true})
	require.NoError(t, err)
	require.Empty(t, fxLines(fx), "lane 3 cannot answer for lane 4")
	fx, err = h.d.LaneResult(at(2*time.Second), "4", protocol.CommandResult{ID: "lane.4:sue:s1", OK: true})
	require.NoError(t, err)
	require.Equal(t, []string{"result sue s1 ok=true"}, fxLines(fx))
	require.Equal(t, []string{"result sue s1 ok=true"}, h.send(at(3*time.Second), "sue", oos), "the same answer again")

	// Survives a restart, is sent again on Start, and times out.
	inService := protocol.PagerCmd{ID: "s3", Action: protocol.PagerLane, Lane: "4", Resolution: protocol.ActionInService}
	require.Equal(t, []string{"command 4  in_service by sue id lane.4:sue:s3"}, h.send(at(4*time.Second), "sue", inService))
	d := NewDispatcher(h.d.cfg)
	d.Restore(h.d.State())
	require.Equal(t, []string{"command 4  in_service by sue id lane.4:sue:s3"}, fxLines(d.Start(at(5*time.Second))))
	dl, ok := d.NextDeadline()
	require.True(t, ok)
	require.Equal(t, at(4*time.Second+LaneOpTimeout), dl)
	require.Empty(t, fxLines(d.Tick(dl.Add(-time.Millisecond))))
	require.Equal(t, []string{"result sue s3 ok=false error=lane: no answer"}, fxLines(d.Tick(dl)))
	// A refusal is the lane's reason.
	h.send(at(6*time.Second), "sue", protocol.PagerCmd{ID: "s4", Action: protocol.PagerLane, Lane: "5", Resolution: protocol.ActionInService})
	fx, _ = h.d.LaneResult(at(7*time.Second), "5", protocol.CommandResult{ID: "lane.5:sue:s4", Error: "not out of service"})
	require.Equal(t, []string{"result sue s4 ok=false error=lane: not out of service"}, fxLines(fx))
	require.Equal(t, []string{`result sue s5 ok=false error=bad command: pager cmd s5: a lane command's resolution is out_of_service or in_service, not "clear"`},
		h.send(at(8*time.Second), "sue", protocol.PagerCmd{ID: "s5", Action: protocol.PagerLane, Lane: "5", Resolution: protocol.ActionClear}))
}

// The console's "escalate now": supervisors only, unclaimed alerts only.
func TestEscalateNow(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	h.raise(t0, "a1", "front", protocol.KindHelp)
	_, err := h.d.EscalateNow(at(time.Second), "ben", "a1")
	require.ErrorIs(t, err, protocol.ErrRoleRequired)
	_, err = h.d.EscalateNow(at(time.Second), "sue", "nope")
	require.ErrorIs(t, err, protocol.ErrUnknownAlert)
	_, err = h.d.EscalateNow(at(time.Second), "zed", "a1")
	require.ErrorIs(t, err, protocol.ErrUnknownAttendant)
	fx, err := h.d.EscalateNow(at(time.Second), "sue", "a1")
	require.NoError(t, err)
	require.Equal(t, []string{"page ana a1 tier 2", "page ben a1 tier 2", "page sue a1 tier 2", "record a1 paged tier 2", "assist 3 paged tier 2 "}, fxLines(fx))
	dl, _ := h.d.NextDeadline()
	require.Equal(t, at(21*time.Second), dl, "the new tier's ack_timeout")
	fx, _ = h.d.EscalateNow(at(2*time.Second), "sue", "a1")
	require.Equal(t, "page ana a1 tier 3", fxLines(fx)[0])
	fx, _ = h.d.EscalateNow(at(3*time.Second), "sue", "a1")
	require.Equal(t, "page ana a1 tier 3", fxLines(fx)[0], "at tier 3 it pages tier 3 again")
	h.cmd(at(4*time.Second), "ben", "c1", "a1", "claim", "")
	_, err = h.d.EscalateNow(at(5*time.Second), "sue", "a1")
	require.ErrorIs(t, err, protocol.ErrAlreadyClaimed)
	h.cancel(at(6*time.Second), "a1")
	_, err = h.d.EscalateNow(at(7*time.Second), "sue", "a1")
	require.ErrorIs(t, err, protocol.ErrAlertClosed)
}

// The assist tells the shopper when: eta_s is the claimer's walk from
// where they are, less the time since the claim, counted from the
// assist's ts; after arrive the status says so and there is no eta.
func TestAssistEta(t *testing.T) {
	h := newHarness(t, testConfig(t), map[string]string{"ben": "available"})
	assist := func(fx Effects, err error) *protocol.Assist {
		t.Helper()
		require.NoError(t, err)
		require.NotEmpty(t, fx.Assists)
		return fx.Assists[len(fx.Assists)-1].Assist
	}
	eta := func(s int) *int { return &s }
	fx, err := h.d.LaneAlert(t0, "3", alertMsg("a1", "3", "front", protocol.KindHelp, protocol.AlertOpen))
	as := assist(fx, err)
	require.Equal(t, protocol.AlertPaged, as.Status)
	require.Nil(t, as.EtaS, "nobody claimed: no eta")
	// Ben is in back: 40 s to front.
	as = assist(h.d.PagerCmd(at(2*time.Second), "ben", protocol.PagerCmd{ID: "c1", Alert: "a1", Action: protocol.PagerClaim}))
	require.Equal(t, protocol.Assist{Alert: "a1", Status: protocol.AlertClaimed, Attendant: "ben", Name: "Ben", Tier: 1, EtaS: eta(40), TS: protocol.At(at(2 * time.Second))}, *as)
	// A second alert on the lane re-publishes the assist: the eta counts
	// from its ts, rounded up.
	as = assist(h.d.LaneAlert(at(12*time.Second+500*time.Millisecond), "3", alertMsg("a2", "3", "front", protocol.KindBagTimeout, protocol.AlertOpen)))
	require.Equal(t, "a1", as.Alert)
	require.Equal(t, eta(30), as.EtaS)
	as = assist(h.d.LaneAlert(at(50*time.Second), "3", alertMsg("a3", "3", "front", protocol.KindHelp, protocol.AlertOpen)))
	require.Equal(t, eta(0), as.EtaS, "late: 0, never below")
	as = assist(h.d.PagerCmd(at(51*time.Second), "ben", protocol.PagerCmd{ID: "c2", Alert: "a1", Action: protocol.PagerArrive}))
	require.Equal(t, protocol.Assist{Alert: "a1", Status: protocol.AssistArrived, Attendant: "ben", Name: "Ben", Tier: 1, TS: protocol.At(at(51 * time.Second))}, *as)
	require.NoError(t, as.Validate())
}
