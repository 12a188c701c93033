package shopper

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol"
	"github.com/sco-project/sco/simulator/harness"
	"github.com/sco-project/sco/simulator/vpager"
)

func fastStore(t *testing.T) *harness.Store {
	t.Helper()
	s, err := harness.Start(context.Background(), harness.Opts{Lanes: []harness.LaneSpec{{
		Policy:      map[string]string{"bag_timeout": "500ms", "bag_prompts": "1", "unexpected_grace": "500ms", "removed_grace": "500ms"},
		ScaleSettle: 50 * time.Millisecond,
	}}})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	_, err = s.StartPager("ana", "", vpager.Behaviour{
		Resolve: protocol.ActionApprove,
		ResolveByKind: map[protocol.Kind]protocol.Action{
			protocol.KindAgeCheck: protocol.ActionAgeOK, protocol.KindHelp: protocol.ActionClear,
			protocol.KindUnknownItem: protocol.ActionClear, protocol.KindUnexpectedItem: protocol.ActionApprove,
		},
	}, nil)
	require.NoError(t, err)
	return s
}

// A perfect shopper pays with nobody called.
func TestPerfectShopperPays(t *testing.T) {
	s := fastStore(t)
	from := s.Observer.Len()
	sh := New(s, s.Lanes[0], 1, Opts{Pace: 100 * time.Millisecond, MinItems: 3, MaxItems: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, sh.Checkout(ctx))
	for _, e := range s.Observer.Events(from) {
		require.Nil(t, e.Alert, "a perfect shopper raised %+v", e.Alert)
	}
	// Finish was accepted; the lane publishes idle right after.
	require.NoError(t, s.Observer.Until(ctx, func() bool {
		st, _ := s.Observer.LaneState(s.Lanes[0].ID)
		return st.State == protocol.StateIdle
	}))
}

// A shopper who gets every kind of trouble still pays, because the
// attendant resolves each alert.
func TestTroubledShopperIsServedAndPays(t *testing.T) {
	s := fastStore(t)
	from := s.Observer.Len()
	sh := New(s, s.Lanes[0], 7, Opts{
		Pace: 100 * time.Millisecond, MinItems: 4, MaxItems: 4,
		Rates: Rates{NoBag: 0.3, WrongItem: 0.3, AgeItem: 1, Help: 1},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	require.NoError(t, sh.Checkout(ctx))
	kinds := map[protocol.Kind]bool{}
	for _, e := range s.Observer.Events(from) {
		if e.Alert != nil {
			kinds[e.Alert.Kind] = true
		}
	}
	require.True(t, kinds[protocol.KindAgeCheck], "wine raised an age check: %v", kinds)
	require.True(t, kinds[protocol.KindHelp], "help pressed: %v", kinds)
}
