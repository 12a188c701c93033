package attendant

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol"
)

// What a view reads: the pages an attendant holds, the open alerts, the
// lanes' states and the roster with presence, zone and claims.
func TestViews(t *testing.T) {
	h := newHarness(t, testConfig(t), map[string]string{"ana": "available", "ben": "busy"})
	h.raise(t0, "a1", "front", protocol.KindHelp)
	h.raise(t0, "a2", "back", protocol.KindBagTimeout)
	h.cmd(at(time.Second), "ana", "c1", "a2", "arrive", "")
	_, err := h.d.LaneState(at(2*time.Second), "3", protocol.LaneState{Lane: "3", Online: true, Alerts: []string{"a1", "a2"}, Basket: []protocol.BasketItem{{GTIN: "1"}}})
	require.NoError(t, err)

	held := h.d.Held(at(3*time.Second), "ana")
	require.Len(t, held, 2)
	require.Equal(t, "a1", held[0].Alert)
	require.Equal(t, []protocol.Action{protocol.ActionApprove, protocol.ActionVoid, protocol.ActionOutOfService}, held[1].Resolutions)
	require.Empty(t, h.d.Held(at(3*time.Second), "ben"))
	require.Nil(t, h.d.Held(at(3*time.Second), "zed"))

	alerts := h.d.Alerts()
	require.Len(t, alerts, 2)
	require.Equal(t, at(time.Second), alerts[1].Arrived)
	lanes := h.d.Lanes()
	require.Len(t, lanes, 1)
	require.Nil(t, lanes[0].Basket, "the basket is not kept")
	require.Equal(t, []AttendantStatus{
		{ID: "ana", Name: "Ana", Zone: "back", Status: "available", Alerts: []string{"a2"}},
		{ID: "ben", Name: "Ben", Zone: "back", Status: "busy"},
		{ID: "sue", Name: "Sue", Zone: "office", Status: "offline"},
	}, h.d.Attendants())
}
