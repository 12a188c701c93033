package kiosk

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/protocol"
)

// Rule: a lane that cannot journal stops selling. It goes out of service
// with a device_fault alert at once (its detail is the daemon's error,
// which names the journal), refuses scans and finish, and stops the
// shopper's timers; when writes succeed again the alert is cancelled and
// the timers start afresh.
func TestJournalFaultClosesTheLane(t *testing.T) {
	l := newLane(t, Policy{})
	l.weigh(0, 0)
	l.scan(1, "chair")
	l.scan(2, "cola") // waits for its weight: bag_timeout would prompt at 12
	full := errors.New("cannot write the journal /var/lib/sco/3/lane.db: no space left on device")

	eff := l.do(Event{Kind: EvJournal, At: sec(3), Err: full})
	require.True(t, eff.Changed)
	a := alertOf(t, eff, protocol.AlertOpen)
	require.Equal(t, protocol.KindDeviceFault, a.Kind)
	require.Equal(t, full.Error(), a.Detail)
	require.Equal(t, protocol.SeverityHigh, a.Severity)
	require.Equal(t, boolp(false), eff.Scanner)
	l.requireLook(protocol.StateOutOfService, devices.LightRedFlash, msgClosed)

	eff = l.do(Event{Kind: EvJournal, At: sec(4), Err: full})
	require.False(t, eff.Changed, "a second failure changes nothing")
	require.Equal(t, "the lane is out of service", l.scan(5, "chair").Refused)
	require.Equal(t, "the lane is out of service", l.kind(EvFinish, 6).Refused)
	require.True(t, l.e.NextDeadline().IsZero(), "the shopper's timers wait")
	require.Empty(t, l.tick(100).Alerts, "no bag_timeout while the lane is closed")
	require.Equal(t, 2, l.state().Items)

	eff = l.do(Event{Kind: EvJournal, At: sec(200)})
	require.True(t, eff.Changed)
	require.Equal(t, a.ID, alertOf(t, eff, protocol.AlertCancelled).ID)
	require.Equal(t, boolp(true), eff.Scanner)
	l.requireLook(protocol.StateShopping, devices.LightGreen, msgPlace)
	require.Equal(t, sec(210), l.e.NextDeadline(), "bag_timeout starts afresh")
	require.False(t, l.do(Event{Kind: EvJournal, At: sec(201)}).Changed)
}

// An attendant's out_of_service outlives the journal's recovery.
func TestJournalFaultAndOutOfService(t *testing.T) {
	l := newLane(t, Policy{})
	l.cmd(1, "c1", "", protocol.ActionOutOfService)
	l.do(Event{Kind: EvJournal, At: sec(2), Err: errors.New("read-only file system")})
	l.do(Event{Kind: EvJournal, At: sec(3)})
	l.requireLook(protocol.StateOutOfService, devices.LightRed, msgClosed)
	l.cmd(4, "c2", "", protocol.ActionInService)
	l.requireLook(protocol.StateIdle, devices.LightGreen, msgWelcome)
}
