package daemon

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol"
)

// A client that never reads never holds up the lane: it keeps only the
// newest state.
func TestHubSlowClientGetsLatest(t *testing.T) {
	h := newHub(maxStreams)
	slow, ok := h.subscribe()
	require.True(t, ok)
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
	c, ok := h.subscribe()
	require.True(t, ok)
	_, ok = <-c
	require.False(t, ok, "a closed hub hands out closed channels")
}

// The shopper screen says who is coming in the engine's words only: the
// prompt carries them, the page adds none of its own.
func TestScreenShowsTheEnginesAssistText(t *testing.T) {
	d := &Daemon{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	st := protocol.LaneState{Lane: "3", State: protocol.StateAssist, Prompt: "You asked for help. Ana is on the way.",
		Alerts: []string{"a1"}, Assist: &protocol.AssistInfo{Alert: "a1", Attendant: "ana", Name: "Ana", Status: protocol.AlertClaimed},
		Basket: []protocol.BasketItem{{Name: "Cola", PriceCents: 89}}, TotalCents: 89, Items: 1}
	d.state.Store(&st)
	rec := httptest.NewRecorder()
	d.serveScreen(rec, httptest.NewRequest("GET", "/", nil))
	page := rec.Body.String()
	require.Equal(t, 1, strings.Count(page, "on the way"), "the prompt's, and no other:\n%s", page)
	require.Contains(t, page, `<p id="prompt">You asked for help. Ana is on the way.</p>`)
	require.NotContains(t, page, "has been called")
	require.Contains(t, page, "0.89")
}

func TestMoney(t *testing.T) {
	require.Equal(t, "-1.05", money(-105))
	require.Equal(t, "30.88", money(3088))
}
