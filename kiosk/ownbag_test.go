package kiosk

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/protocol"
)

// ownBagAt presses "I'm using my own bag" at at.
func ownBagAt(at float64) step { return step{at: at, ev: EvOwnBag} }

// Rule (own bag): the shopper announces their bag; the next settled gain
// of at most own_bag_max_g that no pending item explains is the bag and
// joins the baseline. A bag already down (an unexpected item, or a wrong
// weight for the pending item) is taken at once and its alert cancelled.
func TestOwnBag(t *testing.T) {
	tests := []struct {
		name     string
		pol      Policy
		steps    []step
		baseline int
		items    int
		pending  bool
		armed    bool
		alerts   []string
		state    string
		prompt   string
		deadline float64 // NextDeadline after the last step, 0: none
	}{
		{
			name:     "announced, then placed",
			steps:    []step{scanAt(1, "chair"), ownBagAt(2), moving(2.5, 30), still(3, 40), still(3.1, 40), still(3.2, 40)},
			baseline: 40, items: 1, state: protocol.StateShopping, prompt: msgNext,
		},
		{
			name:     "announced and waiting: a prompt, not a nudge",
			steps:    []step{scanAt(1, "chair"), ownBagAt(2)},
			baseline: 0, items: 1, armed: true, state: protocol.StateShopping, prompt: msgOwnBag,
		},
		{
			name:     "exactly own_bag_max_g",
			steps:    []step{scanAt(1, "chair"), ownBagAt(2), still(3, 500), still(3.1, 500), still(3.2, 500)},
			baseline: 500, items: 1, state: protocol.StateShopping, prompt: msgNext,
		},
		{
			name:     "heavier than own_bag_max_g is an unexpected item",
			steps:    []step{scanAt(1, "chair"), ownBagAt(2), still(3, 501), still(3.1, 501), still(3.2, 501)},
			baseline: 0, items: 1, armed: true, state: protocol.StateAttention, prompt: msgUnexpected, deadline: 8.2,
		},
		{
			name:     "placed first, announced within the grace",
			steps:    []step{scanAt(1, "chair"), still(2, 120), still(2.1, 120), still(2.2, 120), ownBagAt(7.1)},
			baseline: 120, items: 1, state: protocol.StateShopping, prompt: msgNext,
		},
		{
			name:     "placed first, announced after the alert: cancelled",
			steps:    []step{scanAt(1, "chair"), still(2, 120), still(2.1, 120), still(2.2, 120), tickAt(7.2), ownBagAt(9)},
			baseline: 120, items: 1, alerts: []string{"unexpected_item:open", "unexpected_item:cancelled"}, state: protocol.StateShopping, prompt: msgNext,
		},
		{
			name: "the pending item wins a gain that matches it",
			steps: []step{scanAt(1, "cola"), ownBagAt(1.5), still(2, 355), still(2.1, 355), still(2.2, 355),
				still(3, 395), still(3.1, 395), still(3.2, 395)},
			baseline: 395, items: 1, state: protocol.StateShopping, prompt: msgNext,
		},
		{
			name: "announced with an item pending: the bag first, then the item",
			steps: []step{scanAt(1, "cola"), ownBagAt(1.5), still(2, 40), still(2.1, 40), still(2.2, 40),
				still(3, 395), still(3.1, 395), still(3.2, 395)},
			baseline: 395, items: 1, state: protocol.StateShopping, prompt: msgNext,
		},
		{
			name:     "a bag put down while an item is pending: the mismatch is taken back",
			steps:    []step{scanAt(1, "cola"), still(2, 40), still(2.1, 40), still(2.2, 40), ownBagAt(3)},
			baseline: 40, items: 1, pending: true, state: protocol.StateShopping, prompt: msgPlace, deadline: 11,
		},
		{
			name:     "a bag put down with the item in it: both are taken",
			steps:    []step{scanAt(1, "cola"), still(2, 40+356), still(2.1, 40+356), still(2.2, 40+356), ownBagAt(3)},
			baseline: 40 + 356, items: 1, state: protocol.StateShopping, prompt: msgNext,
		},
		{
			name: "a bag that raised weight_mismatch: cancelled, the bag timer starts again",
			pol:  Policy{MismatchAttempts: 1},
			steps: []step{scanAt(1, "cola"), still(2, 40), still(2.1, 40), still(2.2, 40), ownBagAt(4),
				still(5, 400), still(5.1, 400), still(5.2, 400)},
			baseline: 400, items: 1, alerts: []string{"weight_mismatch:open", "weight_mismatch:cancelled"}, state: protocol.StateShopping, prompt: msgNext,
		},
		{
			name: "a bag lighter than the tolerance is taken too, so it does not ride into the next item's weight",
			steps: []step{scanAt(1, "chair"), ownBagAt(2), still(3, 12), still(3.1, 12), still(3.2, 12),
				scanAt(4, "cola"), still(5, 12+355), still(5.1, 12+355), still(5.2, 12+355)},
			baseline: 12 + 355, items: 2, state: protocol.StateShopping, prompt: msgNext,
		},
		{
			name:     "a bag the scale cannot feel: still armed",
			steps:    []step{scanAt(1, "chair"), ownBagAt(2), still(3, 2), still(3.1, 2), still(3.2, 2)},
			baseline: 0, items: 1, armed: true, state: protocol.StateShopping, prompt: msgOwnBag,
		},
		{
			name: "no bag came: the next scan drops the announcement",
			steps: []step{scanAt(1, "chair"), ownBagAt(2), still(3, 2), still(3.1, 2), still(3.2, 2),
				scanAt(4, "cola"), still(5, 2+300), still(5.1, 2+300), still(5.2, 2+300)},
			baseline: 0, items: 2, pending: true, state: protocol.StateAttention, prompt: msgMismatch, deadline: 14,
		},
		{
			name: "a scan while the bag still moves keeps the announcement",
			steps: []step{scanAt(1, "chair"), ownBagAt(2), moving(3, 90), scanAt(3.1, "cola"),
				still(3.5, 120), still(3.6, 120), still(3.7, 120)},
			baseline: 120, items: 2, pending: true, state: protocol.StateShopping, prompt: msgPlace, deadline: 13.1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, _, _ := runSteps(t, tc.pol, tc.steps)
			snap := l.e.Snapshot()
			require.Equal(t, tc.baseline, snap.BaselineG, "baseline")
			require.Equal(t, tc.armed, snap.OwnBag, "armed")
			l.requireEnd(tc.items, tc.pending, tc.alerts, tc.state, tc.prompt, tc.deadline)
		})
	}
}

// Own bag at an idle lane or a closed one is refused and changes
// nothing; pressed twice it stays armed once.
func TestOwnBagRefused(t *testing.T) {
	l := newLane(t, Policy{})
	l.weigh(0, 0)
	eff := l.kind(EvOwnBag, 1)
	require.Equal(t, "there is no session: a bag placed now is simply part of the bagging area", eff.Refused)
	require.False(t, eff.Changed)
	require.False(t, l.e.Snapshot().OwnBag)
	l.weigh(2, 60) // idle: the bag joins the baseline anyway
	l.scan(3, "chair")
	require.Equal(t, 60, l.e.Snapshot().BaselineG)
	l.requireLook(protocol.StateShopping, devices.LightGreen, msgNext)

	require.True(t, l.kind(EvOwnBag, 4).Changed)
	eff = l.kind(EvOwnBag, 5)
	require.Empty(t, eff.Refused)
	require.False(t, eff.Changed, "already armed")

	l.cmd(6, "o1", "", protocol.ActionOutOfService)
	require.Equal(t, "the lane is out of service", l.kind(EvOwnBag, 7).Refused)

	// Finish ends the session and the announcement with it.
	l.cmd(8, "i1", "", protocol.ActionInService)
	require.Empty(t, l.kind(EvFinish, 9).Refused)
	require.False(t, l.e.Snapshot().OwnBag)
}

// The announcement survives a restart (it is session state).
func TestOwnBagIsJournaled(t *testing.T) {
	l := newLane(t, Policy{UnexpectedGrace: time.Second})
	l.weigh(0, 0)
	l.scan(1, "chair")
	l.kind(EvOwnBag, 2)
	l2 := restored(t, l)
	l2.weigh(3, 80)
	require.Equal(t, 80, l2.e.Snapshot().BaselineG)
	require.Empty(t, l2.all.Alerts)
}
