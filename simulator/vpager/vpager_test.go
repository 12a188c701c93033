package vpager_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/pagerclient"
	"github.com/sco-project/sco/pagerclient/pagertest"
	"github.com/sco-project/sco/protocol"
	"github.com/sco-project/sco/simulator/vpager"
)

type rig struct {
	t        *testing.T
	br       *pagertest.Bridge
	p        *vpager.Pager
	events   chan vpager.Event
	presence <-chan []byte
	cmds     <-chan []byte
}

func start(t *testing.T, b vpager.Behaviour) *rig {
	t.Helper()
	broker := testsupport.Mochi(t)
	r := &rig{t: t, br: pagertest.NewBridge(t, broker.URL(), "s1"), events: make(chan vpager.Event, 64)}
	r.presence = r.br.Presence("ana")
	r.cmds = r.br.Commands("ana")
	p, err := vpager.Start(vpager.Opts{
		Opts:      pagerclient.Opts{MQTT: mqttc.Config{Broker: broker.URL()}, Store: "s1", ID: "ana", Zone: "front"},
		Behaviour: b,
		OnEvent:   func(ev vpager.Event) { r.events <- ev },
	})
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	r.p = p
	r.expect(vpager.Connected)
	r.br.NextPresence(r.presence, protocol.PresenceAvailable)
	return r
}

// expect waits for the next event and checks its kind.
func (r *rig) expect(k vpager.EventKind) vpager.Event {
	r.t.Helper()
	select {
	case ev := <-r.events:
		require.Equal(r.t, k, ev.Kind, "event %+v", ev)
		assert.Equal(r.t, "ana", ev.Attendant)
		return ev
	case <-time.After(pagertest.Wait):
		r.t.Fatalf("no %s event", k)
	}
	return vpager.Event{}
}

func (r *rig) page(alert string, k protocol.Kind) {
	r.br.Page("ana", protocol.Page{Alert: alert, Lane: "3", Zone: "front", Kind: k, Severity: protocol.SeverityOf(k), Tier: 1})
}

func TestClaimThenResolve(t *testing.T) {
	r := start(t, vpager.Behaviour{ClaimAfter: 20 * time.Millisecond, Resolve: protocol.ActionApprove,
		ResolveByKind: map[protocol.Kind]protocol.Action{protocol.KindAgeCheck: protocol.ActionAgeOK}})
	r.page("a1", protocol.KindBagTimeout)
	ev := r.expect(vpager.Paged)
	assert.Equal(t, "a1", ev.Alert)
	assert.Equal(t, protocol.KindBagTimeout, ev.Page.Kind)

	cmd := r.br.NextCommand(r.cmds)
	assert.Equal(t, protocol.PagerClaim, cmd.Action)
	sent := r.expect(vpager.ClaimSent)
	assert.GreaterOrEqual(t, sent.SincePage, 20*time.Millisecond, "claims after ClaimAfter")
	r.br.Answer("ana", protocol.PagerResult{ID: cmd.ID, OK: true, ClaimedBy: "ana"})
	r.expect(vpager.Claimed)

	cmd = r.br.NextCommand(r.cmds)
	assert.Equal(t, protocol.PagerResolve, cmd.Action)
	assert.Equal(t, protocol.ActionApprove, cmd.Resolution)
	r.br.Answer("ana", protocol.PagerResult{ID: cmd.ID, OK: true})
	ev = r.expect(vpager.Resolved)
	assert.Equal(t, protocol.ActionApprove, ev.Action)

	// Age checks are resolved by kind.
	r.page("a2", protocol.KindAgeCheck)
	r.expect(vpager.Paged)
	cmd = r.br.NextCommand(r.cmds)
	r.br.Answer("ana", protocol.PagerResult{ID: cmd.ID, OK: true})
	cmd = r.br.NextCommand(r.cmds)
	assert.Equal(t, protocol.ActionAgeOK, cmd.Resolution)
	r.br.Answer("ana", protocol.PagerResult{ID: cmd.ID, OK: false, Error: "lane offline"})
	r.expect(vpager.ClaimSent)
	r.expect(vpager.Claimed)
	ev = r.expect(vpager.Refused)
	assert.Equal(t, "lane offline", ev.Error)
}

func TestClaimLostAndDuplicatePages(t *testing.T) {
	r := start(t, vpager.Behaviour{})
	r.page("a1", protocol.KindHelp)
	r.page("a1", protocol.KindHelp) // QoS 1 duplicate: one claim only
	r.expect(vpager.Paged)
	cmd := r.br.NextCommand(r.cmds)
	r.expect(vpager.ClaimSent)
	r.br.Answer("ana", protocol.PagerResult{ID: cmd.ID, OK: false, Error: "already claimed", ClaimedBy: "ben"})
	ev := r.expect(vpager.ClaimLost)
	assert.Equal(t, "ben", ev.ClaimedBy)
	r.br.NoCommand(r.cmds, 100*time.Millisecond)
}

func TestIgnoreAndWithdrawBeforeClaim(t *testing.T) {
	r := start(t, vpager.Behaviour{Ignore: true})
	r.page("a1", protocol.KindHelp)
	r.expect(vpager.Paged)
	r.br.NoCommand(r.cmds, 200*time.Millisecond)
	r.br.Withdraw("ana", "a1", "escalated")
	ev := r.expect(vpager.Withdrawn)
	assert.Equal(t, "escalated", ev.Error)

	// A slow attendant whose page is withdrawn before they claim never
	// claims it.
	require.NoError(t, r.p.SetBehaviour(vpager.Behaviour{ClaimAfter: time.Hour}))
	r.page("a2", protocol.KindHelp)
	r.expect(vpager.Paged)
	r.br.Withdraw("ana", "a2", "cancelled")
	r.expect(vpager.Withdrawn)
	assert.Error(t, r.p.SetBehaviour(vpager.Behaviour{Resolve: "bless"}))
}

func TestReleaseAfterClaim(t *testing.T) {
	r := start(t, vpager.Behaviour{Release: true, ResolveAfter: 10 * time.Millisecond})
	r.page("a1", protocol.KindUnknownItem)
	r.expect(vpager.Paged)
	cmd := r.br.NextCommand(r.cmds)
	r.br.Answer("ana", protocol.PagerResult{ID: cmd.ID, OK: true})
	cmd = r.br.NextCommand(r.cmds)
	assert.Equal(t, protocol.PagerRelease, cmd.Action)
	r.br.Answer("ana", protocol.PagerResult{ID: cmd.ID, OK: true})
	r.expect(vpager.ClaimSent)
	r.expect(vpager.Claimed)
	r.expect(vpager.Released)
}

func TestGoOfflineWhenPagedAndComeBack(t *testing.T) {
	r := start(t, vpager.Behaviour{GoOfflineAfter: 10 * time.Millisecond})
	r.page("a1", protocol.KindHelp)
	r.expect(vpager.Paged)
	r.expect(vpager.WentOffline)
	r.br.NextPresence(r.presence, protocol.PresenceOffline) // the will
	require.NoError(t, r.p.ComeBack())
	r.expect(vpager.Connected)
	r.br.NextPresence(r.presence, protocol.PresenceAvailable)

	require.NoError(t, r.p.SetStatus(protocol.PresenceBreak))
	r.br.NextPresence(r.presence, protocol.PresenceBreak)
	require.NoError(t, r.p.GoOffline())
	r.expect(vpager.WentOffline)
	r.br.NextPresence(r.presence, protocol.PresenceOffline)

	require.NoError(t, r.p.Close())
	require.NoError(t, r.p.Close(), "close twice is a no-op")
}

func TestStartValidates(t *testing.T) {
	_, err := vpager.Start(vpager.Opts{Opts: pagerclient.Opts{Store: "s1", ID: "ana"}, Behaviour: vpager.Behaviour{ClaimAfter: -1}})
	assert.ErrorContains(t, err, "negative")
	_, err = vpager.Start(vpager.Opts{Opts: pagerclient.Opts{Store: "s1", ID: "ana"},
		Behaviour: vpager.Behaviour{ResolveByKind: map[protocol.Kind]protocol.Action{"nap": protocol.ActionClear}}})
	assert.ErrorContains(t, err, `"nap"`)
	_, err = vpager.Start(vpager.Opts{Opts: pagerclient.Opts{Store: "s1", ID: "A"}})
	assert.ErrorContains(t, err, `"A"`)
}
