package pagerclient

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol"
)

func TestParseCommand(t *testing.T) {
	for line, want := range map[string]Command{
		"":                   {Op: "list"},
		"ls":                 {Op: "list"},
		"a":                  {Op: "status", Status: protocol.PresenceAvailable},
		"B":                  {Op: "status", Status: protocol.PresenceBusy},
		"p":                  {Op: "status", Status: protocol.PresenceBreak},
		"c 2":                {Op: "claim", N: 2},
		"l 12":               {Op: "release", N: 12},
		"r 3 approve":        {Op: "resolve", N: 3, Action: protocol.ActionApprove},
		"  r  1  AGE_OK  ":   {Op: "resolve", N: 1, Action: protocol.ActionAgeOK},
		"at 4":               {Op: "arrive", N: 4},
		"lane 4 out":         {Op: "lane", Lane: "4", Action: protocol.ActionOutOfService},
		"lane b2 in_service": {Op: "lane", Lane: "b2", Action: protocol.ActionInService},
		"me":                 {Op: "me"},
		"h":                  {Op: "help"},
		"q":                  {Op: "quit"},
	} {
		got, err := ParseCommand(line)
		require.NoError(t, err, "%q", line)
		assert.Equal(t, want, got, "%q", line)
	}
	for line, culprit := range map[string]string{
		"c":         "wrong number",
		"c x":       `"x"`,
		"c 0":       `"0"`,
		"r 1":       "wrong number",
		"r 1 bless": `"bless"`,
		"zap":       "unknown command",
		"a now":     "wrong number",
		"lane 4":    "wrong number",
		"lane 4 up": `not "up"`,
		"lane X in": `lane "X"`,
	} {
		_, err := ParseCommand(line)
		require.Error(t, err, "%q", line)
		assert.Contains(t, err.Error(), culprit, "%q", line)
	}
}

func page(alert string, tier int) Event {
	return Event{Kind: EvPage, Page: protocol.Page{Alert: alert, Lane: "3", Zone: "front", Kind: protocol.KindBagTimeout,
		Severity: protocol.SeverityMedium, Text: "Cola 330ml not bagged", Tier: tier}}
}

func TestModelLifecycle(t *testing.T) {
	m := NewModel("ana", protocol.PresenceAvailable)
	lines := m.Apply(page("a1", 1))
	require.Len(t, lines, 1)
	assert.True(t, lines[0].Bell)
	assert.Equal(t, "[1] lane 3 (front): bag_timeout, medium, tier 1 - Cola 330ml not bagged [c 1 to claim]", lines[0].Text)
	assert.Nil(t, m.Apply(page("a1", 1)), "a duplicate page is shown once")
	lines = m.Apply(page("a1", 2))
	assert.Equal(t, []Line{{Text: "[1] escalated to tier 2", Bell: true}}, lines)

	claim := protocol.PagerCmd{ID: "k1", Alert: "a1", Action: protocol.PagerClaim}
	m.Sent(1, claim)
	assert.Equal(t, StateClaiming, m.Pages()[0].State)
	lines = m.Apply(Event{Kind: EvResult, Result: protocol.PagerResult{ID: "k1", OK: true}, Cmd: claim})
	assert.Equal(t, "[1] claimed: lane 3 is yours; resolve with r 1 <approve|void|out_of_service>", lines[0].Text)
	assert.Nil(t, m.Apply(Event{Kind: EvResult, Result: protocol.PagerResult{ID: "k1", OK: true}, Cmd: claim}), "a duplicate result is ignored")

	res := protocol.PagerCmd{ID: "k2", Alert: "a1", Action: protocol.PagerResolve, Resolution: protocol.ActionApprove}
	m.Sent(1, res)
	lines = m.Apply(Event{Kind: EvResult, Result: protocol.PagerResult{ID: "k2", OK: false, Error: "lane offline"}, Cmd: res})
	assert.Equal(t, "[1] resolve refused: lane offline", lines[0].Text)
	assert.Equal(t, StateClaimed, m.Pages()[0].State, "a refused resolve keeps the claim")
	res.ID = "k3"
	m.Sent(1, res)
	lines = m.Apply(Event{Kind: EvResult, Result: protocol.PagerResult{ID: "k3", OK: true}, Cmd: res})
	assert.Equal(t, "[1] resolved: approve", lines[0].Text)
	assert.Empty(t, m.Pages())

	// Numbers are not reused while the pager runs.
	m.Apply(page("a2", 1))
	assert.Equal(t, 2, m.Pages()[0].N)
	_, err := m.Lookup(1)
	assert.ErrorContains(t, err, "no page 1")
}

func TestModelClaimLostAndWithdrawn(t *testing.T) {
	m := NewModel("ana", protocol.PresenceAvailable)
	m.Apply(page("a1", 1))
	m.Apply(Event{Kind: EvPage, Broadcast: true, Page: protocol.Page{Alert: "a2", Lane: "4", Kind: protocol.KindHelp}})
	claim := protocol.PagerCmd{ID: "k1", Alert: "a1", Action: protocol.PagerClaim}
	m.Sent(1, claim)
	lines := m.Apply(Event{Kind: EvResult, Result: protocol.PagerResult{ID: "k1", OK: false, Error: "already claimed", ClaimedBy: "ben"}, Cmd: claim})
	assert.Equal(t, "[1] ben claimed it first", lines[0].Text)
	assert.Contains(t, Describe(m.Pages()[0]), "[claimed by ben]")
	assert.Contains(t, Describe(m.Pages()[1]), "[2] BROADCAST lane 4: help")

	lines = m.Apply(Event{Kind: EvWithdrawn, Page: protocol.Page{Alert: "a1", Withdrawn: true, Reason: "claimed"}})
	assert.Equal(t, []Line{{Text: "[1] withdrawn: claimed"}}, lines)
	require.Len(t, m.Pages(), 1)
	assert.Nil(t, m.Apply(Event{Kind: EvWithdrawn, Page: protocol.Page{Alert: "zz", Withdrawn: true}}), "unknown withdrawals are silent")

	lines = m.Apply(Event{Kind: EvBridge, Online: false})
	assert.Contains(t, lines[0].Text, "bridge OFFLINE")
	assert.Nil(t, m.Apply(Event{Kind: EvBridge, Online: false}))
	lines = m.Apply(Event{Kind: EvBridge, Online: true})
	assert.Equal(t, []Line{{Text: "bridge online"}, {Text: "[2] broadcast page dropped: the bridge pages again"}}, lines)
	assert.Empty(t, m.Pages())
	assert.Equal(t, "error: boom", m.Apply(Event{Kind: EvError, Err: errors.New("boom")})[0].Text)
	m.Connected = true
	assert.Equal(t, "mqtt: cannot connect to tcp://x:1883: not authorised; retrying",
		m.Apply(Event{Kind: EvConnFailed, Err: errors.New("mqtt: cannot connect to tcp://x:1883: not authorised; retrying")})[0].Text)
	assert.False(t, m.Connected)
}

var anaProfile = protocol.Profile{ID: "ana", Name: "Ana", Zone: "front", Roles: []string{"attendant"}, Store: "s1",
	Resolutions: map[protocol.Kind][]protocol.Action{
		protocol.KindBagTimeout: {protocol.ActionApprove, protocol.ActionVoid, protocol.ActionOutOfService},
		protocol.KindAgeCheck:   {},
		protocol.KindHelp:       {protocol.ActionClear, protocol.ActionOutOfService},
	}}

func TestModelProfileAndOffers(t *testing.T) {
	m := NewModel("ana", protocol.PresenceAvailable)
	m.Store = "s1"
	p := anaProfile
	p.TS = protocol.At(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	lines := m.Apply(Event{Kind: EvProfile, Profile: &p})
	assert.Equal(t, []Line{
		{Text: "on the roster of store s1 as Ana (ana), zone front, roles attendant"},
		{Text: "may resolve: bag_timeout approve|void|out_of_service; help clear|out_of_service"},
	}, lines)
	again := p
	again.TS = protocol.At(p.TS.Add(time.Minute))
	assert.Nil(t, m.Apply(Event{Kind: EvProfile, Profile: &again}), "the same profile, published on the bridge's next connect, is not shown again")

	// A page's own resolutions, else the profile's for the kind, else
	// every one the kind allows.
	m.Apply(Event{Kind: EvPage, Page: protocol.Page{Alert: "a1", Lane: "3", Kind: protocol.KindHelp, Tier: 1, Resolutions: []protocol.Action{protocol.ActionClear}}})
	m.Apply(Event{Kind: EvPage, Broadcast: true, Page: protocol.Page{Alert: "a2", Lane: "4", Kind: protocol.KindBagTimeout, Tier: 3}})
	m.Apply(Event{Kind: EvPage, Broadcast: true, Page: protocol.Page{Alert: "a3", Lane: "4", Kind: "trolley_stuck", Tier: 3}})
	pages := m.Pages()
	assert.Equal(t, []protocol.Action{protocol.ActionClear}, pages[0].Offered)
	assert.Equal(t, p.Resolutions[protocol.KindBagTimeout], pages[1].Offered)
	assert.Equal(t, protocol.Actions, pages[2].Offered, "an unknown kind offers every action; the bridge decides")
	assert.True(t, pages[0].Offers(protocol.ActionClear))
	assert.False(t, pages[0].Offers(protocol.ActionOutOfService))

	lines = m.Apply(Event{Kind: EvProfile})
	require.Len(t, lines, 1)
	assert.Equal(t, "NOT ON THE ROSTER of store s1: the bridge has no profile for ana, so ana is never paged and every command is refused — ask store IT", lines[0].Text)
	assert.True(t, lines[0].Bell)
	assert.Nil(t, m.Profile)
}

func TestModelSynced(t *testing.T) {
	m := NewModel("ana", protocol.PresenceAvailable)
	m.Store = "s1"
	m.Apply(Event{Kind: EvConnected})
	assert.Equal(t, []Line{{Text: m.notOnRoster(), Bell: true}}, m.Apply(Event{Kind: EvSynced}), "no profile by then: not on the roster")
	assert.Nil(t, m.Apply(Event{Kind: EvSynced}), "said once")
	p := anaProfile
	m.Apply(Event{Kind: EvProfile, Profile: &p})

	m.Apply(page("a1", 1))
	m.Apply(page("a2", 2))
	m.Apply(page("a3", 2))
	m.Apply(Event{Kind: EvPage, Broadcast: true, Page: protocol.Page{Alert: "b1", Lane: "4", Kind: protocol.KindHelp}})
	m.Sent(3, protocol.PagerCmd{ID: "k1", Alert: "a3", Action: protocol.PagerClaim})

	// A reconnect: the bridge sends a1 again; a2 was withdrawn meanwhile;
	// a3's claim is sent again and its answer settles it.
	m.Apply(Event{Kind: EvConnected})
	assert.Nil(t, m.Apply(page("a1", 1)), "a page sent again is not shown twice")
	lines := m.Apply(Event{Kind: EvSynced, Profiled: true})
	assert.Equal(t, []Line{{Text: "[2] dropped: the bridge did not send it again after the reconnect (it was withdrawn meanwhile)"}}, lines)
	var alerts []string
	for _, e := range m.Pages() {
		alerts = append(alerts, e.Page.Alert)
	}
	assert.Equal(t, []string{"a1", "a3", "b1"}, alerts)
	assert.Equal(t, []Line{{Text: "[3] claim sent again after the reconnect"}},
		m.Apply(Event{Kind: EvResent, Cmd: protocol.PagerCmd{ID: "k1", Alert: "a3", Action: protocol.PagerClaim}}))
}

func TestModelRecordsKeepClaims(t *testing.T) {
	// A restarted pager learns from alert/{id} that an alert the bridge
	// pages it again for is its own.
	m := NewModel("ana", protocol.PresenceAvailable)
	assert.Nil(t, m.Apply(Event{Kind: EvRecord, Record: &protocol.AlertRecord{ID: "a1", Status: protocol.AlertClaimed, ClaimedBy: "ana"}}))
	m.Apply(Event{Kind: EvRecord, Record: &protocol.AlertRecord{ID: "a2", Status: protocol.AlertClaimed, ClaimedBy: "ben"}})
	m.Apply(page("a1", 1))
	m.Apply(page("a3", 1))
	e, err := m.Lookup(1)
	require.NoError(t, err)
	assert.Equal(t, StateClaimed, e.State)
	assert.Equal(t, "ana", e.ClaimedBy)

	m.Apply(Event{Kind: EvRecord, Record: &protocol.AlertRecord{ID: "a3", Status: protocol.AlertClaimed, ClaimedBy: "ana"}})
	e, _ = m.Lookup(2)
	assert.Equal(t, StateClaimed, e.State, "a claim made from another of ana's devices")
	m.Apply(Event{Kind: EvRecord, Record: &protocol.AlertRecord{ID: "a1"}, Cleared: true})
	m.Apply(Event{Kind: EvRecord, Record: &protocol.AlertRecord{ID: "a2", Status: protocol.AlertResolved, ClaimedBy: "ben"}})
	assert.Equal(t, map[string]string{"a3": "ana"}, m.claims, "closed alerts are forgotten")
}

// Each refusal does what docs/protocol.md, "Errors", tells an app to do.
func TestModelRefusals(t *testing.T) {
	for _, tc := range []struct {
		action, err string
		claimedBy   string
		line        string
		state       string // "" : the page is dropped
	}{
		{protocol.PagerClaim, "already claimed", "ben", "[1] ben claimed it first", StateTaken},
		{protocol.PagerClaim, "stale", "", "[1] claim refused: stale; it reached the bridge too late and changed nothing: look at the page again and retry", StatePaged},
		{protocol.PagerClaim, "rate limited", "", "[1] claim refused: rate limited; too many commands at once: try again in a moment", StatePaged},
		{protocol.PagerClaim, "unknown attendant", "", "[1] claim refused: unknown attendant; NOT ON THE ROSTER of store s1", StatePaged},
		{protocol.PagerClaim, "alert closed", "", "[1] claim refused: alert closed; page dropped", ""},
		{protocol.PagerClaim, "unknown alert", "", "[1] claim refused: unknown alert; page dropped", ""},
		{protocol.PagerClaim, "not paged for this alert", "ben", "[1] claim refused: not paged for this alert; page dropped", ""},
		{protocol.PagerClaim, "bad command: pager cmd x: unknown action", "", "this pager sent a malformed command (a bug)", StatePaged},
		{protocol.PagerResolve, "role required: age_ok needs age_verifier", "ana", "[1] resolve refused: role required: age_ok needs age_verifier", StateClaimed},
		{protocol.PagerResolve, "resolution pending", "ana", "[1] resolve refused: resolution pending; wait for the answer to the first", StateClaimed},
		{protocol.PagerResolve, "lane: no item to approve", "ana", "[1] resolve refused: lane: no item to approve", StateClaimed},
		{protocol.PagerResolve, "alert cancelled by lane", "", "[1] resolve refused: alert cancelled by lane; page dropped", ""},
		{protocol.PagerArrive, "already claimed", "ben", "[1] ben claimed it first", StateTaken},
	} {
		m := NewModel("ana", protocol.PresenceAvailable)
		m.Store = "s1"
		m.Apply(page("a1", 1))
		if tc.action != protocol.PagerClaim && tc.claimedBy == "ana" {
			e, _ := m.Lookup(1)
			e.State, e.ClaimedBy = StateClaimed, "ana"
		}
		cmd := protocol.PagerCmd{ID: "k", Alert: "a1", Action: tc.action}
		m.Sent(1, cmd)
		lines := m.Apply(Event{Kind: EvResult, Result: protocol.PagerResult{ID: "k", Error: tc.err, ClaimedBy: tc.claimedBy}, Cmd: cmd})
		require.Len(t, lines, 1, "%+v", tc)
		assert.Contains(t, lines[0].Text, tc.line, "%+v", tc)
		if tc.state == "" {
			assert.Empty(t, m.Pages(), "%+v", tc)
			continue
		}
		require.Len(t, m.Pages(), 1, "%+v", tc)
		assert.Equal(t, tc.state, m.Pages()[0].State, "%+v", tc)
	}
}

func TestModelArriveAndLane(t *testing.T) {
	m := NewModel("sue", protocol.PresenceAvailable)
	m.Apply(page("a1", 1))
	arrive := protocol.PagerCmd{ID: "k1", Alert: "a1", Action: protocol.PagerArrive}
	m.Sent(1, arrive)
	assert.Contains(t, Describe(m.Pages()[0]), "[arriving]")
	assert.Equal(t, []Line{{Text: "[1] arrived at lane 3"}}, m.Apply(Event{Kind: EvResult, Result: protocol.PagerResult{ID: "k1", OK: true, ClaimedBy: "sue"}, Cmd: arrive}))
	assert.Equal(t, StateClaimed, m.Pages()[0].State, "arriving at a page nobody holds claims it")

	out := protocol.PagerCmd{ID: "k2", Action: protocol.PagerLane, Lane: "4", Resolution: protocol.ActionOutOfService}
	m.Sent(0, out)
	assert.Equal(t, []Line{{Text: "lane 4: out_of_service done"}}, m.Apply(Event{Kind: EvResult, Result: protocol.PagerResult{ID: "k2", OK: true}, Cmd: out}))
	in := protocol.PagerCmd{ID: "k3", Action: protocol.PagerLane, Lane: "4", Resolution: protocol.ActionInService}
	m.Sent(0, in)
	assert.Equal(t, []Line{{Text: "lane 4: in_service refused: lane: no answer"}}, m.Apply(Event{Kind: EvResult, Result: protocol.PagerResult{ID: "k3", Error: "lane: no answer"}, Cmd: in}))
}
