package pagerclient

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol"
)

func TestParseCommand(t *testing.T) {
	for line, want := range map[string]Command{
		"":                 {Op: "list"},
		"ls":               {Op: "list"},
		"a":                {Op: "status", Status: protocol.PresenceAvailable},
		"B":                {Op: "status", Status: protocol.PresenceBusy},
		"p":                {Op: "status", Status: protocol.PresenceBreak},
		"c 2":              {Op: "claim", N: 2},
		"l 12":             {Op: "release", N: 12},
		"r 3 approve":      {Op: "resolve", N: 3, Action: protocol.ActionApprove},
		"  r  1  AGE_OK  ": {Op: "resolve", N: 1, Action: protocol.ActionAgeOK},
		"h":                {Op: "help"},
		"q":                {Op: "quit"},
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
	lines := m.Apply(Event{Kind: EvResult, Result: protocol.PagerResult{ID: "k1", OK: false, ClaimedBy: "ben"}, Cmd: claim})
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
