package kiosk

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/protocol"
)

func skipAt(at float64) step { return step{at: at, ev: EvSkipBag} }

// Rule (skip bagging): with an item waiting for its weight, skip bagging
// accepts it without weight at once, skip_bag_limit times a session;
// beyond, alert skip_bag, which the attendant approves or voids (or the
// shopper places the item after all).
func TestSkipBag(t *testing.T) {
	tests := []struct {
		name    string
		pol     Policy
		steps   []step
		refused string // of the last step
		items   int
		skipped int // lines skipped
		pending bool
		alerts  []string
		state   string
		prompt  string
		// deadline is NextDeadline after the last step; 0: none.
		deadline float64
	}{
		{
			name:  "accepted at once",
			steps: []step{scanAt(1, "cola"), skipAt(2)},
			items: 1, skipped: 1, state: protocol.StateShopping, prompt: msgNext,
		},
		{
			name:  "the held scan goes on",
			steps: []step{scanAt(1, "cola"), scanAt(1.5, "wine"), skipAt(2)},
			items: 2, skipped: 1, pending: true, alerts: []string{"age_check:open"}, state: protocol.StateAssist, prompt: msgPlace, deadline: 12,
		},
		{
			name:  "twice within the limit, the third raises skip_bag",
			steps: []step{scanAt(1, "cola"), skipAt(2), scanAt(3, "cola"), skipAt(4), scanAt(5, "cola"), skipAt(6)},
			items: 3, skipped: 2, pending: true, alerts: []string{"skip_bag:open"}, state: protocol.StateAssist, prompt: msgSkipBag,
		},
		{
			name:  "a limit of 1",
			pol:   Policy{SkipBagLimit: 1},
			steps: []step{scanAt(1, "cola"), skipAt(2), scanAt(3, "cola"), skipAt(4)},
			items: 2, skipped: 1, pending: true, alerts: []string{"skip_bag:open"}, state: protocol.StateAssist, prompt: msgSkipBag,
		},
		{
			name: "beyond the limit, the shopper places the item after all",
			steps: []step{scanAt(1, "cola"), skipAt(2), scanAt(3, "cola"), skipAt(4), scanAt(5, "cola"), skipAt(6),
				still(7, 355), still(7.1, 355), still(7.2, 355)},
			items: 3, skipped: 2, alerts: []string{"skip_bag:open", "skip_bag:cancelled"}, state: protocol.StateShopping, prompt: msgNext,
		},
		{
			name:  "a bag_timeout is cancelled by a skip within the limit",
			steps: []step{scanAt(1, "cola"), tickAt(31), skipAt(40)},
			items: 1, skipped: 1, alerts: []string{"bag_timeout:open", "bag_timeout:cancelled"}, state: protocol.StateShopping, prompt: msgNext,
		},
		{
			name:    "beyond the limit with a bag_timeout open: wait for the attendant",
			pol:     Policy{SkipBagLimit: 1},
			steps:   []step{scanAt(1, "cola"), skipAt(2), scanAt(3, "cola"), tickAt(33), skipAt(40)},
			refused: "please wait for the attendant",
			items:   2, skipped: 1, pending: true, alerts: []string{"bag_timeout:open"}, state: protocol.StateAssist, prompt: msgPlace,
		},
		{
			name:    "nothing waiting for its weight",
			steps:   []step{scanAt(1, "chair"), skipAt(2)},
			refused: "no item is waiting for the bagging area",
			items:   1, state: protocol.StateShopping, prompt: msgNext,
		},
		{
			name:    "at an idle lane",
			steps:   []step{skipAt(2)},
			refused: "no item is waiting for the bagging area",
			state:   protocol.StateIdle, prompt: msgWelcome,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, eff, seq := runSteps(t, tc.pol, tc.steps)
			require.Equal(t, tc.refused, eff.Refused)
			if tc.refused != "" {
				require.False(t, eff.Changed, "a refused skip changes nothing")
				require.Equal(t, seq, l.state().Seq)
			}
			n := 0
			for _, ln := range l.e.Snapshot().Basket {
				if ln.Skipped {
					n++
					require.False(t, ln.Bagged)
				}
			}
			require.Equal(t, tc.skipped, n, "skipped lines")
			l.requireEnd(tc.items, tc.pending, tc.alerts, tc.state, tc.prompt, tc.deadline)
		})
	}
}

// The skip_bag alert: what it says, and the attendant's approve and void.
func TestSkipBagAlertResolved(t *testing.T) {
	setup := func(t *testing.T) (*lane, protocol.Alert) {
		l := newLane(t, Policy{SkipBagLimit: 1})
		l.weigh(0, 0)
		l.scan(1, "cola")
		l.kind(EvSkipBag, 2)
		l.scan(3, "wine")
		l.cmd(3.5, "age", l.e.OpenAlerts()[0].ID, protocol.ActionAgeOK)
		eff := l.kind(EvSkipBag, 4)
		a := alertOf(t, eff, protocol.AlertOpen)
		require.Equal(t, protocol.KindSkipBag, a.Kind)
		require.Equal(t, protocol.SeverityMedium, a.Severity)
		require.Equal(t, 2, a.Attempts)
		require.Equal(t, &protocol.ItemRef{GTIN: wine.GTIN, Name: wine.Name}, a.Item)
		require.Equal(t, "skip bagging asked for Red wine 75cl after 1 skipped this session (limit 1)", a.Detail)
		require.Equal(t, protocol.At(sec(4)), a.TS)
		require.Equal(t, boolp(false), eff.Scanner, "skip_bag blocks scanning")
		require.Equal(t, "an alert is waiting for the attendant", l.kind(EvFinish, 5).Refused)
		require.Equal(t, "please wait for the attendant", l.kind(EvSkipBag, 6).Refused, "asked again: one alert")
		return l, a
	}
	t.Run("approve accepts it without weight", func(t *testing.T) {
		l, a := setup(t)
		eff := l.cmd(10, "c1", a.ID, protocol.ActionApprove)
		require.True(t, eff.Results[0].OK)
		require.Equal(t, boolp(true), eff.Scanner)
		s := l.e.Snapshot()
		require.Nil(t, s.Pending)
		require.True(t, s.Basket[1].Skipped)
		require.Equal(t, 2, s.SkippedBags)
		require.Equal(t, 0, s.BaselineG)
		l.requireLook(protocol.StateShopping, devices.LightGreen, msgNext)
		require.Empty(t, l.kind(EvFinish, 11).Refused)
	})
	t.Run("void removes it", func(t *testing.T) {
		l, a := setup(t)
		require.True(t, l.cmd(10, "c1", a.ID, protocol.ActionVoid).Results[0].OK)
		st := l.state()
		require.Equal(t, 1, st.Items)
		require.Equal(t, cola.GTIN, st.Basket[0].GTIN)
		require.Empty(t, l.kind(EvFinish, 11).Refused)
	})
	t.Run("clear does not apply", func(t *testing.T) {
		l, a := setup(t)
		res := l.cmd(10, "c1", a.ID, protocol.ActionClear).Results[0]
		require.False(t, res.OK)
		require.Equal(t, `action "clear" does not apply to a skip_bag alert`, res.Error)
	})
}

// The count is per session.
func TestSkipBagCountIsPerSession(t *testing.T) {
	l := newLane(t, Policy{SkipBagLimit: 1})
	l.weigh(0, 0)
	l.scan(1, "cola")
	l.kind(EvSkipBag, 2)
	require.Empty(t, l.kind(EvFinish, 3).Refused)
	l.scan(4, "cola")
	eff := l.kind(EvSkipBag, 5)
	require.Empty(t, eff.Alerts)
	require.Nil(t, l.e.Snapshot().Pending)
}
