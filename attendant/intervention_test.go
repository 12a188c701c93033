package attendant

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol"
)

// records returns the interventions of one step's effects.
func (h *harness) records(fx Effects, err error) []Intervention {
	h.t.Helper()
	require.NoError(h.t, err)
	return fx.Interventions
}

// The record of an alert that escalated, was claimed, expired, was
// claimed again, and resolved at the lane.
func TestInterventionRecordsTheWholeStory(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	m := alertMsg("a1", "3", "front", protocol.KindBagTimeout, protocol.AlertOpen)
	m.Item = &protocol.ItemRef{GTIN: "05000112637922", Name: "Cola 330ml"}
	m.TS = protocol.At(at(-2 * time.Second)) // raised on the lane before the bridge had it
	fx, err := h.d.LaneAlert(t0, "3", m)
	require.NoError(t, err)
	require.Empty(t, fx.Interventions)
	h.tick(at(20 * time.Second))                              // tier 2: ana, ben, sue
	h.cmd(at(25*time.Second), "ben", "b1", "a1", "claim", "") // ben claims
	h.tick(at(25*time.Second + 3*time.Minute))                // expires: tier 1 again, ana (ben returned)
	h.cmd(at(4*time.Minute), "ana", "c1", "a1", "claim", "")
	h.cmd(at(4*time.Minute+30*time.Second), "ana", "c2", "a1", "arrive", "")
	h.cmd(at(5*time.Minute), "ana", "c3", "a1", "resolve", protocol.ActionApprove)
	got := h.records(h.d.LaneResult(at(5*time.Minute+time.Second), "3", protocol.CommandResult{ID: "a1:ana:c3", OK: true}))
	require.Len(t, got, 1)
	want := Intervention{
		Alert: "a1", Lane: "3", Zone: "front", Kind: protocol.KindBagTimeout, Severity: protocol.SeverityMedium,
		Item:   &protocol.ItemRef{GTIN: "05000112637922", Name: "Cola 330ml"},
		Raised: at(-2 * time.Second),
		Pages: []TierPage{
			{Tier: 1, Round: 1, At: t0, To: []string{"ana"}},
			{Tier: 2, Round: 1, At: at(20 * time.Second), To: []string{"ana", "ben", "sue"}},
			{Tier: 1, Round: 1, At: at(25*time.Second + 3*time.Minute), To: []string{"ana"}},
		},
		Claims: []Claim{
			{By: "ben", Paged: at(20 * time.Second), At: at(25 * time.Second), Ended: at(25*time.Second + 3*time.Minute), End: ClaimExpired},
			{By: "ana", Paged: at(25*time.Second + 3*time.Minute), At: at(4 * time.Minute), Arrived: at(4*time.Minute + 30*time.Second),
				Ended: at(5*time.Minute + time.Second), End: OutcomeResolved},
		},
		Reopens: 1, Depth: 2,
		Closed: at(5*time.Minute + time.Second), Outcome: OutcomeResolved, Resolution: protocol.ActionApprove, ResolvedBy: "ana",
		Remote: false, Reason: "resolved",
	}
	require.Equal(t, want, got[0])

	// The same record is in the next Changes, once.
	c := h.d.Changes()
	require.Equal(t, []Intervention{want}, c.Interventions)
	require.Empty(t, h.d.Changes().Interventions)
}

// A shopper who fixes the cause: cancelled, nobody claimed; a resolution
// from the handheld without arrive is remote; a claim released ends as
// released.
func TestInterventionOutcomes(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	h.raise(t0, "a1", "front", protocol.KindHelp)
	fx, err := h.d.LaneAlert(at(7*time.Second), "3", alertMsg("a1", "3", "front", protocol.KindHelp, protocol.AlertCancelled))
	require.NoError(t, err)
	require.Len(t, fx.Interventions, 1)
	in := fx.Interventions[0]
	require.Equal(t, OutcomeCancelled, in.Outcome)
	require.Equal(t, "cancelled by lane", in.Reason)
	require.Empty(t, in.Claims)
	require.Equal(t, 1, in.Depth)
	require.False(t, in.Remote)
	require.Equal(t, at(7*time.Second), in.Closed)

	h.raise(at(time.Minute), "a2", "front", protocol.KindBagTimeout)
	h.cmd(at(time.Minute+time.Second), "ana", "d1", "a2", "claim", "")
	h.cmd(at(time.Minute+2*time.Second), "ana", "d2", "a2", "release", "")
	h.cmd(at(time.Minute+3*time.Second), "ben", "d3", "a2", "resolve", protocol.ActionVoid)
	fx, err = h.d.LaneResult(at(time.Minute+4*time.Second), "3", protocol.CommandResult{ID: "a2:ben:d3", OK: true})
	require.NoError(t, err)
	require.Len(t, fx.Interventions, 1)
	in = fx.Interventions[0]
	require.Equal(t, OutcomeResolved, in.Outcome)
	require.True(t, in.Remote)
	require.Equal(t, "ben", in.ResolvedBy)
	require.Equal(t, protocol.ActionVoid, in.Resolution)
	require.Equal(t, []Claim{
		{By: "ana", Paged: at(time.Minute), At: at(time.Minute + time.Second), Ended: at(time.Minute + 2*time.Second), End: ClaimReleased},
		{By: "ben", Paged: at(time.Minute + 2*time.Second), At: at(time.Minute + 3*time.Second), Ended: at(time.Minute + 4*time.Second), End: OutcomeResolved},
	}, in.Claims)
	require.Equal(t, 0, in.Reopens, "a release is not a re-open after claim_timeout")
	require.Equal(t, 1, in.Depth, "a release pages tier 1 again, without ana")
}

// An alert nobody could be paged for is recorded at depth 0, and an
// alert whose log went through a restart (State as JSON, Restore) keeps
// it.
func TestInterventionSurvivesRestart(t *testing.T) {
	cfg := testConfig(t)
	h := newHarness(t, cfg, nil)
	h.raise(t0, "a1", "front", protocol.KindHelp)
	h.presence(at(10*time.Second), "ben", protocol.PresenceAvailable) // pages ben at tier 1
	h.cmd(at(12*time.Second), "ben", "b1", "a1", "claim", "")

	b, err := json.Marshal(h.d.State())
	require.NoError(t, err)
	var st State
	require.NoError(t, json.Unmarshal(b, &st))
	d := NewDispatcher(cfg)
	d.Restore(st)
	d.Start(at(13 * time.Second))
	fx, err := d.LaneAlert(at(20*time.Second), "3", alertMsg("a1", "3", "front", protocol.KindHelp, protocol.AlertCancelled))
	require.NoError(t, err)
	require.Len(t, fx.Interventions, 1)
	in := fx.Interventions[0]
	require.Equal(t, []TierPage{{Tier: 1, Round: 1, At: at(10 * time.Second), To: []string{"ben"}}}, in.Pages)
	require.Equal(t, []Claim{{By: "ben", Paged: at(10 * time.Second), At: at(12 * time.Second), Ended: at(20 * time.Second), End: OutcomeCancelled}}, in.Claims)
	require.Equal(t, 1, in.Depth)

	h2 := newHarness(t, cfg, nil)
	h2.raise(t0, "a9", "front", protocol.KindHelp)
	fx, err = h2.d.LaneAlert(at(time.Second), "3", alertMsg("a9", "3", "front", protocol.KindHelp, protocol.AlertCancelled))
	require.NoError(t, err)
	require.Equal(t, 0, fx.Interventions[0].Depth)
	require.Empty(t, fx.Interventions[0].Pages)
}

// A claim-and-release loop does not grow the log past MaxLogEntries, and
// the first page and the first claim stay.
func TestInterventionLogIsBounded(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	h.raise(t0, "a1", "front", protocol.KindHelp)
	now := t0
	for i := range 200 {
		now = now.Add(time.Second) // within the rate limit
		require.Equal(t, []string{"result ana c" + strconv.Itoa(i) + " ok=true claimed_by=ana"}, resultLines(h.cmd(now, "ana", "c"+strconv.Itoa(i), "a1", "claim", "")))
		now = now.Add(time.Second)
		h.cmd(now, "ana", "r"+strconv.Itoa(i), "a1", "release", "")
	}
	a, ok := h.d.Alert("a1")
	require.True(t, ok)
	require.Len(t, a.Log.Claims, MaxLogEntries)
	require.LessOrEqual(t, len(a.Log.Pages), MaxLogEntries)
	require.Equal(t, t0.Add(time.Second), a.Log.Claims[0].At, "the first claim stays")
	require.Equal(t, t0, a.Log.Pages[0].At, "the first page stays")
}

// Then keeps the records of both changes, the earlier first.
func TestChangesThenKeepsRecords(t *testing.T) {
	a, b := Intervention{Alert: "a1"}, Intervention{Alert: "a2"}
	got := Changes{Interventions: []Intervention{a}}.Then(Changes{Interventions: []Intervention{b}})
	require.Equal(t, []Intervention{a, b}, got.Interventions)
}

// resultLines keeps the answers of fxLines.
func resultLines(lines []string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, "result ") {
			out = append(out, l)
		}
	}
	return out
}

// Who handled an alert: the shopper when nobody arrived and it was not
// resolved; remote when resolved with nobody at the lane; at the lane
// once anyone arrived.
func TestInterventionHandling(t *testing.T) {
	arrived := []Claim{{By: "ana", Arrived: t0}}
	for _, c := range []struct {
		in   Intervention
		want string
	}{
		{Intervention{Outcome: OutcomeCancelled}, HandledByShopper},
		{Intervention{Outcome: OutcomeCancelled, Claims: []Claim{{By: "ana"}}}, HandledByShopper},
		{Intervention{Outcome: OutcomeResolved, Remote: true}, HandledRemotely},
		{Intervention{Outcome: OutcomeResolved, Claims: arrived}, HandledAtLane},
		{Intervention{Outcome: OutcomeCancelled, Claims: arrived}, HandledAtLane},
	} {
		require.Equal(t, c.want, c.in.Handling(), "%+v", c.in)
	}
}
