package pagerclient_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/pagerclient"
	"github.com/sco-project/sco/pagerclient/pagertest"
	"github.com/sco-project/sco/protocol"
)

// dial dials id of store s1, zone front, at url.
func dial(t *testing.T, url, id string) *pagerclient.Client {
	t.Helper()
	return dialOpts(t, pagerclient.Opts{MQTT: mqttc.Config{Broker: url}, ID: id, Zone: "front"})
}

// dialOpts dials with o (store s1 when o has none); the client is closed
// when the test ends.
func dialOpts(t *testing.T, o pagerclient.Opts) *pagerclient.Client {
	t.Helper()
	if o.Store == "" {
		o.Store = "s1"
	}
	c, err := pagerclient.Dial(o)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// next waits for the next event of kind k, skipping others.
func next(t *testing.T, c *pagerclient.Client, k pagerclient.EventKind) pagerclient.Event {
	t.Helper()
	deadline := time.After(pagertest.Wait)
	for {
		select {
		case ev, ok := <-c.Events():
			require.True(t, ok, "events closed while waiting for %v", k)
			if ev.Kind == k {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %v event", k)
		}
	}
}

func TestDialValidates(t *testing.T) {
	for _, o := range []pagerclient.Opts{
		{Store: "S 1", ID: "ana"},
		{Store: "s1", ID: ""},
		{Store: "s1", ID: "ana", Zone: "Front"},
		{Store: "s1", ID: "ana", Status: "offline"},
		{Store: "s1", ID: "ana", MQTT: mqttc.Config{Broker: "http://x"}},
	} {
		_, err := pagerclient.Dial(o)
		assert.Error(t, err, "%+v", o)
	}
}

func TestClientAgainstBridge(t *testing.T) {
	b := testsupport.Mochi(t)
	br := pagertest.NewBridge(t, b.URL(), "s1")
	presence := br.Presence("ana")
	cmds := br.Commands("ana")

	c := dial(t, b.URL(), "ana")
	next(t, c, pagerclient.EvConnected)
	p := br.NextPresence(presence, protocol.PresenceAvailable)
	assert.Equal(t, "front", p.Zone)
	assert.NotZero(t, p.Seq)
	assert.False(t, p.TS.IsZero())

	require.NoError(t, c.SetStatus(protocol.PresenceBusy))
	p2 := br.NextPresence(presence, protocol.PresenceBusy)
	assert.Greater(t, p2.Seq, p.Seq, "presence seq grows")
	assert.Error(t, c.SetStatus("asleep"))

	br.Page("ana", protocol.Page{Alert: "a1", Lane: "3", Zone: "front", Kind: protocol.KindHelp, Severity: protocol.SeverityHigh, Tier: 1})
	ev := next(t, c, pagerclient.EvPage)
	assert.Equal(t, "a1", ev.Page.Alert)
	assert.False(t, ev.Broadcast)

	sent, err := c.Claim("a1")
	require.NoError(t, err)
	got := br.NextCommand(cmds)
	assert.Equal(t, sent.ID, got.ID)
	assert.Equal(t, protocol.PagerClaim, got.Action)
	assert.Equal(t, "a1", got.Alert)
	br.Answer("ana", protocol.PagerResult{ID: got.ID, OK: true, ClaimedBy: "ana"})
	ev = next(t, c, pagerclient.EvResult)
	assert.True(t, ev.Result.OK)
	assert.Equal(t, sent, ev.Cmd, "the result is matched to its command")

	sent, err = c.Resolve("a1", protocol.ActionClear)
	require.NoError(t, err)
	got = br.NextCommand(cmds)
	assert.Equal(t, protocol.PagerResolve, got.Action)
	assert.Equal(t, protocol.ActionClear, got.Resolution)
	assert.NotEqual(t, sent.ID, "", "ids are set")
	_, err = c.Resolve("a1", "bless")
	assert.ErrorContains(t, err, `"bless"`)

	br.Withdraw("ana", "a1", "resolved")
	ev = next(t, c, pagerclient.EvWithdrawn)
	assert.Equal(t, "resolved", ev.Page.Reason)

	br.SetOnline(false)
	ev = next(t, c, pagerclient.EvBridge)
	assert.False(t, ev.Online)
	br.Publish(protocol.BroadcastPageTopic("s1"), false, protocol.Page{Alert: "a2", Lane: "4", Kind: protocol.KindHelp})
	ev = next(t, c, pagerclient.EvPage)
	assert.True(t, ev.Broadcast)

	br.Publish(protocol.PageTopic("s1", "ana"), false, map[string]string{"lane": "3"})
	ev = next(t, c, pagerclient.EvError)
	assert.ErrorContains(t, ev.Err, "alert")

	require.NoError(t, c.Close())
	br.NextPresence(presence, protocol.PresenceOffline)
	require.NoError(t, c.Close(), "close twice is a no-op")
	_, err = c.Claim("a1")
	assert.ErrorIs(t, err, pagerclient.ErrClosed)
	_, ok := <-c.Events()
	assert.False(t, ok, "events are closed")
}

func TestDropPublishesWillAndRestoreComesBack(t *testing.T) {
	b := testsupport.Mochi(t)
	br := pagertest.NewBridge(t, b.URL(), "s1")
	presence := br.Presence("ben")
	c := dial(t, b.URL(), "ben")
	next(t, c, pagerclient.EvConnected)
	br.NextPresence(presence, protocol.PresenceAvailable)

	require.NoError(t, c.Drop())
	br.NextPresence(presence, protocol.PresenceOffline) // the broker's will
	_, err := c.Claim("a1")
	assert.ErrorIs(t, err, pagerclient.ErrNotConnected)

	require.NoError(t, c.Restore())
	next(t, c, pagerclient.EvConnected)
	br.NextPresence(presence, protocol.PresenceAvailable)
}

func TestPagerStartsBeforeBroker(t *testing.T) {
	// A pager pointed at a broker that is not up yet keeps trying.
	c, err := pagerclient.Dial(pagerclient.Opts{MQTT: mqttc.Config{Broker: "tcp://127.0.0.1:1"}, Store: "s1", ID: "sue"})
	require.NoError(t, err)
	_, err = c.Claim("a1")
	assert.ErrorIs(t, err, pagerclient.ErrNotConnected)
	require.NoError(t, c.Close())
}

func TestMosquitto(t *testing.T) {
	m := testsupport.StartMosquitto(t, "")
	br := pagertest.NewBridge(t, m.URL(), "s1")
	presence := br.Presence("ana")
	c := dial(t, m.URL(), "ana")
	next(t, c, pagerclient.EvConnected)
	br.NextPresence(presence, protocol.PresenceAvailable)
	require.NoError(t, c.Drop())
	br.NextPresence(presence, protocol.PresenceOffline)
}

func TestPageAndWithdrawalKeepTheirOrder(t *testing.T) {
	b := testsupport.Mochi(t)
	br := pagertest.NewBridge(t, b.URL(), "s1")
	c := dial(t, b.URL(), "ana")
	next(t, c, pagerclient.EvConnected)
	for i := 0; i < 20; i++ {
		alert := fmt.Sprintf("a%d", i)
		br.Page("ana", protocol.Page{Alert: alert, Lane: "3", Kind: protocol.KindHelp})
		br.Withdraw("ana", alert, "cancelled by lane")
	}
	for i := 0; i < 20; i++ {
		alert := fmt.Sprintf("a%d", i)
		assert.Equal(t, alert, next(t, c, pagerclient.EvPage).Page.Alert)
		assert.Equal(t, alert, next(t, c, pagerclient.EvWithdrawn).Page.Alert)
	}
}

func TestCloseWhileDroppedIsQuick(t *testing.T) {
	b := testsupport.Mochi(t)
	c := dial(t, b.URL(), "ana")
	next(t, c, pagerclient.EvConnected)
	require.NoError(t, c.Drop())
	require.NoError(t, c.Close(), "no offline presence is attempted on a dropped link")
	assert.ErrorIs(t, c.Restore(), pagerclient.ErrClosed)
	assert.False(t, c.Connected())
}

// The pager reads its retained profile, and says when it has none.
func TestProfileDiscovery(t *testing.T) {
	b := testsupport.Mochi(t)
	br := pagertest.NewBridge(t, b.URL(), "s1")
	want := protocol.Profile{ID: "ana", Name: "Ana", Zone: "front", Roles: []string{"attendant"}, Store: "s1",
		Resolutions: map[protocol.Kind][]protocol.Action{protocol.KindHelp: {protocol.ActionClear}}}
	br.Profile(want)

	c := dialOpts(t, pagerclient.Opts{MQTT: mqttc.Config{Broker: b.URL()}, ID: "ana"})
	ev := next(t, c, pagerclient.EvProfile)
	require.NotNil(t, ev.Profile)
	assert.Equal(t, "Ana", ev.Profile.Name)
	assert.Equal(t, want.Resolutions, ev.Profile.Resolutions)
	got, ok := c.Profile()
	assert.True(t, ok)
	assert.Equal(t, "s1", got.Store)

	br.ClearProfile("ana") // ana left the roster
	// The embedded broker may deliver the profile twice (retained, and
	// live to a subscription made while it was being published): skip it.
	for ev = next(t, c, pagerclient.EvProfile); ev.Profile != nil; ev = next(t, c, pagerclient.EvProfile) {
	}
	assert.Nil(t, ev.Profile)
	_, ok = c.Profile()
	assert.False(t, ok)

	// A pager nobody has a profile for hears EvSynced without one.
	zoe := dialOpts(t, pagerclient.Opts{MQTT: mqttc.Config{Broker: b.URL()}, ID: "zoe", SyncWait: 50 * time.Millisecond})
	next(t, zoe, pagerclient.EvConnected)
	assert.False(t, next(t, zoe, pagerclient.EvSynced).Profiled)
}

// Each device's presence and will name it; the will is a JSON object
// with seq 0 and no ts; seq grows across restarts.
func TestDevicePresenceAndWill(t *testing.T) {
	b := testsupport.Mochi(t)
	br := pagertest.NewBridge(t, b.URL(), "s1")
	raw := br.Presence("ana")
	start := time.Now()
	c := dialOpts(t, pagerclient.Opts{MQTT: mqttc.Config{Broker: b.URL()}, ID: "ana", Device: "tc52"})
	phone := dialOpts(t, pagerclient.Opts{MQTT: mqttc.Config{Broker: b.URL()}, ID: "ana", Device: "phone"})
	next(t, c, pagerclient.EvConnected)
	next(t, phone, pagerclient.EvConnected)

	seen := map[string]protocol.Presence{}
	for len(seen) < 2 {
		p := br.NextPresence(raw, protocol.PresenceAvailable)
		seen[p.Device] = p
	}
	assert.GreaterOrEqual(t, seen["tc52"].Seq, uint64(start.UnixMilli()), "seq starts from the clock, so it grows across restarts")
	assert.True(t, c.Connected() && phone.Connected(), "two devices of one attendant do not push each other off")

	require.NoError(t, c.Drop())
	var will []byte
	for will == nil {
		select {
		case p := <-raw:
			if strings.Contains(string(p), `"offline"`) {
				will = p
			}
		case <-time.After(pagertest.Wait):
			t.Fatal("no will")
		}
	}
	assert.JSONEq(t, `{"status":"offline","zone":"","seq":0,"device":"tc52","ts":null}`, string(will))
	assert.True(t, phone.Connected())
	_, err := pagerclient.Dial(pagerclient.Opts{Store: "s1", ID: "ana", Device: "a b"})
	assert.ErrorContains(t, err, `device "a b"`)
}

// A command the bridge has not answered is sent again, unchanged, when
// the pager reconnects and when the bridge restarts; the presence is
// announced again then too.
func TestResendAndReannounce(t *testing.T) {
	b := testsupport.Mochi(t)
	br := pagertest.NewBridge(t, b.URL(), "s1")
	presence := br.Presence("ana")
	cmds := br.Commands("ana")
	t0 := time.Now().Truncate(time.Millisecond)
	br.Publish(protocol.BridgeStateTopic("s1"), true, protocol.BridgeState{Online: true, TS: protocol.At(t0)})

	c := dialOpts(t, pagerclient.Opts{MQTT: mqttc.Config{Broker: b.URL()}, ID: "ana"})
	next(t, c, pagerclient.EvConnected)
	p1 := br.NextPresence(presence, protocol.PresenceAvailable)
	claim, err := c.Claim("a1")
	require.NoError(t, err)
	assert.Equal(t, claim, br.NextCommand(cmds))

	require.NoError(t, c.Drop())
	br.NextPresence(presence, protocol.PresenceOffline)
	pagertest.WaitForgotten(t, b, "pager-s1-ana")
	require.NoError(t, c.Restore())
	p2 := br.NextPresence(presence, protocol.PresenceAvailable)
	assert.Greater(t, p2.Seq, p1.Seq)
	assert.Equal(t, claim, br.NextCommand(cmds), "the same id and ts after the reconnect")
	assert.Equal(t, claim, next(t, c, pagerclient.EvResent).Cmd)

	// The bridge restarts: a new online ts.
	br.Publish(protocol.BridgeStateTopic("s1"), true, protocol.BridgeState{Online: false})
	br.Publish(protocol.BridgeStateTopic("s1"), true, protocol.BridgeState{Online: true, TS: protocol.At(t0.Add(time.Second))})
	p3 := br.NextPresence(presence, protocol.PresenceAvailable)
	assert.Greater(t, p3.Seq, p2.Seq)
	assert.Equal(t, claim, br.NextCommand(cmds))

	// Answered: never sent again.
	br.Answer("ana", protocol.PagerResult{ID: claim.ID, OK: true, ClaimedBy: "ana"})
	assert.Equal(t, claim, next(t, c, pagerclient.EvResult).Cmd)
	require.NoError(t, c.Drop())
	br.NextPresence(presence, protocol.PresenceOffline)
	pagertest.WaitForgotten(t, b, "pager-s1-ana")
	require.NoError(t, c.Restore())
	br.NextPresence(presence, protocol.PresenceAvailable)
	lane, err := c.Lane("4", protocol.ActionOutOfService)
	require.NoError(t, err)
	assert.Equal(t, lane, br.NextCommand(cmds), "the next command is the new one, not the answered claim")
}

func TestArriveAndLaneCommands(t *testing.T) {
	b := testsupport.Mochi(t)
	br := pagertest.NewBridge(t, b.URL(), "s1")
	cmds := br.Commands("sue")
	c := dialOpts(t, pagerclient.Opts{MQTT: mqttc.Config{Broker: b.URL()}, ID: "sue"})
	next(t, c, pagerclient.EvConnected)
	a, err := c.Arrive("a1")
	require.NoError(t, err)
	got := br.NextCommand(cmds)
	assert.Equal(t, protocol.PagerArrive, got.Action)
	assert.Equal(t, a.ID, got.ID)
	_, err = c.Lane("4", protocol.ActionOutOfService)
	require.NoError(t, err)
	got = br.NextCommand(cmds)
	assert.Equal(t, protocol.PagerCmd{ID: got.ID, Action: protocol.PagerLane, Lane: "4", Resolution: protocol.ActionOutOfService, TS: got.TS}, got)
	_, err = c.Lane("4", protocol.ActionApprove)
	assert.ErrorContains(t, err, "out_of_service or in_service")
	_, err = c.Lane("Lane 4", protocol.ActionInService)
	assert.ErrorContains(t, err, "must match")
}
