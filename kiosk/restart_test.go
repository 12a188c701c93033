package kiosk

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/protocol"
)

// Rule: after a restart the shopper's timers start afresh. A lane down
// for 70 s does not count the downtime as prompting: it does not raise
// bag_timeout "after 2 prompts" the moment it is back, though the
// shopper was never prompted; it prompts and raises as a lane that just
// saw the scan would.
func TestRestartStartsTheTimersAfresh(t *testing.T) {
	l := newLane(t, Policy{}) // bag_timeout 10s, bag_prompts 2
	l.weigh(0, 0)
	l.scan(1, "cola")
	require.Empty(t, l.tick(11).Alerts, "the first prompt")
	require.Equal(t, 1, l.e.Snapshot().Pending.Prompts)
	require.Equal(t, sec(21), l.e.NextDeadline())

	// Down from 12 s to 82 s.
	r := restored(t, l)
	eff := r.e.Handle(Event{Kind: EvStart, At: sec(82)})
	require.Empty(t, eff.Alerts, "no alert for the downtime")
	require.True(t, eff.Changed, "the re-based timers are journaled")
	p := r.e.Snapshot().Pending
	require.Equal(t, 0, p.Prompts)
	require.Equal(t, sec(92), r.e.NextDeadline())
	r.requireLook(protocol.StateShopping, devices.LightGreen, msgPlace)

	require.Empty(t, r.tick(92).Alerts)
	require.Equal(t, 1, r.e.Snapshot().Pending.Prompts)
	r.requireLook(protocol.StateAttention, devices.LightYellow, msgPlace)
	require.Empty(t, r.tick(102).Alerts)
	require.Equal(t, 2, r.e.Snapshot().Pending.Prompts)
	a := alertOf(t, r.tick(112), protocol.AlertOpen)
	require.Equal(t, protocol.KindBagTimeout, a.Kind)
	require.Equal(t, "no stable gain of 355g on the bagging area after 2 prompts", a.Detail)
	require.Equal(t, protocol.At(sec(112)), a.TS)
}

// The grace of an unexpected item starts afresh too, and a device that
// was being timed as lost before the restart is forgotten until its
// driver reports it again; open alerts stay open.
func TestRestartGraceAndDevices(t *testing.T) {
	l := newLane(t, Policy{})
	l.weigh(0, 0)
	l.scan(1, "chair")
	l.kind(EvHelp, 2)
	l.weigh(3, 500) // unexpected item: grace 5 s, alert at 8.3
	l.conn(4, "scanner", false)
	r := restored(t, l)
	require.Empty(t, r.e.Handle(Event{Kind: EvStart, At: sec(60)}).Alerts)
	require.Len(t, r.state().Alerts, 1, "help stays open")
	require.Equal(t, sec(65), r.e.NextDeadline(), "the unexpected item's grace, from the restart; no device timer")
	r.reading(60.1, devices.StatusStable, 500)
	r.reading(60.2, devices.StatusStable, 500)
	r.reading(60.3, devices.StatusStable, 500)
	a := alertOf(t, r.tick(65), protocol.AlertOpen)
	require.Equal(t, protocol.KindUnexpectedItem, a.Kind)
	require.NotContains(t, kinds(r.all.Alerts), "device_fault:open")
}
