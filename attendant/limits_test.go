package attendant

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol"
)

// A pager may send pager_cmd_burst commands at once and
// pager_cmds_per_s a second after that; beyond it a command is answered
// "rate limited" and dropped (a duplicate of one answered before still
// gets its answer).
func TestPagerRateLimit(t *testing.T) {
	cfg := testConfig(t)
	cfg.Limits = Limits{PagerCmdsPerS: 5, PagerCmdBurst: 3}
	require.NoError(t, cfg.Validate())
	h := newHarness(t, cfg, allAvailable)
	h.raise(t0, "a1", "front", protocol.KindHelp)
	for i := range 3 {
		id := fmt.Sprintf("c%d", i)
		require.Equal(t, []string{"result ana " + id + " ok=false error=unknown alert"}, h.cmd(t0, "ana", id, "nope", "claim", ""))
	}
	require.Equal(t, []string{"result ana c3 ok=false error=rate limited"}, h.cmd(t0, "ana", "c3", "a1", "claim", ""))
	require.Equal(t, []string{"result ana c0 ok=false error=unknown alert"}, h.cmd(t0, "ana", "c0", "nope", "claim", ""), "a duplicate is answered as before")
	require.Equal(t, []string{"result ben b0 ok=false error=not paged for this alert"}, h.cmd(t0, "ben", "b0", "a1", "claim", ""), "each pager has its own allowance")
	st, _ := h.d.Alert("a1")
	require.Empty(t, st.ClaimedBy, "the limited claim changed nothing")
	require.Equal(t, []string{"result ana c3 ok=false error=rate limited"}, h.cmd(t0.Add(199*time.Millisecond), "ana", "c3", "a1", "claim", ""))
	// 250ms on there is one more token (5 a second); the same id is new.
	require.Equal(t, "result ana c3 ok=true claimed_by=ana", h.cmd(t0.Add(250*time.Millisecond), "ana", "c3", "a1", "claim", "")[0])
	require.Equal(t, []string{"result ana c4 ok=false error=rate limited claimed_by=ana"}, h.cmd(t0.Add(250*time.Millisecond), "ana", "c4", "a1", "claim", ""))
	// The allowance refills up to the burst, no further.
	for i := range 3 {
		require.NotContains(t, h.cmd(at(time.Hour), "ana", fmt.Sprintf("d%d", i), "a1", "claim", "")[0], "rate limited")
	}
	require.Contains(t, h.cmd(at(time.Hour), "ana", "d3", "a1", "claim", "")[0], "rate limited")
}

// Whatever pagers and lanes send, the dispatcher's memory stays bounded:
// answers per pager, closed ids per lane, rate limits per roster entry.
func TestMemoryStaysBounded(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	now := t0
	for i := range MaxResultsPerAttendant + 500 {
		now = now.Add(time.Second) // within the rate limit
		h.cmd(now, "ana", fmt.Sprintf("c%d", i), fmt.Sprintf("x%d", i), "claim", "")
		h.cmd(now, fmt.Sprintf("stranger%d", i), "c1", "x", "claim", "")
	}
	st := h.d.State()
	require.Len(t, st.Results, MaxResultsPerAttendant, "the oldest answers are forgotten first")
	require.Contains(t, st.Results, fmt.Sprintf("ana/c%d", MaxResultsPerAttendant+499))
	require.NotContains(t, st.Results, "ana/c0")
	require.LessOrEqual(t, len(h.d.buckets), len(h.d.cfg.Attendants)+1, "one bucket per roster entry and one for strangers")

	for i := range MaxClosedPerLane + 100 {
		_, err := h.d.LaneAlert(now, "3", alertMsg(fmt.Sprintf("z%d", i), "3", "front", protocol.KindHelp, protocol.AlertCancelled))
		require.NoError(t, err)
	}
	_, err := h.d.LaneAlert(now, "4", alertMsg("y1", "4", "front", protocol.KindHelp, protocol.AlertCancelled))
	require.NoError(t, err)
	st = h.d.State()
	require.Len(t, st.Closed, MaxClosedPerLane+1, "lane 3's oldest closed ids are forgotten; lane 4 keeps its own")
	require.Contains(t, st.Closed, "4/y1")
	require.NotContains(t, st.Closed, "3/z0")
	require.Len(t, h.d.closedIDs, MaxClosedPerLane+1)
}
