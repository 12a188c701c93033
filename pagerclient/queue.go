package pagerclient

import "sync"

// queue hands events from paho's goroutines to one reader, in order and
// without limit, so a handler never blocks on a slow reader.
type queue struct {
	out    chan Event
	wake   chan struct{}
	stop   chan struct{}
	done   chan struct{}
	mu     sync.Mutex
	items  []Event
	closed bool
	once   sync.Once
}

func newQueue() *queue {
	q := &queue{out: make(chan Event), wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go q.run()
	return q
}

func (q *queue) push(ev Event) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.items = append(q.items, ev)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *queue) run() {
	defer close(q.done)
	defer close(q.out)
	for {
		q.mu.Lock()
		var ev Event
		have := len(q.items) > 0
		if have {
			ev = q.items[0]
			q.items = q.items[1:]
		}
		q.mu.Unlock()
		if !have {
			select {
			case <-q.wake:
				continue
			case <-q.stop:
				return
			}
		}
		select {
		case q.out <- ev:
		case <-q.stop:
			return
		}
	}
}

// close stops delivery (undelivered events are dropped) and closes out.
func (q *queue) close() {
	q.once.Do(func() {
		q.mu.Lock()
		q.closed = true
		q.mu.Unlock()
		close(q.stop)
		<-q.done
	})
}
