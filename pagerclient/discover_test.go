package pagerclient_test

import (
	"context"
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
