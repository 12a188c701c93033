package pagerclient_test

import (
	"fmt"
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

func dial(t *testing.T, url, id string) *pagerclient.Client {
	t.Helper()
	c, err := pagerclient.Dial(pagerclient.Opts{MQTT: mqttc.Config{Broker: url}, Store: "s1", ID: id, Zone: "front"})
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
