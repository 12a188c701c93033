package attendant

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func testConfig(t *testing.T, extra ...Attendant) *Config {
	t.Helper()
	c := &Config{
		Store: "s1",
		Attendants: append([]Attendant{
			{ID: "ana", Name: "Ana", Zone: "front", Roles: []string{"attendant", "age_verifier"}},
			{ID: "ben", Name: "Ben", Zone: "back", Roles: []string{"attendant"}},
			{ID: "sue", Name: "Sue", Zone: "office", Roles: []string{"attendant", "age_verifier", "supervisor"}},
		}, extra...),
		Escalation: Escalation{AckTimeout: 20 * time.Second, ClaimTimeout: 3 * time.Minute, Repeat: 2},
		Zones:      map[string]map[string]int{"front": {"back": 2, "office": 3}},
	}
	require.NoError(t, c.Validate())
	return c
}

// fx renders effects as short lines, for exact comparisons.
func fxLines(fx Effects) []string {
	var out []string
	for _, r := range fx.Results {
		s := fmt.Sprintf("result %s %s ok=%v", r.To, r.Result.ID, r.Result.OK)
		if r.Result.Error != "" {
			s += " error=" + r.Result.Error
		}
		if r.Result.ClaimedBy != "" {
			s += " claimed_by=" + r.Result.ClaimedBy
		}
		out = append(out, s)
	}
	for _, p := range fx.Pages {
		if p.Page.Withdrawn {
			out = append(out, fmt.Sprintf("withdraw %s %s: %s", p.To, p.Page.Alert, p.Page.Reason))
		} else {
			out = append(out, fmt.Sprintf("page %s %s tier %d", p.To, p.Page.Alert, p.Page.Tier))
		}
	}
	for _, r := range fx.Records {
		s := fmt.Sprintf("record %s %s tier %d", r.Record.ID, r.Record.Status, r.Record.Tier)
		if r.Record.ClaimedBy != "" {
			s += " by " + r.Record.ClaimedBy
		}
		if r.Record.Resolution != "" {
			s += " " + r.Record.Resolution
		}
		if r.Closed {
			s += " closed"
		}
		out = append(out, s)
	}
	for _, a := range fx.Assists {
		if a.Assist == nil {
			out = append(out, "assist "+a.Lane+" clear")
			continue
		}
		out = append(out, fmt.Sprintf("assist %s %s tier %d %s", a.Lane, a.Assist.Status, a.Assist.Tier, a.Assist.Name))
	}
	for _, c := range fx.Commands {
		out = append(out, fmt.Sprintf("command %s %s %s by %s id %s", c.Lane, c.Command.Alert, c.Command.Action, c.Command.By, c.Command.ID))
	}
	return out
}

type harness struct {
	t *testing.T
	d *Dispatcher
}

func newHarness(t *testing.T, cfg *Config, present map[string]string) *harness {
	h := &harness{t: t, d: NewDispatcher(cfg)}
	for id, st := range present {
		_, err := h.d.Presence(t0, id, protocol.Presence{Status: st})
		require.NoError(t, err)
	}
	require.Empty(t, fxLines(h.d.Start(t0)))
	return h
}

func alertMsg(id, lane, zone string, kind protocol.Kind, status string) protocol.Alert {
	return protocol.Alert{ID: id, Store: "s1", Lane: lane, Zone: zone, Kind: kind, Status: status, TS: protocol.At(t0)}
}

func (h *harness) raise(now time.Time, id, zone string, kind protocol.Kind) []string {
	fx, err := h.d.LaneAlert(now, "3", alertMsg(id, "3", zone, kind, protocol.AlertOpen))
	require.NoError(h.t, err)
	return fxLines(fx)
}

func (h *harness) cancel(now time.Time, id string) []string {
	fx, err := h.d.LaneAlert(now, "3", alertMsg(id, "3", "front", protocol.KindHelp, protocol.AlertCancelled))
	require.NoError(h.t, err)
	return fxLines(fx)
}

func (h *harness) presence(now time.Time, id, st string) []string {
	fx, err := h.d.Presence(now, id, protocol.Presence{Status: st})
	require.NoError(h.t, err)
	return fxLines(fx)
}

func (h *harness) cmd(now time.Time, who, id, alert, action string, res protocol.Action) []string {
	fx, _ := h.d.PagerCmd(now, who, protocol.PagerCmd{ID: id, Alert: alert, Action: action, Resolution: res})
	return fxLines(fx)
}

func (h *harness) result(now time.Time, id string, ok bool, errText string) []string {
	fx, _ := h.d.LaneResult(now, "3", protocol.CommandResult{ID: id, OK: ok, Error: errText})
	return fxLines(fx)
}

func (h *harness) tick(now time.Time) []string { return fxLines(h.d.Tick(now)) }

var allAvailable = map[string]string{"ana": "available", "ben": "available", "sue": "available"}

func TestLadderExactTimings(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	require.Equal(t, []string{"page ana a1 tier 1", "record a1 paged tier 1", "assist 3 paged tier 1 "}, h.raise(t0, "a1", "front", protocol.KindBagTimeout))
	dl, ok := h.d.NextDeadline()
	require.True(t, ok)
	require.Equal(t, at(20*time.Second), dl)
	require.Empty(t, h.tick(at(20*time.Second-time.Millisecond)))
	require.Equal(t, []string{"page ana a1 tier 2", "page ben a1 tier 2", "page sue a1 tier 2", "record a1 paged tier 2", "assist 3 paged tier 2 "}, h.tick(at(20*time.Second)))
	require.Equal(t, []string{"page ana a1 tier 3", "page ben a1 tier 3", "page sue a1 tier 3", "record a1 paged tier 3", "assist 3 paged tier 3 "}, h.tick(at(40*time.Second)))
	// Second run of the ladder (repeat: 2).
	require.Equal(t, []string{"page ana a1 tier 1", "record a1 paged tier 1", "assist 3 paged tier 1 "}, h.tick(at(60*time.Second)))
	require.Len(t, h.tick(at(80*time.Second)), 5)
	require.Len(t, h.tick(at(100*time.Second)), 5)
	st, _ := h.d.Alert("a1")
	require.Equal(t, 3, st.Tier)
	require.Equal(t, 2, st.Round)
	_, ok = h.d.NextDeadline()
	require.False(t, ok, "after the last run the alert stays at tier 3")
	require.Empty(t, h.tick(at(time.Hour)))
}

func TestTierOneIsNearestWithRole(t *testing.T) {
	cases := []struct {
		name    string
		zone    string
		kind    protocol.Kind
		present map[string]string
		want    string
	}{
		{"same zone", "back", protocol.KindHelp, allAvailable, "page ben a1 tier 1"},
		{"configured distance", "front", protocol.KindHelp, map[string]string{"ben": "available", "sue": "available"}, "page ben a1 tier 1"},
		{"age check needs age_verifier; unlisted zones are 1 apart", "back", protocol.KindAgeCheck, allAvailable, "page sue a1 tier 1"},
		{"busy is not available", "front", protocol.KindHelp, map[string]string{"ana": "busy", "ben": "available"}, "page ben a1 tier 1"},
		{"break is not paged", "front", protocol.KindHelp, map[string]string{"ana": "break", "sue": "available"}, "page sue a1 tier 1"},
		{"nobody available: tier 3 at once", "front", protocol.KindHelp, map[string]string{"ana": "busy", "ben": "offline"}, "page ana a1 tier 3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, testConfig(t), c.present)
			got := h.raise(t0, "a1", c.zone, c.kind)
			require.Equal(t, c.want, got[0], got)
			require.Contains(t, got[1], "record a1 paged")
		})
	}
}

func TestTierOneTiesGoToLeastRecentlyPaged(t *testing.T) {
	cfg := testConfig(t, Attendant{ID: "dan", Name: "Dan", Zone: "front", Roles: []string{"attendant"}})
	h := newHarness(t, cfg, map[string]string{"ana": "available", "dan": "available"})
	require.Equal(t, "page ana a1 tier 1", h.raise(t0, "a1", "front", protocol.KindHelp)[0])
	require.Equal(t, "page dan a2 tier 1", h.raise(at(time.Second), "a2", "front", protocol.KindHelp)[0])
	require.Equal(t, "page ana a3 tier 1", h.raise(at(2*time.Second), "a3", "front", protocol.KindHelp)[0])
}

func TestTierThreePagesSupervisorsAndBusy(t *testing.T) {
	cfg := testConfig(t, Attendant{ID: "max", Name: "Max", Zone: "office", Roles: []string{"supervisor"}})
	h := newHarness(t, cfg, map[string]string{"ana": "available", "ben": "busy", "sue": "offline", "max": "busy"})
	h.raise(t0, "a1", "front", protocol.KindAgeCheck)
	require.Equal(t, []string{"page ana a1 tier 2", "record a1 paged tier 2", "assist 3 paged tier 2 "}, h.tick(at(20*time.Second)))
	// ben is busy but lacks age_verifier; max is a supervisor.
	require.Equal(t, []string{"page ana a1 tier 3", "page max a1 tier 3", "record a1 paged tier 3", "assist 3 paged tier 3 "}, h.tick(at(40*time.Second)))
	// max may claim (he was paged) but not decide the age check.
	require.Equal(t, []string{"result max c1 ok=true claimed_by=max", "withdraw ana a1: claimed by max", "record a1 claimed tier 3 by max", "assist 3 claimed tier 3 Max"},
		h.cmd(at(41*time.Second), "max", "c1", "a1", "claim", ""))
	require.Equal(t, []string{"result max c2 ok=false error=role required: age_ok needs age_verifier claimed_by=max"},
		h.cmd(at(42*time.Second), "max", "c2", "a1", "resolve", protocol.ActionAgeOK))
}

func TestNobodyPresentWaitsThenPages(t *testing.T) {
	h := newHarness(t, testConfig(t), nil)
	require.Equal(t, []string{"record a1 open tier 0", "assist 3 open tier 0 "}, h.raise(t0, "a1", "front", protocol.KindHelp))
	_, ok := h.d.NextDeadline()
	require.False(t, ok)
	require.Equal(t, []string{"page ben a1 tier 1", "record a1 paged tier 1", "assist 3 paged tier 1 "}, h.presence(at(5*time.Second), "ben", "available"))
}

func TestPagerOfflineMidAlert(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	h.raise(t0, "a1", "front", protocol.KindHelp)
	// ana, paged at tier 1, drops off: tier 2 at once, without her.
	require.Equal(t, []string{"page ben a1 tier 2", "page sue a1 tier 2", "record a1 paged tier 2", "assist 3 paged tier 2 "}, h.presence(at(time.Second), "ana", "offline"))
	// She comes back: she is paged at the current tier.
	require.Equal(t, []string{"page ana a1 tier 2"}, h.presence(at(2*time.Second), "ana", "available"))
	// An offline attendant is never paged.
	h.presence(at(3*time.Second), "ben", "offline")
	require.Equal(t, []string{"page ana a1 tier 3", "page sue a1 tier 3", "record a1 paged tier 3", "assist 3 paged tier 3 "}, h.tick(at(22*time.Second)))
}

func TestClaimRaceAndResolve(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	h.raise(t0, "a1", "front", protocol.KindBagTimeout)
	h.tick(at(20 * time.Second)) // tier 2: everyone
	require.Equal(t, []string{"result ben c1 ok=true claimed_by=ben", "withdraw ana a1: claimed by ben", "withdraw sue a1: claimed by ben", "record a1 claimed tier 2 by ben", "assist 3 claimed tier 2 Ben"},
		h.cmd(at(21*time.Second), "ben", "c1", "a1", "claim", ""))
	require.Equal(t, []string{"result ana x1 ok=false error=already claimed claimed_by=ben"}, h.cmd(at(21*time.Second), "ana", "x1", "a1", "claim", ""))
	require.Equal(t, []string{"result sue x1 ok=false error=already claimed claimed_by=ben"}, h.cmd(at(21*time.Second), "sue", "x1", "a1", "resolve", protocol.ActionApprove))
	// Duplicate delivery of the claim: same answer, nothing else.
	require.Equal(t, []string{"result ben c1 ok=true claimed_by=ben"}, h.cmd(at(22*time.Second), "ben", "c1", "a1", "claim", ""))
	// No approve for a help call -- here a bag timeout allows it, void too.
	require.Equal(t, []string{"command 3 a1 approve by ben id a1:ben:c2"}, h.cmd(at(30*time.Second), "ben", "c2", "a1", "resolve", protocol.ActionApprove))
	require.Empty(t, h.cmd(at(30*time.Second), "ben", "c2", "a1", "resolve", protocol.ActionApprove), "a duplicate resolve sends nothing")
	require.Equal(t, []string{"result ben c3 ok=false error=resolution pending claimed_by=ben"}, h.cmd(at(31*time.Second), "ben", "c3", "a1", "resolve", protocol.ActionVoid))
	require.Equal(t, []string{"result ben c2 ok=true claimed_by=ben", "withdraw ben a1: resolved", "record a1 resolved tier 2 by ben approve closed", "assist 3 clear"},
		h.result(at(32*time.Second), "a1:ben:c2", true, ""))
	require.Empty(t, h.result(at(33*time.Second), "a1:ben:c2", true, ""), "duplicate lane result")
	require.Equal(t, []string{"result ben c2 ok=true claimed_by=ben"}, h.cmd(at(34*time.Second), "ben", "c2", "a1", "resolve", protocol.ActionApprove))
	require.Equal(t, []string{"result ana y1 ok=false error=alert closed"}, h.cmd(at(34*time.Second), "ana", "y1", "a1", "claim", ""))
	require.Empty(t, h.raise(at(35*time.Second), "a1", "front", protocol.KindBagTimeout), "a closed id stays closed")
}

func TestResolveChecks(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	h.raise(t0, "a1", "front", protocol.KindHelp)
	require.Equal(t, []string{"result ben c1 ok=false error=not paged for this alert"}, h.cmd(at(time.Second), "ben", "c1", "a1", "claim", ""))
	require.Equal(t, []string{"result ana c1 ok=false error=resolution not allowed for this alert: approve for help"}, h.cmd(at(time.Second), "ana", "c1", "a1", "resolve", protocol.ActionApprove))
	require.Equal(t, []string{"result zed c1 ok=false error=unknown attendant"}, h.cmd(at(time.Second), "zed", "c1", "a1", "claim", ""))
	require.Equal(t, []string{"result ana c2 ok=false error=unknown alert"}, h.cmd(at(time.Second), "ana", "c2", "nope", "claim", ""))
	// Resolving remotely without a claim claims implicitly.
	require.Equal(t, []string{"record a1 claimed tier 1 by ana", "assist 3 claimed tier 1 Ana", "command 3 a1 clear by ana id a1:ana:c3"}, h.cmd(at(2*time.Second), "ana", "c3", "a1", "resolve", protocol.ActionClear))
	// The lane refuses: the alert stays claimed and ana is told why.
	require.Equal(t, []string{"result ana c3 ok=false error=lane: no help request claimed_by=ana"}, h.result(at(3*time.Second), "a1:ana:c3", false, "no help request"))
	st, ok := h.d.Alert("a1")
	require.True(t, ok)
	require.Equal(t, protocol.AlertClaimed, st.Status)
	require.Nil(t, st.Pending)
}

func TestClaimTimeoutReopens(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	h.raise(t0, "a1", "front", protocol.KindHelp)
	h.cmd(at(time.Second), "ana", "c1", "a1", "claim", "")
	require.Empty(t, h.tick(at(time.Second+3*time.Minute-time.Millisecond)))
	require.Equal(t, []string{"withdraw ana a1: claim expired", "page ben a1 tier 1", "record a1 paged tier 1", "assist 3 paged tier 1 "}, h.tick(at(time.Second+3*time.Minute)))
	// The claimer who let it expire is paged again from tier 2.
	require.Equal(t, "page ana a1 tier 2", h.tick(at(time.Second + 3*time.Minute + 20*time.Second))[0])
}

func TestReleaseAndDecline(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	h.raise(t0, "a1", "front", protocol.KindHelp)
	// Declining the only page escalates at once.
	require.Equal(t, []string{"result ana c1 ok=true", "withdraw ana a1: released", "page ana a1 tier 2", "page ben a1 tier 2", "page sue a1 tier 2", "record a1 paged tier 2", "assist 3 paged tier 2 "},
		h.cmd(at(time.Second), "ana", "c1", "a1", "release", ""))
	h.cmd(at(2*time.Second), "sue", "c2", "a1", "claim", "")
	require.Equal(t, []string{"result sue c3 ok=true", "withdraw sue a1: released", "page ben a1 tier 1", "record a1 paged tier 1", "assist 3 paged tier 1 "},
		h.cmd(at(3*time.Second), "sue", "c3", "a1", "release", ""))
}

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

func TestPresenceWithoutTheRoleChangesNothing(t *testing.T) {
	h := newHarness(t, testConfig(t), nil)
	h.raise(t0, "a1", "front", protocol.KindAgeCheck)
	require.Empty(t, h.presence(at(time.Second), "ben", "available"), "ben cannot check ages")
	require.Equal(t, "page sue a1 tier 1", h.presence(at(2*time.Second), "sue", "available")[0])
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
