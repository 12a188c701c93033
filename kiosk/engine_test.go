package kiosk

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/protocol"
)

// Rule: a session starts at the first scan and ends with finish.
func TestSessionStartsAtFirstScanAndEndsWithFinish(t *testing.T) {
	l := newLane(t, Policy{})
	eff := l.weigh(0, 0)
	require.False(t, eff.Changed && l.state().Session != "", "a reading opens no session")
	l.requireLook(protocol.StateIdle, devices.LightGreen, msgWelcome)

	eff = l.scan(1, "cola")
	require.True(t, eff.Changed)
	st := l.state()
	require.Equal(t, "id1", st.Session)
	require.Equal(t, 1, st.Items)
	require.Equal(t, int64(89), st.TotalCents)
	require.Equal(t, []protocol.BasketItem{{GTIN: cola.GTIN, Name: cola.Name, PriceCents: 89}}, st.Basket)
	l.requireLook(protocol.StateShopping, devices.LightGreen, msgPlace)

	l.weigh(2, 355)
	l.requireLook(protocol.StateShopping, devices.LightGreen, msgNext)
	l.scan(3, "chair") // no_bag: nothing to wait for
	l.requireLook(protocol.StateShopping, devices.LightGreen, msgNext)
	require.Equal(t, int64(89+2999), l.state().TotalCents)

	seq := l.state().Seq
	eff = l.kind(EvFinish, 4)
	require.True(t, eff.Changed)
	require.Empty(t, eff.Refused)
	st = l.state()
	require.Equal(t, "", st.Session)
	require.Equal(t, 0, st.Items)
	require.Equal(t, seq+1, st.Seq)
	require.Equal(t, protocol.At(sec(4)), st.TS)
	l.requireLook(protocol.StateIdle, devices.LightGreen, msgThanks)

	// The shopper takes the bags: idle follows the weight, no alert, and
	// nothing to publish.
	eff = l.weigh(5, 0)
	require.Empty(t, eff.Alerts)
	require.False(t, eff.Changed)
	require.Equal(t, 0, l.e.Snapshot().BaselineG)
	eff = l.kind(EvFinish, 6)
	require.Equal(t, "there is no session to finish", eff.Refused)
	require.False(t, eff.Changed)

	// The next session is a new one.
	l.scan(7, "chair")
	require.NotEqual(t, "id1", l.state().Session)
	require.NotEmpty(t, l.state().Session)
}

// Rule: unknown_item_attempts unrecognised scans in a row raise
// unknown_item; each earlier one only prompts; a recognised item between
// them starts the count again.
func TestUnknownItem(t *testing.T) {
	tests := []struct {
		name   string
		scans  []string
		alerts int
	}{
		{"two unknown only prompt", []string{"x", "y"}, 0},
		{"third in a row raises", []string{"x", "y", "z"}, 1},
		{"a recognised item resets the count", []string{"x", "y", "chair", "x", "y"}, 0},
		{"count restarts after the reset", []string{"x", "chair", "x", "y", "z"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLane(t, Policy{})
			for i, s := range tc.scans {
				l.scan(float64(i), s)
			}
			require.Len(t, l.all.Alerts, tc.alerts)
			if tc.alerts == 0 {
				if tc.scans[len(tc.scans)-1] != "chair" {
					l.requireLook(protocol.StateAttention, devices.LightYellow, msgNotRecognised)
				}
				return
			}
			a := l.all.Alerts[0]
			require.Equal(t, protocol.KindUnknownItem, a.Kind)
			require.Equal(t, protocol.SeverityMedium, a.Severity)
			require.Equal(t, 3, a.Attempts)
			require.Contains(t, a.Detail, `"z"`)
			require.Equal(t, "s1", a.Store)
			require.Equal(t, "3", a.Lane)
			require.Equal(t, "front", a.Zone)
			require.Equal(t, boolp(false), l.all.Scanner, "unknown_item blocks scanning")
			l.requireLook(protocol.StateAssist, devices.LightYellowFlash, msgSetAside, msgCalled)
		})
	}
}

// The shopper fixes an unknown item by scanning a recognised one (a
// scanner that cannot be disabled still delivers it): the alert is
// cancelled. Other blocking alerts refuse the scan.
func TestUnknownItemCancelledByRecognisedScan(t *testing.T) {
	l := newLane(t, Policy{UnknownItemAttempts: 1})
	a := alertOf(t, l.scan(0, "x"), protocol.AlertOpen)
	eff := l.scan(1, "chair")
	c := alertOf(t, eff, protocol.AlertCancelled)
	require.Equal(t, a.ID, c.ID)
	require.Equal(t, protocol.At(sec(1)), c.TS)
	require.Equal(t, boolp(true), eff.Scanner)
	require.Equal(t, 1, l.state().Items)

	l.kind(EvHelp, 2)
	eff = l.scan(3, "chair")
	require.Equal(t, "please wait for the attendant", eff.Refused)
	require.Equal(t, 1, l.state().Items)
}

// Rule: a weighed item must produce a stable gain of weight ± tolerance
// within bag_timeout; each expiry prompts again; after bag_prompts
// prompts, alert bag_timeout. Timings are exact.
func TestBagTimeout(t *testing.T) {
	l := newLane(t, Policy{})
	l.weigh(0, 100)
	l.scan(1, "cola")
	require.Equal(t, sec(11), l.e.NextDeadline())

	steps := []struct {
		at     float64
		state  string
		light  devices.LightPattern
		alerts []string
	}{
		{10.999, protocol.StateShopping, devices.LightGreen, nil},
		{11, protocol.StateAttention, devices.LightYellow, nil}, // prompt 1
		{20.999, protocol.StateAttention, devices.LightYellow, nil},
		{21, protocol.StateAttention, devices.LightYellow, nil}, // prompt 2
		{30.999, protocol.StateAttention, devices.LightYellow, nil},
		{31, protocol.StateAssist, devices.LightYellowFlash, []string{"bag_timeout:open"}},
		{100, protocol.StateAssist, devices.LightYellowFlash, nil},
	}
	for _, s := range steps {
		eff := l.tick(s.at)
		require.Equal(t, s.alerts, kinds(eff.Alerts), "at %v", s.at)
		l.requireLook(s.state, s.light, msgPlace)
	}
	a := l.e.OpenAlerts()[0]
	require.Equal(t, 2, a.Attempts)
	require.Equal(t, &protocol.ItemRef{GTIN: cola.GTIN, Name: cola.Name}, a.Item)
	require.Equal(t, protocol.At(sec(31)), a.TS)
	require.Equal(t, boolp(false), l.all.Scanner)
	require.True(t, l.e.NextDeadline().IsZero(), "no timer once the alert is open")

	// The shopper places the item before the attendant comes.
	eff := l.weigh(101, 455)
	c := alertOf(t, eff, protocol.AlertCancelled)
	require.Equal(t, a.ID, c.ID)
	require.Equal(t, boolp(true), eff.Scanner)
	l.requireLook(protocol.StateShopping, devices.LightGreen, msgNext)
	require.Equal(t, 455, l.e.Snapshot().BaselineG)
}

// A late tick catches up on every expiry it missed, in order.
func TestBagTimeoutLateTickCatchesUp(t *testing.T) {
	l := newLane(t, Policy{})
	l.weigh(0, 0)
	l.scan(1, "cola")
	eff := l.e.Handle(Event{Kind: EvTick, At: sec(40)})
	require.Equal(t, []string{"bag_timeout:open"}, kinds(eff.Alerts))
	require.Equal(t, protocol.At(sec(40)), eff.Alerts[0].TS)
}

// Rule: a stable gain outside the tolerance prompts a mismatch; after
// mismatch_attempts mismatches for that item, alert weight_mismatch.
func TestWeightMismatch(t *testing.T) {
	l := newLane(t, Policy{})
	l.weigh(0, 0)
	l.scan(1, "cola") // 355 ± 15
	eff := l.weigh(2, 371)
	require.Empty(t, eff.Alerts)
	l.requireLook(protocol.StateAttention, devices.LightYellow, msgMismatch)

	// The same settled weight is one mismatch, however long it stays.
	for i := range 10 {
		l.reading(2.5+0.1*float64(i), devices.StatusStable, 371)
	}
	require.Empty(t, l.all.Alerts)

	// Lifting the item off is not a mismatch.
	l.weigh(3, 0)
	l.requireLook(protocol.StateShopping, devices.LightGreen, msgPlace)

	eff = l.weigh(4, 600)
	a := alertOf(t, eff, protocol.AlertOpen)
	require.Equal(t, protocol.KindWeightMismatch, a.Kind)
	require.Equal(t, 2, a.Attempts)
	require.Equal(t, "expected 355g ±15g, got +600g", a.Detail)
	require.Equal(t, boolp(false), eff.Scanner)
	require.True(t, l.e.NextDeadline().IsZero(), "the bag timer stops once the item has an alert")

	// Re-placed right: accepted, alert cancelled.
	eff = l.weigh(5, 340)
	require.Equal(t, []string{"weight_mismatch:cancelled"}, kinds(eff.Alerts))
	l.requireLook(protocol.StateShopping, devices.LightGreen)
	require.Equal(t, 340, l.e.Snapshot().BaselineG)
}

// Tolerance comes from the catalogue, or the policy default when the
// item has none; an item of unknown weight takes any gain.
func TestTolerance(t *testing.T) {
	noTol := Item{GTIN: "1", Name: "no tol", WeightG: 500}
	tests := []struct {
		name  string
		item  Item
		pol   Policy
		gain  int
		match bool
	}{
		{"catalogue tolerance, inside", cola, Policy{}, 355 + 15, true},
		{"catalogue tolerance, outside", cola, Policy{}, 355 + 16, false},
		{"catalogue tolerance, under", cola, Policy{}, 355 - 15, true},
		{"default tolerance, inside", noTol, Policy{}, 520, true},
		{"default tolerance, outside", noTol, Policy{}, 521, false},
		{"policy default tolerance", noTol, Policy{DefaultToleranceG: 50}, 550, true},
		{"unknown weight takes any gain", bread, Policy{}, 21, true},
		{"unknown weight needs a gain", bread, Policy{}, 20, false},
		{"lighter than its tolerance: no gain needed", Item{GTIN: "2", Name: "gum", WeightG: 8}, Policy{}, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLane(t, tc.pol)
			l.e.SetCatalog(testCatalog{"it": tc.item})
			l.weigh(0, 1000)
			l.scan(1, "it")
			l.weigh(2, 1000+tc.gain)
			require.Equal(t, tc.match, l.e.Snapshot().Pending == nil)
		})
	}
}

// Rule: no_bag items expect no weight; a gain after one is unexpected.
func TestNoBagItem(t *testing.T) {
	l := newLane(t, Policy{})
	l.weigh(0, 0)
	l.scan(1, "chair")
	require.Nil(t, l.e.Snapshot().Pending)
	require.True(t, l.e.NextDeadline().IsZero())
	l.weigh(2, 3000)
	l.requireLook(protocol.StateAttention, devices.LightYellow, msgUnexpected)
}

// Rule: a stable gain with no item pending prompts "unexpected item"; not
// removed within unexpected_grace: alert unexpected_item; removed
// afterwards: cancelled.
func TestUnexpectedItem(t *testing.T) {
	t.Run("removed within the grace", func(t *testing.T) {
		l := newLane(t, Policy{})
		l.weigh(0, 0)
		l.scan(1, "chair")
		l.weigh(2, 500) // settles at 2.3
		l.requireLook(protocol.StateAttention, devices.LightYellow, msgUnexpected)
		require.Equal(t, sec(7.3), l.e.NextDeadline())
		l.weigh(6.9, 5) // back within the tolerance at 7.2
		require.Empty(t, l.all.Alerts)
		require.True(t, l.e.NextDeadline().IsZero())
		l.requireLook(protocol.StateShopping, devices.LightGreen, msgNext)
	})
	t.Run("alert at the grace, cancelled when removed", func(t *testing.T) {
		l := newLane(t, Policy{})
		l.weigh(0, 0)
		l.scan(1, "chair")
		l.weigh(2, 500)
		require.Empty(t, l.tick(7.299).Alerts)
		eff := l.tick(7.3)
		a := alertOf(t, eff, protocol.AlertOpen)
		require.Equal(t, protocol.KindUnexpectedItem, a.Kind)
		require.Equal(t, "+500g on the bagging area with no item scanned", a.Detail)
		require.Equal(t, boolp(false), eff.Scanner)
		l.requireLook(protocol.StateAssist, devices.LightYellowFlash, msgUnexpected, msgCalled)
		eff = l.weigh(9, 0)
		require.Equal(t, a.ID, alertOf(t, eff, protocol.AlertCancelled).ID)
		require.Equal(t, boolp(true), eff.Scanner)
	})
	t.Run("unstable readings keep the alert", func(t *testing.T) {
		l := newLane(t, Policy{UnexpectedGrace: time.Second})
		l.weigh(0, 0)
		l.scan(1, "chair")
		l.weigh(2, 500)
		l.tick(4)
		require.Len(t, l.e.OpenAlerts(), 1)
		l.reading(5, devices.StatusUnstable, 0)
		l.reading(5.1, devices.StatusNotReady, 0)
		require.Len(t, l.e.OpenAlerts(), 1)
	})
	t.Run("approve accepts the weight", func(t *testing.T) {
		l := newLane(t, Policy{UnexpectedGrace: time.Second})
		l.weigh(0, 0)
		l.scan(1, "chair")
		l.weigh(2, 500)
		a := alertOf(t, l.tick(4), protocol.AlertOpen)
		eff := l.cmd(5, "c1", a.ID, protocol.ActionApprove)
		require.Equal(t, []protocol.CommandResult{{ID: "c1", OK: true, TS: protocol.At(sec(5))}}, eff.Results)
		require.Empty(t, eff.Alerts, "a resolved alert is not re-published by the lane")
		require.Equal(t, 500, l.e.Snapshot().BaselineG)
		l.requireLook(protocol.StateShopping, devices.LightGreen, msgNext)
	})
}

// Rule: a stable loss during a session prompts "item removed"; not
// restored within removed_grace: alert item_removed; restored: cancelled.
func TestItemRemoved(t *testing.T) {
	setup := func(t *testing.T) *lane {
		l := newLane(t, Policy{})
		l.weigh(0, 0)
		l.scan(1, "cola")
		l.weigh(2, 355)
		l.scan(3, "wine")
		l.weigh(4, 1605)
		l.cmd(4.5, "age", l.e.OpenAlerts()[0].ID, protocol.ActionAgeOK)
		l.weigh(5, 350) // the wine is taken off; settles at 5.3
		l.requireLook(protocol.StateAttention, devices.LightYellow, msgRemoved)
		return l
	}
	t.Run("restored within the grace", func(t *testing.T) {
		l := setup(t)
		l.weigh(9, 1600)
		l.tick(20)
		require.Empty(t, l.e.OpenAlerts())
		l.requireLook(protocol.StateShopping, devices.LightGreen)
	})
	t.Run("alert, then restored", func(t *testing.T) {
		l := setup(t)
		require.Empty(t, l.tick(10.299).Alerts)
		a := alertOf(t, l.tick(10.3), protocol.AlertOpen)
		require.Equal(t, protocol.KindItemRemoved, a.Kind)
		require.Equal(t, "1255g taken from the bagging area", a.Detail)
		eff := l.weigh(12, 1605)
		require.Equal(t, a.ID, alertOf(t, eff, protocol.AlertCancelled).ID)
	})
	t.Run("void removes the best matching item", func(t *testing.T) {
		l := setup(t)
		a := alertOf(t, l.tick(10.3), protocol.AlertOpen)
		eff := l.cmd(11, "c1", a.ID, protocol.ActionVoid)
		require.True(t, eff.Results[0].OK)
		st := l.state()
		require.Equal(t, 1, st.Items)
		require.Equal(t, cola.GTIN, st.Basket[0].GTIN)
		require.Equal(t, 350, l.e.Snapshot().BaselineG)
		l.requireLook(protocol.StateShopping, devices.LightGreen)
		require.Empty(t, l.kind(EvFinish, 12).Refused)
	})
}

// Rule: an age_restricted item raises age_check at once; scanning goes
// on; finish waits for approval.
func TestAgeCheck(t *testing.T) {
	l := newLane(t, Policy{})
	l.weigh(0, 0)
	eff := l.scan(1, "wine")
	a := alertOf(t, eff, protocol.AlertOpen)
	require.Equal(t, protocol.KindAgeCheck, a.Kind)
	require.Equal(t, protocol.SeverityHigh, a.Severity)
	require.Equal(t, &protocol.ItemRef{GTIN: wine.GTIN, Name: wine.Name}, a.Item)
	require.Nil(t, eff.Scanner, "age_check does not block scanning")
	l.weigh(2, 1250)
	eff = l.scan(3, "beer")
	require.Empty(t, eff.Alerts, "one age check covers the session")
	require.Equal(t, 2, l.e.OpenAlerts()[0].Attempts)
	l.weigh(4, 1790)
	l.scan(5, "cola")
	l.weigh(6, 2145)
	l.requireLook(protocol.StateAssist, devices.LightYellowFlash, msgAge, msgCalled)

	eff = l.kind(EvFinish, 7)
	require.Equal(t, "an age check is not resolved yet", eff.Refused)
	require.Equal(t, 3, l.state().Items)
	l.requireLook(protocol.StateAssist, devices.LightYellowFlash, msgFinishAge)

	t.Run("age_ok lets the shopper pay", func(t *testing.T) {
		l2 := restored(t, l)
		eff := l2.cmd(8, "c1", a.ID, protocol.ActionAgeOK)
		require.True(t, eff.Results[0].OK)
		l2.scan(9, "beer")
		require.Empty(t, l2.e.OpenAlerts(), "verified for the session")
		l2.weigh(10, 2685)
		require.Empty(t, l2.kind(EvFinish, 11).Refused)
	})
	t.Run("age_refused voids the age-restricted items", func(t *testing.T) {
		l2 := restored(t, l)
		eff := l2.cmd(8, "c1", a.ID, protocol.ActionAgeRefused)
		require.True(t, eff.Results[0].OK)
		st := l2.state()
		require.Equal(t, 1, st.Items)
		require.Equal(t, cola.GTIN, st.Basket[0].GTIN)
		require.Equal(t, 2145-1250-540, l2.e.Snapshot().BaselineG)
		// The attendant takes the bottles away: no "item removed".
		l2.weigh(9, 355)
		l2.requireLook(protocol.StateShopping, devices.LightGreen)
		require.Empty(t, l2.kind(EvFinish, 10).Refused)
	})
	t.Run("age_refused voids a pending age-restricted item", func(t *testing.T) {
		l := newLane(t, Policy{})
		l.weigh(0, 0)
		a := alertOf(t, l.scan(1, "wine"), protocol.AlertOpen)
		l.cmd(2, "c1", a.ID, protocol.ActionAgeRefused)
		require.Nil(t, l.e.Snapshot().Pending)
		require.Equal(t, 0, l.state().Items)
		require.True(t, l.e.NextDeadline().IsZero())
	})
}

// Rule: help raises help at once; the shopper cancelling it cancels the
// alert; an attendant clears it.
func TestHelp(t *testing.T) {
	l := newLane(t, Policy{})
	eff := l.kind(EvHelp, 1)
	a := alertOf(t, eff, protocol.AlertOpen)
	require.Equal(t, protocol.KindHelp, a.Kind)
	require.Equal(t, protocol.SeverityHigh, a.Severity)
	require.Equal(t, boolp(false), eff.Scanner)
	l.requireLook(protocol.StateAssist, devices.LightYellowFlash, msgHelp, msgCalled)
	require.Empty(t, l.kind(EvHelp, 2).Alerts, "a second press adds nothing")

	eff = l.kind(EvHelpCancel, 3)
	require.Equal(t, a.ID, alertOf(t, eff, protocol.AlertCancelled).ID)
	require.Equal(t, boolp(true), eff.Scanner)
	l.requireLook(protocol.StateIdle, devices.LightGreen)
	require.Equal(t, "there is no help request to cancel", l.kind(EvHelpCancel, 4).Refused)

	a = alertOf(t, l.kind(EvHelp, 8), protocol.AlertOpen) // help_debounce after the cancel
	eff = l.cmd(9, "c1", a.ID, protocol.ActionClear)
	require.True(t, eff.Results[0].OK)
	require.Empty(t, l.e.OpenAlerts())
}

// Rule: a scanner or scale lost for device_grace, or a scale fault that
// persists, raises device_fault; the device coming back cancels it.
func TestDeviceFault(t *testing.T) {
	type step struct {
		at   float64
		do   func(l *lane, at float64) Effects
		want []string
	}
	lost := func(dev string) func(*lane, float64) Effects {
		return func(l *lane, at float64) Effects { return l.conn(at, dev, false) }
	}
	back := func(dev string) func(*lane, float64) Effects {
		return func(l *lane, at float64) Effects { return l.conn(at, dev, true) }
	}
	read := func(st devices.Status) func(*lane, float64) Effects {
		return func(l *lane, at float64) Effects { return l.reading(at, st, 0) }
	}
	tick := func(l *lane, at float64) Effects { return l.tick(at) }
	open, cancelled := []string{"device_fault:open"}, []string{"device_fault:cancelled"}
	tests := []struct {
		name  string
		steps []step
	}{
		{"scanner back within the grace", []step{{1, lost("scanner"), nil}, {3.999, back("scanner"), nil}, {10, tick, nil}}},
		{"scanner lost for the grace", []step{{1, lost("scanner"), nil}, {3.999, tick, nil}, {4, tick, open}, {9, back("scanner"), cancelled}}},
		{"scale lost", []step{{1, lost("scale"), nil}, {4, tick, open}, {5, lost("scale"), nil}, {6, back("scale"), cancelled}}},
		{"scale fault persists", []step{{1, read(devices.StatusFault), nil}, {2, read(devices.StatusFault), nil}, {4, read(devices.StatusFault), open}, {5, read(devices.StatusZero), cancelled}}},
		{"over capacity persists", []step{{1, read(devices.StatusOverCapacity), nil}, {4, tick, open}, {5, read(devices.StatusUnstable), cancelled}}},
		{"not ready briefly is no fault", []step{{1, read(devices.StatusNotReady), nil}, {3.5, read(devices.StatusZero), nil}, {10, tick, nil}}},
		{"not ready persisting is a fault", []step{{1, read(devices.StatusNotReady), nil}, {2, read(devices.StatusNotReady), nil}, {4, tick, open}}},
		{"a lost scale port is one fault", []step{{1, read(devices.StatusNotReady), nil}, {2, lost("scale"), nil}, {5, tick, open}, {10, tick, nil}}},
		{"a scan means the scanner is up", []step{{1, lost("scanner"), nil}, {4, tick, open}, {5, func(l *lane, at float64) Effects { return l.scan(at, "chair") }, cancelled}}},
		{"a reply means the scale port is up", []step{{1, lost("scale"), nil}, {2, read(devices.StatusUnstable), nil}, {10, tick, nil}}},
		{"two devices, two alerts", []step{{1, lost("scanner"), nil}, {2, lost("scale"), nil}, {4, tick, open}, {5, tick, open}, {6, back("scale"), cancelled}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLane(t, Policy{})
			for _, s := range tc.steps {
				eff := s.do(l, s.at)
				require.Equal(t, s.want, kinds(eff.Alerts), "at %v", s.at)
			}
		})
	}

	l := newLane(t, Policy{})
	l.conn(1, "scale", false)
	a := alertOf(t, l.tick(4), protocol.AlertOpen)
	require.Equal(t, protocol.SeverityHigh, a.Severity)
	require.Contains(t, a.Detail, "scale lost")
	l.requireLook(protocol.StateAssist, devices.LightRedFlash, msgFault)
	eff := l.cmd(5, "c1", a.ID, protocol.ActionOutOfService)
	require.True(t, eff.Results[0].OK)
	l.requireLook(protocol.StateOutOfService, devices.LightRed, msgClosed)
	require.True(t, l.e.NextDeadline().IsZero(), "a resolved fault is not raised again while the device stays lost")
	eff = l.cmd(6, "c2", "", protocol.ActionInService)
	require.True(t, eff.Results[0].OK)
	l.requireLook(protocol.StateIdle, devices.LightGreen)
}

// Several alerts at once: each is tracked, resolved and cancelled on its
// own; resolving one cancels nothing else.
func TestSeveralAlertsAtOnce(t *testing.T) {
	l := newLane(t, Policy{})
	l.weigh(0, 0)
	age := alertOf(t, l.scan(1, "wine"), protocol.AlertOpen)
	help := alertOf(t, l.kind(EvHelp, 2), protocol.AlertOpen)
	l.conn(3, "scanner", false)
	require.Equal(t, []string{"device_fault:open"}, kinds(l.tick(6).Alerts))
	bag := alertOf(t, l.tick(31), protocol.AlertOpen)
	require.Equal(t, protocol.KindBagTimeout, bag.Kind)
	all := l.e.OpenAlerts()
	require.Equal(t, []string{"age_check:open", "help:open", "device_fault:open", "bag_timeout:open"}, kinds(all))
	require.Equal(t, []string{age.ID, help.ID, all[2].ID, bag.ID}, l.state().Alerts)
	l.requireLook(protocol.StateAssist, devices.LightRedFlash, msgPlace, msgAge, msgHelp, msgFault)

	eff := l.cmd(32, "c1", help.ID, protocol.ActionClear)
	require.True(t, eff.Results[0].OK)
	require.Empty(t, eff.Alerts)
	require.Len(t, l.e.OpenAlerts(), 3)
	eff = l.conn(33, "scanner", true)
	require.Equal(t, []string{"device_fault:cancelled"}, kinds(eff.Alerts))
	eff = l.weigh(34, 1250)
	require.Equal(t, []string{"bag_timeout:cancelled"}, kinds(eff.Alerts))
	require.Equal(t, boolp(true), eff.Scanner, "only age_check is left, which does not block")
	require.Equal(t, []string{"age_check:open"}, kinds(l.e.OpenAlerts()))
}

// Commands: unknown or closed alerts and actions that do not fit are
// rejected with a reason; a repeated id gets the same result and changes
// nothing.
func TestCommands(t *testing.T) {
	l := newLane(t, Policy{})
	help := alertOf(t, l.kind(EvHelp, 1), protocol.AlertOpen)
	l.kind(EvHelpCancel, 2)
	help2 := alertOf(t, l.kind(EvHelp, 7), protocol.AlertOpen) // help_debounce after the cancel

	tests := []struct {
		id     string
		alert  string
		action protocol.Action
		ok     bool
		err    string
	}{
		{"c1", "nope", protocol.ActionClear, false, "unknown alert nope"},
		{"c2", help.ID, protocol.ActionClear, false, "alert " + help.ID + " is already cancelled"},
		{"c3", help2.ID, protocol.ActionApprove, false, `action "approve" does not apply to a help alert`},
		{"c4", help2.ID, protocol.ActionClear, true, ""},
		{"c5", help2.ID, protocol.ActionClear, false, "alert " + help2.ID + " is already resolved"},
		{"c6", "", protocol.ActionVoid, false, `action "void" needs an alert`},
		{"c4", "other", protocol.ActionVoid, true, ""}, // duplicate id: first result
	}
	for i, tc := range tests {
		eff := l.cmd(float64(10+i), tc.id, tc.alert, tc.action)
		require.Len(t, eff.Results, 1)
		r := eff.Results[0]
		require.Equal(t, tc.id, r.ID)
		require.Equal(t, tc.ok, r.OK, "%s: %s", tc.id, r.Error)
		require.Equal(t, tc.err, r.Error, tc.id)
	}
	// The duplicate carries the first answer's time and changed nothing.
	seq := l.state().Seq
	eff := l.cmd(30, "c4", help2.ID, protocol.ActionClear)
	require.Equal(t, protocol.At(sec(13)), eff.Results[0].TS)
	require.False(t, eff.Changed)
	require.Equal(t, seq, l.state().Seq)
}

// A duplicate command is idempotent even when it would act again: the
// second out_of_service/in_service pair with reused ids does nothing.
func TestLaneCommandsAndDuplicates(t *testing.T) {
	l := newLane(t, Policy{})
	eff := l.cmd(1, "o1", "", protocol.ActionOutOfService)
	require.True(t, eff.Results[0].OK)
	require.Equal(t, boolp(false), eff.Scanner)
	l.requireLook(protocol.StateOutOfService, devices.LightRed, msgClosed)
	require.Equal(t, "the lane is out of service", l.scan(2, "cola").Refused)
	l.cmd(3, "i1", "", protocol.ActionInService)
	l.requireLook(protocol.StateIdle, devices.LightGreen)
	eff = l.cmd(4, "o1", "", protocol.ActionOutOfService)
	require.True(t, eff.Results[0].OK)
	require.False(t, eff.Changed)
	l.requireLook(protocol.StateIdle, devices.LightGreen)
}

// Approve and void for the pending item's alerts.
func TestApproveAndVoidPendingItem(t *testing.T) {
	setup := func(t *testing.T) (*lane, protocol.Alert) {
		l := newLane(t, Policy{})
		l.weigh(0, 100)
		l.scan(1, "cola")
		l.scan(2, "chair")
		require.Equal(t, 1, l.state().Items, "the next scan waits for the bagging area")
		return l, alertOf(t, l.tick(31), protocol.AlertOpen)
	}
	t.Run("approve with the item on the scale", func(t *testing.T) {
		l, a := setup(t)
		l.weigh(32, 700) // wrong weight, but an alert is already open
		require.Len(t, l.e.OpenAlerts(), 1)
		l.cmd(33, "c1", a.ID, protocol.ActionApprove)
		s := l.e.Snapshot()
		require.Nil(t, s.Pending)
		require.Equal(t, 700, s.BaselineG)
		require.Equal(t, 600, s.Basket[0].BaggedG)
		l.requireLook(protocol.StateShopping, devices.LightGreen)
	})
	t.Run("approve while the scale moves", func(t *testing.T) {
		l, a := setup(t)
		l.reading(32, devices.StatusUnstable, 300)
		l.cmd(33, "c1", a.ID, protocol.ActionApprove)
		require.Equal(t, 455, l.e.Snapshot().BaselineG)
		l.weigh(34, 460)
		l.requireLook(protocol.StateShopping, devices.LightGreen)
	})
	t.Run("void", func(t *testing.T) {
		l, a := setup(t)
		l.cmd(33, "c1", a.ID, protocol.ActionVoid)
		st := l.state()
		require.Equal(t, 1, st.Items, "the held chair is scanned")
		require.Equal(t, chair.GTIN, st.Basket[0].GTIN)
		require.Equal(t, 100, l.e.Snapshot().BaselineG)
		require.Empty(t, l.kind(EvFinish, 34).Refused)
	})
}

// Out of service suspends the shopper's timers; back in service they
// start again from zero.
func TestOutOfServiceSuspendsTimers(t *testing.T) {
	l := newLane(t, Policy{})
	l.weigh(0, 0)
	l.scan(1, "cola")
	l.tick(11)
	a := alertOf(t, l.tick(31), protocol.AlertOpen)
	l.cmd(32, "c1", a.ID, protocol.ActionOutOfService)
	require.True(t, l.e.NextDeadline().IsZero())
	l.tick(100)
	require.Empty(t, l.e.OpenAlerts())
	l.cmd(200, "c2", "", protocol.ActionInService)
	require.Equal(t, sec(210), l.e.NextDeadline())
	require.Equal(t, 0, l.e.Snapshot().Pending.Prompts)
	require.Equal(t, []string{"bag_timeout:open"}, kinds(l.tick(230).Alerts))
}

// Finish is refused while anything is unresolved, and says why.
func TestFinishRefused(t *testing.T) {
	l := newLane(t, Policy{})
	l.weigh(0, 0)
	l.scan(1, "cola")
	eff := l.kind(EvFinish, 2)
	require.Equal(t, "the last item is not in the bagging area yet", eff.Refused)
	require.True(t, eff.Changed, "the prompt says it")
	l.requireLook(protocol.StateAttention, devices.LightYellow, msgFinishPending)
	l.weigh(3, 355)
	l.requireLook(protocol.StateShopping, devices.LightGreen, msgNext)
	l.weigh(4, 900)
	require.Equal(t, "the bagging area does not match the basket", l.kind(EvFinish, 5).Refused)
	l.weigh(6, 355)
	l.kind(EvHelp, 7)
	require.Equal(t, "an alert is waiting for the attendant", l.kind(EvFinish, 8).Refused)
	l.requireLook(protocol.StateAssist, devices.LightYellowFlash, msgFinishWait)
	l.kind(EvHelpCancel, 9)
	require.Empty(t, l.kind(EvFinish, 10).Refused)
}

// The prompt says who is coming.
func TestAssistPrompt(t *testing.T) {
	l := newLane(t, Policy{})
	a := alertOf(t, l.kind(EvHelp, 1), protocol.AlertOpen)
	l.requireLook(protocol.StateAssist, devices.LightYellowFlash, msgCalled)

	eff := l.do(Event{Kind: EvAssist, At: sec(2), Assist: &protocol.Assist{Alert: a.ID, Status: protocol.AlertPaged, Tier: 1}})
	require.True(t, eff.Changed)
	l.requireLook(protocol.StateAssist, devices.LightYellowFlash, "Help is on the way.")

	l.do(Event{Kind: EvAssist, At: sec(3), Assist: &protocol.Assist{Alert: a.ID, Status: protocol.AlertClaimed, Attendant: "ana", Name: "Ana", Tier: 1}})
	l.requireLook(protocol.StateAssist, devices.LightYellowFlash, "Ana is on the way.")
	require.Equal(t, &protocol.AssistInfo{Alert: a.ID, Attendant: "ana", Name: "Ana", Status: protocol.AlertClaimed}, l.state().Assist)

	// With the bridge's eta the shopper is told when, and the lane state
	// carries the eta and its ts for the screen's countdown.
	eta, ts := 40, protocol.At(sec(3))
	l.do(Event{Kind: EvAssist, At: sec(3), Assist: &protocol.Assist{Alert: a.ID, Status: protocol.AlertClaimed, Attendant: "ana", Name: "Ana", Tier: 1, EtaS: &eta, TS: ts}})
	l.requireLook(protocol.StateAssist, devices.LightYellowFlash, "Ana is on the way, about 40 s.")
	require.Equal(t, &protocol.AssistInfo{Alert: a.ID, Attendant: "ana", Name: "Ana", Status: protocol.AlertClaimed, EtaS: &eta, TS: &ts}, l.state().Assist)
	zero := 0
	l.do(Event{Kind: EvAssist, At: sec(3), Assist: &protocol.Assist{Alert: a.ID, Status: protocol.AlertClaimed, Attendant: "ana", Name: "Ana", Tier: 1, EtaS: &zero, TS: ts}})
	l.requireLook(protocol.StateAssist, devices.LightYellowFlash, "Ana is on the way.")
	l.do(Event{Kind: EvAssist, At: sec(3), Assist: &protocol.Assist{Alert: a.ID, Status: protocol.AssistArrived, Attendant: "ana", Name: "Ana", Tier: 1, TS: ts}})
	l.requireLook(protocol.StateAssist, devices.LightYellowFlash, "Ana is here.")
	require.Equal(t, &protocol.AssistInfo{Alert: a.ID, Attendant: "ana", Name: "Ana", Status: protocol.AssistArrived}, l.state().Assist)

	// A stale assist for a closed alert is ignored; closing the alert
	// drops the assist.
	l.kind(EvHelpCancel, 4)
	require.Nil(t, l.state().Assist)
	eff = l.do(Event{Kind: EvAssist, At: sec(5), Assist: &protocol.Assist{Alert: a.ID, Status: protocol.AlertClaimed, Name: "Ana"}})
	require.False(t, eff.Changed)
	require.Nil(t, l.state().Assist)
}

// The state JSON keeps the contract's shape: GET /api/state's, whose
// basket is a list even when empty (the daemon drops it for MQTT).
func TestStateShape(t *testing.T) {
	l := newLane(t, Policy{})
	st := l.state()
	require.True(t, st.Online)
	require.Equal(t, []string{}, st.Alerts)
	require.Nil(t, st.Assist)
	require.Equal(t, `{"store":"s1","lane":"3","zone":"front","online":true,"state":"idle","light":"green","prompt":"Welcome. Please scan your first item.","session":"","items":0,"total_cents":0,"alerts":[],"assist":null,"seq":0,"ts":null,"basket":[]}`,
		string(protocol.Encode(st)))
}

// The catalogue is swapped without touching the open session.
func TestSetCatalogKeepsSession(t *testing.T) {
	l := newLane(t, Policy{})
	l.weigh(0, 0)
	l.scan(1, "cola")
	before := l.state()
	l.e.SetCatalog(testCatalog{"tea": {GTIN: "9", Name: "Tea", PriceCents: 300, WeightG: 100}})
	require.Equal(t, before, l.state())
	l.weigh(2, 355)
	require.Nil(t, l.e.Snapshot().Pending, "the pending item keeps its catalogue weight")
	l.scan(3, "cola")
	require.Equal(t, 1, l.e.Snapshot().UnknownScans, "lookups use the new catalogue")
	l.scan(4, "tea")
	require.Equal(t, int64(389), l.state().TotalCents)
}

// Quick hands: the next item scanned before the last one settled is held
// and scanned once the last one is accepted; a third scan meanwhile is
// refused.
func TestScanHeldWhileItemSettles(t *testing.T) {
	l := newLane(t, Policy{})
	l.weigh(0, 0)
	l.scan(1, "cola")
	l.reading(1.5, devices.StatusUnstable, 300)
	eff := l.scan(1.6, "bread")
	require.Empty(t, eff.Refused)
	require.True(t, eff.Changed, "the held scan is journaled")
	require.Equal(t, "please place the item in the bagging area before scanning the next one", l.scan(1.7, "chair").Refused)
	require.Equal(t, 1, l.state().Items)
	l.weigh(1.8, 355) // settles at 2.1: cola accepted, bread scanned
	st := l.state()
	require.Equal(t, 2, st.Items)
	require.Equal(t, bread.GTIN, st.Basket[1].GTIN)
	s := l.e.Snapshot()
	require.Nil(t, s.Held)
	require.Equal(t, 1, s.Pending.Line)
	require.Equal(t, sec(12.1), s.Pending.Deadline)
	l.weigh(3, 800)
	require.Nil(t, l.e.Snapshot().Pending)
	require.Empty(t, l.all.Alerts)
}
