package kiosk

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/devices"
)

// Rule: only settled stable readings count: SettleReadings consecutive
// stable (or zero) readings within SettleToleranceG of each other.
// Unstable, not-ready and fault readings never count as a weight.
func TestSettleRule(t *testing.T) {
	type r struct {
		st devices.Status
		g  int
	}
	S, Z, U, N := devices.StatusStable, devices.StatusZero, devices.StatusUnstable, devices.StatusNotReady
	F, O, UZ := devices.StatusFault, devices.StatusOverCapacity, devices.StatusUnderZero
	tests := []struct {
		name     string
		readings []r
		settled  bool
		grams    int
	}{
		{"three stable", []r{{S, 500}, {S, 500}, {S, 500}}, true, 500},
		{"two stable are not enough", []r{{S, 500}, {S, 500}}, false, 0},
		{"zero counts", []r{{Z, 0}, {Z, 0}, {Z, 0}}, true, 0},
		{"drift within tolerance", []r{{S, 500}, {S, 501}, {S, 502}}, true, 502},
		{"drift beyond tolerance restarts the run", []r{{S, 500}, {S, 501}, {S, 503}}, false, 0},
		{"restarted run settles", []r{{S, 500}, {S, 503}, {S, 503}, {S, 503}}, true, 503},
		{"unstable breaks the run", []r{{S, 500}, {S, 500}, {U, 500}, {S, 500}}, false, 0},
		{"not ready breaks the run", []r{{S, 500}, {S, 500}, {N, 0}, {S, 500}}, false, 0},
		{"fault never counts", []r{{F, 500}, {F, 500}, {F, 500}}, false, 0},
		{"over capacity never counts", []r{{O, 90000}, {O, 90000}, {O, 90000}}, false, 0},
		{"under zero never counts", []r{{UZ, -5}, {UZ, -5}, {UZ, -5}}, false, 0},
		{"unstable clears a settled weight", []r{{S, 500}, {S, 500}, {S, 500}, {U, 700}}, false, 500},
		{"more stable readings keep it", []r{{S, 500}, {S, 500}, {S, 500}, {S, 501}, {S, 500}}, true, 500},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLane(t, Policy{})
			for i, x := range tc.readings {
				l.reading(float64(i)*0.1, x.st, x.g)
			}
			ss := l.e.Snapshot().Sensors
			require.Equal(t, tc.settled, ss.Settled)
			if tc.settled {
				require.Equal(t, tc.grams, ss.SettledG)
			}
		})
	}
}

// A weight that settles once counts once: the run's later readings do not
// settle it again.
func TestSettleCountsOncePerRun(t *testing.T) {
	l := newLane(t, Policy{SettleReadings: 2, SettleToleranceG: 5})
	for i := range 6 {
		l.reading(float64(i)*0.1, devices.StatusStable, 500+i%2)
	}
	require.Equal(t, uint64(1), l.e.Snapshot().Sensors.RunID)
}

// Deltas are against the last accepted weight, not the last reading.
func TestDeltaAgainstBaseline(t *testing.T) {
	l := newLane(t, Policy{})
	l.weigh(0, 1000)
	l.scan(1, "cola")
	l.weigh(2, 1200) // +200: mismatch, baseline stays 1000
	require.Equal(t, 1000, l.e.Snapshot().BaselineG)
	l.weigh(3, 1355) // +355 from the baseline: accepted
	s := l.e.Snapshot()
	require.Nil(t, s.Pending)
	require.Equal(t, 1355, s.BaselineG)
	require.Equal(t, 355, s.Basket[0].BaggedG)
}

// An item placed before it is scanned is accepted at the scan.
func TestItemPlacedBeforeScan(t *testing.T) {
	l := newLane(t, Policy{})
	l.weigh(0, 0)
	l.scan(1, "chair")
	l.weigh(2, 355)
	require.NotNil(t, l.e.Snapshot().Anomaly)
	l.scan(3, "cola")
	s := l.e.Snapshot()
	require.Nil(t, s.Pending)
	require.Nil(t, s.Anomaly)
	require.Empty(t, l.all.Alerts)
}

// An anomaly that changes sign cancels its alert and starts a new one.
func TestAnomalyChangesSign(t *testing.T) {
	l := newLane(t, Policy{UnexpectedGrace: time.Second, RemovedGrace: time.Second})
	l.weigh(0, 1000)
	l.scan(1, "chair")
	l.weigh(2, 1500)
	l.tick(4)
	eff := l.weigh(5, 500)
	require.Equal(t, []string{"unexpected_item:cancelled"}, kinds(eff.Alerts))
	require.Equal(t, []string{"item_removed:open"}, kinds(l.tick(7).Alerts))
}

func TestPolicy(t *testing.T) {
	require.Equal(t, DefaultPolicy, Policy{}.WithDefaults())
	p := Policy{BagTimeout: 3 * time.Second, SettleReadings: 5}.WithDefaults()
	require.Equal(t, 3*time.Second, p.BagTimeout)
	require.Equal(t, 5, p.SettleReadings)
	require.Equal(t, DefaultPolicy.BagPrompts, p.BagPrompts)
	require.NoError(t, DefaultPolicy.Validate())

	tests := []struct {
		edit func(p *Policy)
		err  string
	}{
		{func(p *Policy) { p.BagTimeout = -time.Second }, "policy.bag_timeout: must be > 0, got -1s"},
		{func(p *Policy) { p.UnexpectedGrace = -1 }, "policy.unexpected_grace: must be > 0, got -1ns"},
		{func(p *Policy) { p.RemovedGrace = -1 }, "policy.removed_grace: must be > 0"},
		{func(p *Policy) { p.DeviceGrace = -1 }, "policy.device_grace: must be > 0"},
		{func(p *Policy) { p.UnknownItemAttempts = -2 }, "policy.unknown_item_attempts: must be >= 1, got -2"},
		{func(p *Policy) { p.BagPrompts = -1 }, "policy.bag_prompts: must be >= 1"},
		{func(p *Policy) { p.MismatchAttempts = -1 }, "policy.mismatch_attempts: must be >= 1"},
		{func(p *Policy) { p.DefaultToleranceG = -1 }, "policy.default_tolerance_g: must be >= 0"},
		{func(p *Policy) { p.SettleReadings = -1 }, "policy.settle_readings: must be >= 1"},
		{func(p *Policy) { p.SettleToleranceG = -1 }, "policy.settle_tolerance_g: must be >= 0"},
	}
	for _, tc := range tests {
		p := DefaultPolicy
		tc.edit(&p)
		require.ErrorContains(t, p.WithDefaults().Validate(), tc.err)
	}
	require.ErrorContains(t, Policy{}.Validate(), "policy.unknown_item_attempts", "a raw zero policy is invalid")
}

// A shopper who scans before the scale has settled once since the lane
// started is weighed against the empty bagging area, not against their
// first item (found by the simulator: the first item was never accepted).
func TestScanBeforeFirstSettledWeight(t *testing.T) {
	l := newLane(t, DefaultPolicy)
	l.scan(0, "cola")
	l.weigh(0.2, 356)
	require.Nil(t, l.e.Snapshot().Pending, "cola accepted against an empty bagging area")
	require.Equal(t, 356, l.e.Snapshot().BaselineG)
}

// While idle one stable reading is enough for the baseline to follow the
// scale: a scan right after a shopper lifted their bags is judged against
// what is left.
func TestIdleBaselineFollowsOneStableReading(t *testing.T) {
	l := newLane(t, DefaultPolicy)
	l.reading(0, devices.StatusStable, 500)
	l.scan(0.1, "cola")
	l.weigh(0.2, 856)
	require.Nil(t, l.e.Snapshot().Pending, "cola accepted on top of the 500 g already there")
}
