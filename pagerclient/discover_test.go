package pagerclient_test

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/pagerclient"
	"github.com/sco-project/sco/pagerclient/pagertest"
	"github.com/sco-project/sco/protocol"
)

func TestDiscover(t *testing.T) {
	b := testsupport.Mochi(t)
	br := pagertest.NewBridge(t, b.URL(), "store-7")
	br.Profile(protocol.Profile{ID: "ana", Name: "Ana", Zone: "front", Roles: []string{"attendant"}, Store: "store-7"})

	ctx, cancel := context.WithTimeout(context.Background(), pagertest.Wait)
	defer cancel()
	p, err := pagerclient.Discover(ctx, mqttc.Config{Broker: b.URL()}, "ana")
	require.NoError(t, err)
	assert.Equal(t, "store-7", p.Store)
	assert.Equal(t, "Ana", p.Name)

	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = pagerclient.Discover(ctx, mqttc.Config{Broker: b.URL()}, "zoe")
	assert.ErrorIs(t, err, pagerclient.ErrNoProfile)
	assert.ErrorContains(t, err, "not on the roster")

	_, err = pagerclient.Discover(ctx, mqttc.Config{Broker: b.URL()}, "Zoe")
	assert.ErrorContains(t, err, "must match")
}

// A broker that refuses the profile subscription (its ACL) must not make
// Discover say "not on the roster": it says the broker refused.
func TestDiscoverSaysWhenTheBrokerRefuses(t *testing.T) {
	srv := mqtt.New(&mqtt.Options{InlineClient: true, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, srv.AddHook(new(auth.Hook), &auth.Options{Ledger: &auth.Ledger{
		Auth: auth.AuthRules{{Allow: true}},
		ACL:  auth.ACLRules{{Filters: auth.Filters{"sco/#": auth.Deny}}},
	}}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, srv.AddListener(listeners.NewNet("t", ln)))
	require.NoError(t, srv.Serve())
	t.Cleanup(func() { _ = srv.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = pagerclient.Discover(ctx, mqttc.Config{Broker: "tcp://" + ln.Addr().String()}, "ana")
	assert.ErrorIs(t, err, pagerclient.ErrNoProfile)
	assert.ErrorContains(t, err, "refused the subscription")
	assert.NotContains(t, err.Error(), "not on the roster")
}
