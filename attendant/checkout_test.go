package attendant

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol"
)

// A lane's checkout joins the next Changes, once, and the effects; a
// checkout with a bad session id is refused.
func TestLaneCheckout(t *testing.T) {
	h := newHarness(t, testConfig(t), nil)
	c := protocol.Checkout{Session: "3-s1", Items: 4, TotalCents: 1234, Started: protocol.At(t0), Finished: protocol.At(at(time.Minute)), Alerts: 1, TS: protocol.At(at(time.Minute))}
	fx, err := h.d.Handle(at(time.Minute), protocol.LaneCheckoutTopic("s1", "3"), protocol.Encode(c))
	require.NoError(t, err)
	want := []Checkout{{Lane: "3", Checkout: c}}
	require.True(t, fx.Changed)
	require.Equal(t, want, fx.Checkouts)
	require.Equal(t, want, h.d.Changes().Checkouts)
	require.Empty(t, h.d.Changes().Checkouts)

	bad := c
	bad.Session = "no spaces"
	_, err = h.d.Handle(at(time.Minute), protocol.LaneCheckoutTopic("s1", "3"), protocol.Encode(bad))
	require.ErrorContains(t, err, "bad session id")
	_, err = h.d.Handle(at(time.Minute), protocol.LaneCheckoutTopic("s1", "3"), []byte(`{"session":"x"}`))
	require.ErrorContains(t, err, "finished: required")
	require.Empty(t, h.d.Changes().Checkouts)

	got := Changes{Checkouts: want}.Then(Changes{Checkouts: []Checkout{{Lane: "4"}}})
	require.Equal(t, []Checkout{want[0], {Lane: "4"}}, got.Checkouts)
}
