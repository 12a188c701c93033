// Package fifo is an unbounded first-in first-out queue from any number
// of goroutines to one reader. A push never blocks and never drops, so a
// paho handler is never held up and no message is lost; the reader waits
// on Ready and takes everything queued at once with Drain.
package fifo

import "sync"

// Queue is an unbounded FIFO. Create it with New.
type Queue[T any] struct {
	mu     sync.Mutex
	items  []T
	closed bool
	ready  chan struct{}
}

// New returns an empty queue.
func New[T any]() *Queue[T] { return &Queue[T]{ready: make(chan struct{}, 1)} }

// Push appends v and wakes the reader.
func (q *Queue[T]) Push(v T) {
	q.mu.Lock()
	q.items = append(q.items, v)
	q.mu.Unlock()
	q.wake()
}

// Close tells the reader, through Drain, to stop once it has what is
// queued.
func (q *Queue[T]) Close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.wake()
}

func (q *Queue[T]) wake() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// Ready receives after a Push or Close; a receive may find the queue
// empty (what woke it was drained already).
func (q *Queue[T]) Ready() <-chan struct{} { return q.ready }

// Drain takes everything queued, oldest first, and whether the queue
// was closed.
func (q *Queue[T]) Drain() (items []T, closed bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	items, q.items = q.items, nil
	return items, q.closed
}
