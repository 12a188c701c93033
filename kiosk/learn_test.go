package kiosk

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/protocol"
)

// mismatchThenApprove scans data at s, puts g on the bagging area (on top
// of base) twice, which raises weight_mismatch, and has the attendant
// approve it. It returns the learned entries handed out.
func (l *lane) mismatchThenApprove(s float64, data string, base, g int) []Learned {
	l.t.Helper()
	l.scan(s, data)
	l.weigh(s+1, base+g)
	l.weigh(s+2, base)
	eff := l.weigh(s+3, base+g)
	a := alertOf(l.t, eff, protocol.AlertOpen)
	require.Equal(l.t, protocol.KindWeightMismatch, a.Kind)
	eff = l.cmd(s+4, fmt.Sprint("ok-", s), a.ID, protocol.ActionApprove)
	require.True(l.t, eff.Results[0].OK)
	return eff.Learned
}

// Rule (learned weights): a catalogue weight that is simply wrong (cola
// listed 355 g ±15, 390 g on the scale: 10% off) alarms until the lane has
// learned it: each attendant approve counts learn_approve_weight (3)
// samples, and from learn_min_samples (5) on the learned mean and spread
// replace the catalogue's, being tighter. Then it is accepted at once.
func TestLearnedWeightStopsAlarming(t *testing.T) {
	l := newLane(t, Policy{})
	l.weigh(0, 0)
	got := l.mismatchThenApprove(1, "cola", 0, 390)
	require.Len(t, got, 1)
	require.Equal(t, Learned{GTIN: cola.GTIN, Name: cola.Name, N: 3, Obs: 1, MeanG: 390, Updated: sec(5)}, got[0])
	require.Empty(t, l.kind(EvFinish, 6).Refused)

	got = l.mismatchThenApprove(10, "cola", 390, 391)
	require.Equal(t, 6, got[0].N)
	require.Equal(t, 2, got[0].Obs, "two weighings")
	require.InDelta(t, 390.5, got[0].MeanG, 1e-9)
	g, tol, learned := got[0].Use(cola, l.e.Policy())
	require.True(t, learned)
	require.Equal(t, 391, g) // 390.5 rounds half away from zero
	require.Equal(t, LearnMinToleranceG, tol)

	// The third time: accepted at once, and learned once more.
	before := len(l.all.Alerts)
	l.scan(20, "cola")
	eff := l.weigh(21, 390+391+389)
	require.Nil(t, l.e.Snapshot().Pending)
	require.Len(t, l.all.Alerts, before, "no alarm once learned")
	require.Equal(t, 7, eff.Learned[0].N)
	require.Equal(t, l.e.Learned(), eff.Learned)
	require.False(t, eff.Learned[0].Updated.IsZero())
}

// Samples: one per accepted placement, learn_approve_weight per approve;
// variable-measure and no_bag items, and gains the bagging area cannot tell
// from nothing, teach nothing; neither do quick hands or skipped items.
func TestLearnSamples(t *testing.T) {
	t.Run("placements", func(t *testing.T) {
		l := newLane(t, Policy{})
		l.weigh(0, 0)
		for i, g := range []int{350, 360, 355, 352, 358} {
			base := []int{0, 350, 710, 1065, 1417}[i]
			l.scan(float64(10*i+1), "cola")
			require.Len(t, l.weigh(float64(10*i+2), base+g).Learned, 1)
		}
		e := l.e.Learned()[0]
		require.Equal(t, 5, e.N)
		require.Equal(t, 5, e.Obs)
		require.InDelta(t, 355, e.MeanG, 1e-9)
		require.InDelta(t, math.Sqrt(68.0/4), e.SpreadG(), 1e-9)
		// 4 spreads, the spread at the upper bound five weighings allow
		// (2.41 times the measured one): not tighter than the catalogue's
		// 15, which holds the mean.
		require.Equal(t, 40, e.ToleranceG())
		g, tol, learned := e.Use(cola, l.e.Policy())
		require.False(t, learned)
		require.Equal(t, []int{355, 15}, []int{g, tol})
	})
	t.Run("nothing to learn", func(t *testing.T) {
		gum := Item{GTIN: "00000000000048", Name: "Gum", WeightG: 8}
		deli := Item{GTIN: "00000000000055", Name: "Deli", WeightG: 400, Variable: true}
		l := newLane(t, Policy{})
		l.e.SetCatalog(testCatalog{"gum": gum, "deli": deli, "chair": chair, "cola": cola, "wine": wine})
		l.weigh(0, 0)
		l.scan(1, "gum")
		require.Empty(t, l.weigh(2, 9).Learned, "lighter than the bagging area can tell")
		l.scan(3, "deli")
		require.Empty(t, l.weigh(4, 409).Learned, "variable measure")
		l.scan(5, "chair")
		l.scan(6, "cola")
		l.kind(EvSkipBag, 7)
		l.scan(8, "cola")
		l.scan(8.5, "wine")
		require.Empty(t, l.weigh(9, 409+355+1250).Learned, "quick hands: which item weighed what is a guess")
		require.Empty(t, l.e.Learned())
	})
	t.Run("an approve while the scale moves", func(t *testing.T) {
		l := newLane(t, Policy{})
		l.weigh(0, 0)
		l.scan(1, "cola")
		a := alertOf(t, l.tick(31), protocol.AlertOpen)
		l.reading(32, devices.StatusUnstable, 390)
		require.Empty(t, l.cmd(33, "c1", a.ID, protocol.ActionApprove).Learned)
	})
}

// Outliers are rejected: an approve of an item with a handbag on top does
// not poison what was learned. Outliers that agree with each other,
// learn_min_samples of them in a row, mean the product changed: they
// replace the entry.
func TestLearnOutliers(t *testing.T) {
	l := newLane(t, Policy{})
	l.weigh(0, 0)
	l.mismatchThenApprove(1, "cola", 0, 390)
	l.mismatchThenApprove(10, "cola", 390, 390)
	e := l.e.Learned()[0]
	require.Equal(t, 6, e.N)

	got := l.mismatchThenApprove(20, "cola", 780, 390+900)
	require.Equal(t, 6, got[0].N, "an outlier is not learned")
	require.Equal(t, 3, got[0].Rejected)
	require.InDelta(t, 390, got[0].MeanG, 1e-9)

	// A good sample clears the outliers' own tally.
	l.scan(30, "cola")
	got = l.weigh(31, 780+1290+391).Learned
	require.Equal(t, 7, got[0].N)
	require.Equal(t, 3, got[0].Obs)
	require.Zero(t, got[0].AltN)

	// The product is heavier now (new bottle): two approves in a row.
	base := 780 + 1290 + 391
	l.mismatchThenApprove(40, "cola", base, 432)
	got = l.mismatchThenApprove(50, "cola", base+432, 434)
	require.Equal(t, 6, got[0].N, "replaced by the agreeing outliers")
	require.Equal(t, 2, got[0].Obs)
	require.InDelta(t, 433, got[0].MeanG, 1e-9)
	require.Zero(t, got[0].AltN)
	l.scan(60, "cola")
	l.weigh(61, base+432+434+433)
	require.Nil(t, l.e.Snapshot().Pending, "the new weight is accepted at once")

	t.Run("before it is learned, against the catalogue", func(t *testing.T) {
		l := newLane(t, Policy{})
		l.weigh(0, 0)
		got := l.mismatchThenApprove(1, "cola", 0, 355+200)
		require.Zero(t, got[0].N)
		require.Equal(t, 3, got[0].Rejected)
	})
}

// Learned.Use: learned replaces the catalogue only from learn_min_samples
// on, and only where tighter, where the catalogue has no weight, or where
// the catalogue's range does not even hold the learned mean; never with a
// range that reaches down to "no change".
func TestLearnedUse(t *testing.T) {
	pol := DefaultPolicy
	tight := Learned{GTIN: cola.GTIN, N: 5, Obs: 5, MeanG: 391.4, M2: 4} // spread 1: tolerance 10
	loose := Learned{GTIN: cola.GTIN, N: 5, Obs: 5, MeanG: 391.4, M2: 400}
	tests := []struct {
		name    string
		l       Learned
		it      Item
		g, tol  int
		learned bool
	}{
		{"tighter", tight, cola, 391, 10, true},
		{"looser, but the catalogue is wrong", loose, cola, 391, 97, true},
		{"looser, the catalogue holds the mean", Learned{GTIN: cola.GTIN, N: 5, Obs: 5, MeanG: 360, M2: 400}, cola, 355, 15, false},
		{"too few samples", Learned{GTIN: cola.GTIN, N: 4, Obs: 4, MeanG: 391.4}, cola, 355, 15, false},
		{"no entry", Learned{}, cola, 355, 15, false},
		{"catalogue has no weight", Learned{GTIN: bread.GTIN, N: 5, Obs: 5, MeanG: 800, M2: 4000}, bread, 800, 305, true},
		{"catalogue tolerance 0 is the default", tight, Item{GTIN: cola.GTIN, WeightG: 355}, 391, 10, true},
		{"variable measure", Learned{GTIN: "v", N: 9, MeanG: 400}, Item{GTIN: "v", WeightG: 380, ToleranceG: 20, Variable: true}, 380, 20, false},
		{"equal tolerance is not tighter", Learned{GTIN: "e", N: 5, Obs: 5, MeanG: 400}, Item{GTIN: "e", WeightG: 395, ToleranceG: LearnMinToleranceG}, 395, 8, false},
		{"a range that reaches no change", Learned{GTIN: "g", N: 5, Obs: 5, MeanG: 25}, Item{GTIN: "g"}, 0, 20, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, tol, learned := tc.l.Use(tc.it, pol)
			require.Equal(t, []int{tc.g, tc.tol}, []int{g, tol})
			require.Equal(t, tc.learned, learned)
		})
	}
}

// With few weighings the spread may be much larger than measured: the
// tolerance takes its upper confidence bound (at most 2.5 times).
func TestSpreadBound(t *testing.T) {
	for _, c := range []struct {
		obs  int
		want float64
	}{{1, 1}, {2, 2.5}, {3, 2.5}, {5, 2.41}, {10, 1.65}, {30, 1.28}, {100, 1.13}} {
		require.InDelta(t, c.want, spreadBound(c.obs), 0.01, "%d weighings", c.obs)
	}
}

// The engine takes the learned table in and uses it, for quick hands too.
func TestSetLearned(t *testing.T) {
	l := newLane(t, Policy{})
	l.e.SetLearned([]Learned{{GTIN: cola.GTIN, N: 9, MeanG: 390}, {GTIN: ""}})
	require.Len(t, l.e.Learned(), 1)
	l.weigh(0, 0)
	l.scan(1, "cola")
	l.scan(1.2, "cola")
	l.weigh(2, 781)
	require.Equal(t, 2, l.state().Items)
	require.Nil(t, l.e.Snapshot().Pending)
	require.Empty(t, l.all.Alerts)
}

// Rule (help_debounce): a help press within help_debounce of a help the
// shopper cancelled does not page again; the screen says why. An
// attendant's clear does not start it.
func TestHelpDebounce(t *testing.T) {
	tests := []struct {
		name   string
		steps  []float64 // help at odd positions' times: help, cancel, help, ...
		clear  bool      // the attendant clears instead of the shopper cancelling
		pages  int
		notice bool
	}{
		{"within the debounce", []float64{1, 2, 6.999}, false, 1, true},
		{"at the debounce", []float64{1, 2, 7}, false, 2, false},
		{"an attendant's clear does not debounce", []float64{1, 2, 2.5}, true, 2, false},
		{"flapping: one page", []float64{1, 2, 3, 4, 5}, false, 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLane(t, Policy{})
			var eff Effects
			for i, at := range tc.steps {
				switch {
				case i%2 == 0:
					eff = l.kind(EvHelp, at)
				case tc.clear:
					l.cmd(at, "c1", l.e.OpenAlerts()[0].ID, protocol.ActionClear)
				default:
					l.kind(EvHelpCancel, at)
				}
			}
			n := 0
			for _, a := range l.all.Alerts {
				if a.Status == protocol.AlertOpen {
					n++
				}
			}
			require.Equal(t, tc.pages, n)
			if tc.notice {
				require.Equal(t, "help was cancelled a moment ago", eff.Refused)
				require.Empty(t, eff.Alerts)
				l.requireLook(protocol.StateIdle, devices.LightGreen, msgHelpDebounce) // no session: nothing to nudge
			} else {
				require.Empty(t, eff.Refused)
			}
		})
	}
}
