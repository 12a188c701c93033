package daemon

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol"
)

// A client that never reads never holds up the lane: it keeps only the
// newest state.
func TestHubSlowClientGetsLatest(t *testing.T) {
	h := newHub()
	slow := h.subscribe()
	for i := 1; i <= 1000; i++ {
		h.publish(protocol.LaneState{Seq: uint64(i)})
	}
	require.Equal(t, uint64(1000), (<-slow).Seq)
	select {
	case st := <-slow:
		t.Fatalf("only the newest state is kept, got another: %+v", st)
	default:
	}
	h.unsubscribe(slow)
	h.unsubscribe(slow) // twice is a no-op
	h.close()
	_, ok := <-h.subscribe()
	require.False(t, ok, "a closed hub hands out closed channels")
}

func TestAssistMessage(t *testing.T) {
	require.Equal(t, "", AssistMessage(nil))
	require.Equal(t, "Ana is on the way", AssistMessage(&protocol.AssistInfo{Status: protocol.AlertClaimed, Name: "Ana"}))
	require.Equal(t, "An attendant has been called", AssistMessage(&protocol.AssistInfo{Status: protocol.AlertPaged}))
	require.Equal(t, "-1.05", money(-105))
	require.Equal(t, "30.88", money(3088))
}
