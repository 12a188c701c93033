package vpager_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/attendant/bridge"
	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/pagerclient"
	"github.com/sco-project/sco/pagerclient/pagertest"
	"github.com/sco-project/sco/protocol"
	"github.com/sco-project/sco/simulator/vpager"
)

// TestWithRealBridge runs virtual attendants against the real attendant
// bridge: Ana ignores her tier 1 page, the alert escalates to tier 2, Ben
// claims and approves, the lane (played by the test) applies it, and
// Ana's page is withdrawn.
func TestWithRealBridge(t *testing.T) {
	broker := testsupport.Mochi(t)
	cfg := &bridge.Config{
		Config: attendant.Config{
			Store: "s1",
			Attendants: []attendant.Attendant{
				{ID: "ana", Name: "Ana", Zone: "front", Roles: []string{protocol.RoleAttendant}},
				{ID: "ben", Name: "Ben", Zone: "back", Roles: []string{protocol.RoleAttendant}},
			},
			Escalation: attendant.Escalation{AckTimeout: 300 * time.Millisecond, ClaimTimeout: time.Minute, Repeat: 1},
		},
		MQTT:    mqttc.Config{Broker: broker.URL()},
		DataDir: t.TempDir(),
	}
	require.NoError(t, cfg.Validate())

	events := make(chan vpager.Event, 64)
	startPager := func(id, zone string, b vpager.Behaviour) {
		p, err := vpager.Start(vpager.Opts{
			Opts:      pagerclient.Opts{MQTT: mqttc.Config{Broker: broker.URL()}, Store: "s1", ID: id, Zone: zone},
			Behaviour: b,
			OnEvent:   func(ev vpager.Event) { events <- ev },
		})
		require.NoError(t, err)
		t.Cleanup(func() { p.Close() })
	}
	lane := pagertest.NewBridge(t, broker.URL(), "s1") // plays lane 3 here
	presence := lane.Subscribe(protocol.PresenceTopic("s1", "+"))
	commands := lane.Subscribe(protocol.LaneCommandTopic("s1", "3"))
	bridgeState := lane.Subscribe(protocol.BridgeStateTopic("s1"))

	startPager("ana", "front", vpager.Behaviour{Ignore: true})
	startPager("ben", "back", vpager.Behaviour{Resolve: protocol.ActionApprove})
	lane.NextPresence(presence, protocol.PresenceAvailable)
	lane.NextPresence(presence, protocol.PresenceAvailable)

	br, err := bridge.New(cfg, &bridge.Opts{Settle: 50 * time.Millisecond})
	require.NoError(t, err)
	ran := make(chan error, 1)
	go func() { ran <- br.Run(context.Background()) }()
	t.Cleanup(func() {
		require.NoError(t, br.Close())
		require.NoError(t, <-ran)
	})
	for online := false; !online; {
		select {
		case raw := <-bridgeState:
			var s protocol.BridgeState
			require.NoError(t, protocol.Decode(raw, &s))
			online = s.Online
		case <-time.After(pagertest.Wait):
			t.Fatal("the bridge never came online")
		}
	}

	lane.Publish(protocol.LaneAlertTopic("s1", "3"), false, protocol.Alert{ID: "a-1", Store: "s1", Lane: "3", Zone: "front",
		Kind: protocol.KindBagTimeout, Severity: protocol.SeverityMedium, Status: protocol.AlertOpen, Attempts: 2, TS: protocol.At(time.Now())})

	// The lane applies whatever the bridge sends.
	go func() {
		select {
		case raw := <-commands:
			var c protocol.Command
			if err := protocol.Decode(raw, &c); err != nil {
				t.Errorf("bad lane command %s: %v", raw, err)
				return
			}
			lane.Publish(protocol.LaneResultTopic("s1", "3"), false, protocol.CommandResult{ID: c.ID, OK: true, TS: protocol.At(time.Now())})
		case <-time.After(pagertest.Wait):
		}
	}()

	got := map[string][]vpager.EventKind{}
	deadline := time.After(pagertest.Wait)
	for !contains(got["ben"], vpager.Resolved) || !contains(got["ana"], vpager.Withdrawn) {
		select {
		case ev := <-events:
			got[ev.Attendant] = append(got[ev.Attendant], ev.Kind)
			if ev.Attendant == "ana" && ev.Kind == vpager.Paged {
				assert.Equal(t, 1, ev.Page.Tier, "Ana, in the lane's zone, is paged first")
			}
			if ev.Attendant == "ben" && ev.Kind == vpager.Paged {
				assert.Equal(t, 2, ev.Page.Tier, "Ben is paged when the alert escalates")
			}
		case <-deadline:
			t.Fatalf("the chain did not complete; events: %v", got)
		}
	}
	assert.Equal(t, []vpager.EventKind{vpager.Connected, vpager.Paged, vpager.ClaimSent, vpager.Claimed, vpager.Resolved}, got["ben"])
	assert.Equal(t, []vpager.EventKind{vpager.Connected, vpager.Paged, vpager.Withdrawn}, got["ana"])
}

func contains(ks []vpager.EventKind, k vpager.EventKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}
