package daemon

import (
	"errors"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/devices/devicestest"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/kiosk/laneconfig"
	"github.com/sco-project/sco/protocol"
)

// swallow is a mochi hook that, while on, takes one client's publishes
// on one topic and never acknowledges them: as if the connection died
// with the message on the wire.
type swallow struct {
	mqtt.HookBase
	client, topic string
	on            atomic.Bool
	took          chan struct{}
}

func (s *swallow) ID() string           { return "swallow" }
func (s *swallow) Provides(b byte) bool { return b == mqtt.OnPublish }
func (s *swallow) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if s.on.Load() && cl.ID == s.client && pk.TopicName == s.topic {
		select {
		case s.took <- struct{}{}:
		default:
		}
		return pk, packets.ErrRejectPacket
	}
	return pk, nil
}

// Pagers never ring for broadcast/page while the bridge is online: not
// for a new alert, and not for a page that waited in the lane's outbox
// (in flight when the lane lost its connection) while the bridge came
// back. Against the embedded broker.
func TestNoBroadcastWhileTheBridgeIsOnline(t *testing.T) {
	const lane = "56"
	b := testsupport.Mochi(t)
	w := newWatcher(t, b.URL())
	bridgeTopic, pageTopic, alertTopic := protocol.BridgeStateTopic(testStore), protocol.BroadcastPageTopic(testStore), protocol.LaneAlertTopic(testStore, lane)
	w.publish(bridgeTopic, true, protocol.Encode(protocol.BridgeState{Online: false, TS: protocol.At(time.Now())}))
	cfg := newRig(t, lane, b.URL()).config(t)
	hook := &swallow{client: "lane-" + lane + "-" + t.Name(), topic: pageTopic, took: make(chan struct{}, 1)}
	require.NoError(t, b.Server().AddHook(hook, nil))
	p := startInProcOpts(t, cfg, Opts{Scanner: devicestest.NewScanner(nil), Scale: devicestest.NewScale(nil)})
	at := 0
	w.next(&at, protocol.LaneStateTopic(testStore, lane), stateWhere(func(s protocol.LaneState) bool { return s.Online }))

	// The bridge is offline: the page goes out, and is lost on the wire.
	hook.on.Store(true)
	var st protocol.LaneState
	require.Equal(t, 200, api(t, "POST", p.base+"/api/help", &st))
	id := st.Alerts[0]
	select {
	case <-hook.took:
	case <-time.After(waitFor):
		t.Fatal("the lane never paged while the bridge was offline")
	}

	// The bridge comes back; then the lane's connection drops and comes
	// back: the page in flight is not sent again.
	w.publish(bridgeTopic, true, protocol.Encode(protocol.BridgeState{Online: true, TS: protocol.At(time.Now())}))
	deadline := time.Now().Add(waitFor)
	for p.d.bridgeDown.Load() {
		require.True(t, time.Now().Before(deadline), "the lane never saw the bridge online")
		<-time.After(10 * time.Millisecond) // the lane's own flag: nothing to wait on
	}
	hook.on.Store(false)
	cl, ok := b.Server().Clients.Get(hook.client)
	require.True(t, ok)
	cl.Stop(errors.New("test: network lost"))
	// Back on the broker, the lane re-publishes its open alert for the
	// bridge (twice: once for the online state it saw before, once for
	// the retained one after the reconnect); a page resent on the new
	// connection would come before.
	for range 2 {
		require.Equal(t, protocol.AlertOpen, decodeAlert(t, w.next(&at, alertTopic, isID(id))).Status)
	}
	require.Zero(t, w.count(pageTopic, nil), "a pager rang while the bridge was online")

	// And a new alert while the bridge is online is not paged either.
	require.Equal(t, 200, api(t, "POST", p.base+"/api/help/cancel", nil))
	require.Equal(t, 200, api(t, "POST", p.base+"/api/help", &st))
	w.next(&at, protocol.LaneStateTopic(testStore, lane), stateWhere(func(s protocol.LaneState) bool { return len(s.Alerts) == 1 && s.Alerts[0] == st.Alerts[0] }))
	require.Zero(t, w.count(pageTopic, nil))
}

// The ids the lane makes (session and alert ids) are at most 128 bytes
// of [A-Za-z0-9._:-], for the longest lane id a config accepts.
func TestGeneratedIDsAreSafe(t *testing.T) {
	safe := regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)
	lane := strings.Repeat("a-9", laneconfig.MaxIDLen/3) + strings.Repeat("z", laneconfig.MaxIDLen%3)
	require.Len(t, lane, laneconfig.MaxIDLen)
	id := NewID(lane, time.Date(2099, 12, 31, 23, 59, 59, 999e6, time.UTC))
	require.Regexp(t, safe, id)
	require.Regexp(t, safe, NewID("3", time.Now()))
}
