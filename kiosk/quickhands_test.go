package kiosk

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/protocol"
)

// step is one timed event in a table-driven engine test: a scan, a scale
// reading, or a tick.
type step struct {
	at   float64
	scan string         // scan this, or
	ev   EventKind      // an event of this kind without data (EvTick: none), or
	st   devices.Status // a reading with this status
	g    int            // -1 with st StatusNotReady: a tick
}

func scanAt(at float64, data string) step { return step{at: at, scan: data} }
func moving(at float64, g int) step       { return step{at: at, st: devices.StatusUnstable, g: g} }
func still(at float64, g int) step        { return step{at: at, st: devices.StatusStable, g: g} }
func tickAt(at float64) step              { return step{at: at, st: devices.StatusNotReady, g: -1} }

// requireEnd checks what a table test expects after its steps: the items
// in the basket, whether one waits for its weight, every alert raised
// (kind:status), the state and a sentence of the prompt, and the next
// deadline (seconds on the test clock; 0: none).
func (l *lane) requireEnd(items int, pending bool, alerts []string, state, prompt string, deadline float64) {
	l.t.Helper()
	st := l.state()
	require.Equal(l.t, items, st.Items, "items")
	require.Equal(l.t, pending, l.e.Snapshot().Pending != nil, "pending")
	require.Equal(l.t, alerts, kinds(l.all.Alerts))
	require.Equal(l.t, state, st.State, st.Prompt)
	require.Contains(l.t, st.Prompt, prompt)
	if deadline == 0 {
		require.True(l.t, l.e.NextDeadline().IsZero(), "no timer, got %v", l.e.NextDeadline())
	} else {
		require.Equal(l.t, sec(deadline), l.e.NextDeadline())
	}
}

// runSteps starts a lane with policy p on an empty scale and runs steps;
// it returns the effects of the last step and the state's Seq before it.
func runSteps(t *testing.T, p Policy, steps []step) (l *lane, last Effects, seqBefore uint64) {
	t.Helper()
	l = newLane(t, p)
	l.weigh(0, 0)
	for _, s := range steps {
		seqBefore = l.state().Seq
		last = l.run(s)
	}
	return l, last, seqBefore
}

func (l *lane) run(s step) Effects {
	switch {
	case s.scan != "":
		return l.scan(s.at, s.scan)
	case s.ev != EvTick:
		return l.kind(s.ev, s.at)
	case s.g < 0:
		return l.tick(s.at)
	}
	return l.reading(s.at, s.st, s.g)
}

// Rule (quick hands): the held item was placed before the scale settled on
// the pending one; a settled gain matching their sum, within the sum of
// their tolerances, accepts both, with no prompt and no alert. The times
// are exact: both are accepted by the reading that settles the weight
// (the third stable one), not before.
func TestQuickHands(t *testing.T) {
	water := Item{GTIN: "00000000000031", Name: "Water 1.5l", PriceCents: 65, WeightG: 1560} // default tolerance 20
	const both = 355 + 1560
	tests := []struct {
		name  string
		steps []step
		// After the last step:
		items    int
		bagged   int
		baseline int
		pending  bool
		alerts   []string
		state    string
		// settledAt is the step index whose event accepted the items
		// (-1: none); until then the cola is pending.
		settledAt int
	}{
		{
			name: "the second item lands while the first still moves",
			steps: []step{
				scanAt(1, "cola"), moving(1.5, 300), scanAt(1.8, "water"), moving(2.0, 1200), moving(2.2, 1930),
				still(2.3, both), still(2.4, both), still(2.5, both),
			},
			items: 2, bagged: 2, baseline: both, state: protocol.StateShopping, settledAt: 7,
		},
		{
			name: "at the edge of the summed tolerances",
			steps: []step{
				scanAt(1, "cola"), scanAt(1.2, "water"), moving(1.5, 900),
				still(2, both+35), still(2.1, both+35), still(2.2, both+35),
			},
			items: 2, bagged: 2, baseline: both + 35, state: protocol.StateShopping, settledAt: 5,
		},
		{
			name: "just outside the summed tolerances is a mismatch",
			steps: []step{
				scanAt(1, "cola"), scanAt(1.2, "water"), moving(1.5, 900),
				still(2, both+36), still(2.1, both+36), still(2.2, both+36),
			},
			items: 1, pending: true, state: protocol.StateAttention, settledAt: -1,
		},
		{
			name: "the held item settles first, then the pending one joins it",
			steps: []step{
				scanAt(1, "cola"), scanAt(1.2, "water"), moving(1.5, 1000),
				still(2, 1560), still(2.1, 1560), still(2.2, 1560), // a mismatch for the cola, no alert
				moving(3, 1800), still(3.4, both), still(3.5, both), still(3.6, both),
			},
			items: 2, bagged: 2, baseline: both, state: protocol.StateShopping, settledAt: 9,
		},
		{
			name: "a held age-restricted item raises its age check when it joins",
			steps: []step{
				scanAt(1, "cola"), scanAt(1.3, "wine"), moving(1.6, 800),
				still(2, 355+1250), still(2.1, 355+1250), still(2.2, 355+1250),
			},
			items: 2, bagged: 2, baseline: 355 + 1250, alerts: []string{"age_check:open"}, state: protocol.StateAssist, settledAt: 5,
		},
		{
			name: "a held item of unknown weight: it is the rest of the gain",
			steps: []step{
				scanAt(1, "cola"), scanAt(1.3, "bread"), moving(1.6, 800),
				still(2, 355+800), still(2.1, 355+800), still(2.2, 355+800),
			},
			items: 2, bagged: 2, baseline: 355 + 800, state: protocol.StateShopping, settledAt: 5,
		},
		{
			name: "a pending item of unknown weight: it is the rest of the gain",
			steps: []step{
				scanAt(1, "bread"), scanAt(1.3, "cola"), moving(1.6, 800),
				still(2, 355+800), still(2.1, 355+800), still(2.2, 355+800),
			},
			items: 2, bagged: 2, baseline: 355 + 800, state: protocol.StateShopping, settledAt: 5,
		},
		{
			name: "the held item came later after all (LateHeld)",
			steps: []step{
				scanAt(1, "bread"), scanAt(1.3, "cola"), moving(1.6, 800),
				still(2, 800), still(2.1, 800), still(2.2, 800), // taken for both: bread 445, cola 355
				moving(3, 900), still(3.5, 1155), still(3.6, 1155), still(3.7, 1155), // no unexpected item
			},
			items: 2, bagged: 2, baseline: 1155, state: protocol.StateShopping, settledAt: 5,
		},
		{
			name: "a held unrecognised scan cannot be summed",
			steps: []step{
				scanAt(1, "cola"), scanAt(1.3, "nope"), moving(1.6, 800),
				still(2, both), still(2.1, both), still(2.2, both),
			},
			items: 1, pending: true, state: protocol.StateAttention, settledAt: -1,
		},
		{
			name: "a held no_bag item: the pending one alone is matched",
			steps: []step{
				scanAt(1, "cola"), scanAt(1.3, "chair"), moving(1.6, 200),
				still(2, 355), still(2.1, 355), still(2.2, 355),
			},
			items: 2, bagged: 1, baseline: 355, state: protocol.StateShopping, settledAt: 5,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLane(t, Policy{})
			c := testCatalog{"water": water}
			for k, v := range cat {
				c[k] = v
			}
			l.e.SetCatalog(c)
			l.weigh(0, 0)
			for i, s := range tc.steps {
				l.run(s)
				snap := l.e.Snapshot()
				if tc.settledAt >= 0 && i >= tc.settledAt {
					require.Nil(t, snap.Pending, "step %d (%.1fs): accepted", i, s.at)
					if i == tc.settledAt {
						require.Equal(t, sec(s.at), snap.TS, "accepted at the settling reading")
					}
					continue
				}
				require.NotNil(t, snap.Pending, "step %d (%.1fs): still pending", i, s.at)
			}
			snap := l.e.Snapshot()
			st := l.state()
			require.Equal(t, tc.items, st.Items)
			n := 0
			for _, ln := range snap.Basket {
				if ln.Bagged {
					n++
				}
			}
			require.Equal(t, tc.bagged, n, "bagged lines")
			require.Equal(t, tc.pending, snap.Pending != nil)
			if !tc.pending {
				require.Equal(t, tc.baseline, snap.BaselineG)
				require.Nil(t, snap.Held)
			}
			require.Equal(t, tc.alerts, kinds(l.all.Alerts))
			require.Equal(t, tc.state, st.State, st.Prompt)
			if tc.state == protocol.StateShopping {
				require.Equal(t, msgNext, st.Prompt)
			}
		})
	}
}

// The two lines share the gain in proportion to their weights, so that a
// later item_removed void still finds the right one.
func TestQuickHandsSharesTheGain(t *testing.T) {
	l := newLane(t, Policy{})
	l.weigh(0, 0)
	l.scan(1, "cola")
	l.scan(1.2, "wine")
	l.weigh(2, 355+1250+20)
	b := l.e.Snapshot().Basket
	require.Len(t, b, 2)
	require.Equal(t, 359, b[0].BaggedG)
	require.Equal(t, 1266, b[1].BaggedG)
	require.Equal(t, 355+1250+20, b[0].BaggedG+b[1].BaggedG)
}

// LateHeld: quick hands took the held item for already down, because the
// gain fitted both (the pending item alone would have fitted too); its
// weight arriving next is that item, not an unexpected one, and each line
// ends with its own gain. Any other change, or the next scan, ends it.
func TestLateHeld(t *testing.T) {
	// A loaf (no catalogue weight) and a cola taken together for 800 g.
	bothTaken := func(t *testing.T) *lane {
		l := newLane(t, Policy{})
		l.weigh(0, 0)
		l.scan(1, "bread")
		l.scan(1.3, "cola")
		l.weigh(2, 800)
		return l
	}
	t.Run("the held item arrives", func(t *testing.T) {
		l := bothTaken(t)
		s := l.e.Snapshot()
		require.Equal(t, &LateHeld{First: 0, Line: 1, WeightG: 355, ToleranceG: 15}, s.LateHeld)
		require.Equal(t, []int{445, 355}, []int{s.Basket[0].BaggedG, s.Basket[1].BaggedG})
		eff := l.weigh(3, 800+352)
		require.Empty(t, eff.Alerts)
		s = l.e.Snapshot()
		require.Nil(t, s.LateHeld)
		require.Nil(t, s.Anomaly)
		require.Equal(t, []int{800, 352}, []int{s.Basket[0].BaggedG, s.Basket[1].BaggedG})
		require.Equal(t, 1152, s.BaselineG)
	})
	t.Run("something else arrives", func(t *testing.T) {
		l := bothTaken(t)
		l.weigh(3, 800+600)
		require.Nil(t, l.e.Snapshot().LateHeld)
		l.requireLook(protocol.StateAttention, devices.LightYellow, msgUnexpected)
	})
	t.Run("the next scan ends it", func(t *testing.T) {
		l := bothTaken(t)
		l.scan(3, "chair")
		require.Nil(t, l.e.Snapshot().LateHeld)
		l.weigh(4, 800+355)
		l.requireLook(protocol.StateAttention, devices.LightYellow, msgUnexpected)
	})
}
