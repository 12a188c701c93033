package fifo

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// Pushes from several goroutines all arrive, each goroutine's in its
// order, and Close is seen after what was queued before it.
func TestQueueKeepsOrderAndLosesNothing(t *testing.T) {
	q := New[[2]int]()
	const writers, each = 4, 1000
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				q.Push([2]int{w, i})
			}
		})
	}
	go func() {
		wg.Wait()
		q.Close()
	}()
	next := make([]int, writers)
	for range q.Ready() {
		items, closed := q.Drain()
		for _, it := range items {
			require.Equal(t, next[it[0]], it[1], "writer %d out of order", it[0])
			next[it[0]]++
		}
		if closed {
			break
		}
	}
	for w := range writers {
		require.Equal(t, each, next[w], "writer %d lost items", w)
	}
}
