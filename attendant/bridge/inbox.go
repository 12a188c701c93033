package bridge

import (
	"strings"
	"sync"
)

// Inbox limits. A source is one lane or one pager, told apart by topic
// (lane/{lane}/..., pager/{id}/...).
const (
	// laneQueueMax and pagerQueueMax bound what one source can have
	// queued; beyond it its messages are dropped (and counted) until the
	// loop catches up. A pager within its rate limit never comes near.
	laneQueueMax  = 4096
	pagerQueueMax = 1024
	// lanePerTurn and pagerPerTurn are how many of one source's messages
	// the loop takes in one batch.
	lanePerTurn  = 256
	pagerPerTurn = 16
)

// inbox queues what paho delivers for the loop, fairly: a push never
// blocks, so paho reads from the broker as fast as it delivers and the
// broker never has to drop messages for the bridge; and one source's
// flood neither grows the bridge without bound nor delays the others.
// Control messages (subscriptions in place, in-process calls) come
// first, then every lane's queue, then every pager's, each source a few
// messages a turn, round robin. Messages of one source stay in order.
type inbox struct {
	mu      sync.Mutex
	control []inMsg
	lanes   sources
	pagers  sources
	ready   chan struct{}
}

// sources is one bounded queue per source, and the turn order of those
// that have messages.
type sources struct {
	q       map[string][]inMsg
	ring    []string
	max     int
	dropped map[string]int
}

func newInbox() *inbox {
	return &inbox{
		lanes:  sources{q: map[string][]inMsg{}, max: laneQueueMax, dropped: map[string]int{}},
		pagers: sources{q: map[string][]inMsg{}, max: pagerQueueMax, dropped: map[string]int{}},
		ready:  make(chan struct{}, 1),
	}
}

// source names where a message on topic (under sco/v1/{store}/) comes
// from: "lane/3", "pager/ana", or "" for anything else.
func source(topic string) string {
	p := strings.SplitN(topic, "/", 6)
	if len(p) < 5 || (p[3] != "lane" && p[3] != "pager") {
		return ""
	}
	return p[3] + "/" + p[4]
}

// push queues m and wakes the loop; it never blocks. It reports false
// when m was dropped because its source's queue is full.
func (q *inbox) push(m inMsg) bool {
	q.mu.Lock()
	ok := true
	switch src := source(m.topic); {
	case m.topic == "" || src == "":
		q.control = append(q.control, m)
	case strings.HasPrefix(src, "lane/"):
		ok = q.lanes.push(src, m)
	default:
		ok = q.pagers.push(src, m)
	}
	q.mu.Unlock()
	q.wake()
	return ok
}

func (s *sources) push(src string, m inMsg) bool {
	n := len(s.q[src])
	if n >= s.max {
		s.dropped[src]++
		return false
	}
	if n == 0 {
		s.ring = append(s.ring, src)
	}
	s.q[src] = append(s.q[src], m)
	return true
}

// take appends up to per messages of each source, in turn order, and
// moves the sources that still have some to the end.
func (s *sources) take(per int, out []inMsg) []inMsg {
	ring := s.ring
	s.ring = nil
	for _, src := range ring {
		q := s.q[src]
		n := min(per, len(q))
		out = append(out, q[:n]...)
		if n == len(q) {
			delete(s.q, src)
			continue
		}
		s.q[src] = q[n:]
		s.ring = append(s.ring, src)
	}
	return out
}

func (q *inbox) wake() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// Ready receives after a push; a receive may find nothing to take.
func (q *inbox) Ready() <-chan struct{} { return q.ready }

// take is the next batch: every control message, then a turn of the
// lanes, then a turn of the pagers. When messages are left it wakes the
// loop again, so the next batch follows this one's effects.
func (q *inbox) take() []inMsg {
	q.mu.Lock()
	defer q.mu.Unlock()
	batch := q.control
	q.control = nil
	batch = q.lanes.take(lanePerTurn, batch)
	batch = q.pagers.take(pagerPerTurn, batch)
	if len(q.lanes.ring)+len(q.pagers.ring) > 0 {
		q.wake()
	}
	return batch
}

// dropped returns and resets the count of messages dropped by source.
func (q *inbox) dropped() map[string]int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.lanes.dropped)+len(q.pagers.dropped) == 0 {
		return nil
	}
	out := map[string]int{}
	for _, s := range []*sources{&q.lanes, &q.pagers} {
		for k, v := range s.dropped {
			out[k] = v
		}
		clear(s.dropped)
	}
	return out
}
