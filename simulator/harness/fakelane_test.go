package harness

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol"
)

// A lane with fake devices runs the real daemon: it comes online, and two
// unrecognised scans through the fake scanner raise unknown_item with the
// policy given as YAML scalars.
func TestFakeLaneRaisesAlerts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Start(ctx, Opts{NoBridge: true})
	require.NoError(t, err)
	defer s.Close()
	fl, err := s.AddFakeLane(LaneSpec{Zone: "back", Policy: map[string]string{"unknown_item_attempts": "2", "bag_timeout": "3s"}})
	require.NoError(t, err)
	defer fl.FakeScanner.Close()
	require.Equal(t, "2", fl.ID)
	require.Same(t, fl.Lane, s.Lane("2"))
	require.NoError(t, s.WaitOnline(ctx))
	require.Equal(t, 2, fl.Config.Policy.UnknownItemAttempts)
	require.Equal(t, 3*time.Second, fl.Config.Policy.BagTimeout)

	from := s.Observer.Len()
	fl.FakeScanner.Scan("5901234123457", "]E0")
	fl.FakeScanner.Scan("5901234123457", "]E0")
	_, ev, err := s.Observer.Find(ctx, from, nil, func(e Event) bool { return e.Alert != nil && e.Topic.ID == "2" })
	require.NoError(t, err)
	require.Equal(t, protocol.KindUnknownItem, ev.Alert.Kind)
	require.Equal(t, "back", ev.Alert.Zone)
	require.Equal(t, 2, ev.Alert.Attempts)
}
