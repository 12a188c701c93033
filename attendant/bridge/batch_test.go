package bridge

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/protocol"
)

// A burst of alerts (which the bridge handles in batches, one synced
// save per batch): every alert is paged once, in the order raised, and a
// bridge stopped right after the last page restores every alert, and
// pages them again.
func TestBridgeBurstPagedInOrderAndSaved(t *testing.T) {
	r, b := newRig(t, testsupport.Mochi(t).URL(), slow, "ana")
	r.pagingStarted("a0", "ana")
	const n = 40
	from := r.rec.mark()
	var ids []string
	for i := range n {
		id := fmt.Sprintf("b%02d", i)
		ids = append(ids, id)
		// Lanes 10 to 13, ten each (a lane may have 16 open), one after
		// the other. Not waiting for each PUBACK keeps the burst dense.
		lane := strconv.Itoa(10 + i/10)
		a := protocol.Alert{ID: id, Store: "s1", Lane: lane, Zone: "front", Kind: protocol.KindHelp, Status: protocol.AlertOpen, TS: protocol.At(time.Now())}
		r.lane.Publish(protocol.LaneAlertTopic("s1", lane), 1, false, protocol.Encode(a))
	}
	r.rec.await(from, "pager/ana/page", `"alert":"`+ids[n-1]+`"`)
	require.NoError(t, b.Close())
	require.Equal(t, ids, pagedAlerts(t, r.rec, from), "each alert paged once, in order")

	from = r.rec.mark()
	b2 := r.start()
	defer b2.Close()
	r.rec.await(from, "pager/ana/page", `"alert":"`+ids[n-1]+`"`)
	for _, id := range append(ids, "a0") {
		r.rec.await(from, "pager/ana/page", `"alert":"`+id+`"`, `"tier":1`)
	}
}

// pagedAlerts lists the alerts of the pages ana received since from.
func pagedAlerts(t *testing.T, rec *recorder, from int) []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []string
	for _, m := range rec.msgs[from:] {
		if !strings.HasSuffix(m.Topic, "/pager/ana/page") {
			continue
		}
		var p protocol.Page
		require.NoError(t, json.Unmarshal(m.Payload, &p))
		if !p.Withdrawn {
			out = append(out, p.Alert)
		}
	}
	return out
}
