package bridge

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/protocol"
)

// The inbox hands the loop control messages first, then a turn of each
// lane, then a turn of each pager, each source in its order; a source's
// queue is bounded and what overflows it is dropped and counted.
func TestInboxIsFairAndBounded(t *testing.T) {
	q := newInbox()
	pagerMsg := func(id string, n int) inMsg {
		return inMsg{topic: protocol.PagerCmdTopic("s1", id), payload: []byte(strconv.Itoa(n))}
	}
	for i := range pagerQueueMax + 10 {
		ok := q.push(pagerMsg("ben", i))
		require.Equal(t, i < pagerQueueMax, ok, "message %d", i)
	}
	q.push(pagerMsg("ana", 0))
	q.push(inMsg{topic: protocol.LaneAlertTopic("s1", "3"), payload: []byte("alert")})
	q.push(inMsg{subscribed: true})
	q.push(pagerMsg("ana", 1))
	require.Equal(t, map[string]int{"pager/ben": 10}, q.dropped())
	require.Nil(t, q.dropped(), "reset")

	describe := func(ms []inMsg) []string {
		var out []string
		for _, m := range ms {
			out = append(out, fmt.Sprintf("%s %s", source(m.topic), m.payload))
		}
		return out
	}
	got := describe(q.take())
	want := []string{" ", "lane/3 alert"}
	for i := range pagerPerTurn {
		want = append(want, fmt.Sprintf("pager/ben %d", i))
	}
	want = append(want, "pager/ana 0", "pager/ana 1")
	require.Equal(t, want, got)
	select {
	case <-q.Ready():
	default:
		t.Fatal("messages are left: the loop is woken again")
	}
	// A lane message pushed now comes before ben's next turn.
	q.push(inMsg{topic: protocol.LaneResultTopic("s1", "4"), payload: []byte("result")})
	got = describe(q.take())
	require.Equal(t, "lane/4 result", got[0])
	require.Equal(t, fmt.Sprintf("pager/ben %d", pagerPerTurn), got[1])
	require.Len(t, got, 1+pagerPerTurn)
}

// Under a flood of 50,000 commands from one pager, every lane alert is
// still paged, the pager is answered "rate limited", and the bridge keeps
// a bounded number of answers.
func TestBridgePagesThroughAFlood(t *testing.T) {
	r, b := newRig(t, testsupport.Mochi(t).URL(), slow, "ana", "ben")
	r.pagingStarted("a0", "ana")
	const flood = 50000
	// The rig's recorder sees everything; these see what is asserted.
	pages := newRecorder(t, r.url, "", "", protocol.PageTopic("s1", "ana"))
	pages.wait = time.Minute
	results := newRecorder(t, r.url, "", "", protocol.PagerResultTopic("s1", "ben"))
	results.wait = time.Minute
	ben := r.pager["ben"]
	var wg sync.WaitGroup
	wg.Add(1)
	sent := make(chan struct{})
	go func() {
		defer wg.Done()
		topic := protocol.PagerCmdTopic("s1", "ben")
		for i := range flood {
			ben.c.Publish(topic, 0, false, protocol.Encode(protocol.PagerCmd{ID: "f" + strconv.Itoa(i), Alert: "a0", Action: protocol.PagerClaim}))
			if i == flood/10 {
				close(sent)
			}
		}
		tok := ben.c.Publish(topic, 1, false, protocol.Encode(protocol.PagerCmd{ID: "last", Alert: "a0", Action: protocol.PagerClaim}))
		tok.WaitTimeout(time.Minute)
	}()
	defer wg.Wait()
	<-sent
	for i := 1; i <= 5; i++ {
		r.raise(fmt.Sprintf("a%d", i), protocol.KindHelp)
	}
	for i := 1; i <= 5; i++ {
		pages.await(0, "pager/ana/page", fmt.Sprintf(`"alert":"a%d"`, i))
	}
	results.await(0, "pager/ben/result", `"error":"rate limited"`)
	wg.Wait()
	require.NoError(t, b.Close())
	require.LessOrEqual(t, len(b.d.State().Results), attendant.MaxResultsPerAttendant+10)
}
