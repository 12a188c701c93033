package bridge

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/protocol"
)

// Apply writes only the closed ids and answers in the changes, yet what
// Load reads back is always the dispatcher's state: entries added,
// changed and forgotten, across reopening, and a failed save's changes
// saved with the next ones.
func TestStoreAppliesChanges(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenStore(dir)
	require.NoError(t, err)
	res := func(id string) attendant.StoredResult {
		return attendant.StoredResult{Result: protocol.PagerResult{ID: id, OK: true}, At: t0}
	}
	c1 := attendant.Changes{
		Closed:    map[string]time.Time{"a1": t0, "a2": t0.Add(time.Second)},
		Results:   map[string]attendant.StoredResult{"ana/c1": res("c1")},
		LastPaged: map[string]time.Time{"ana": t0},
	}
	require.NoError(t, s.Apply(c1))
	c2 := attendant.Changes{
		Closed:    map[string]time.Time{"a1": {}, "a2": t0.Add(2 * time.Second), "a3": t0}, // a1 forgotten, a2 changed
		Results:   map[string]attendant.StoredResult{"ben/c2": res("c2")},
		LastPaged: map[string]time.Time{"ana": t0, "ben": t0},
	}
	require.NoError(t, s.Apply(c2))
	require.NoError(t, s.Apply(attendant.Changes{LastPaged: c2.LastPaged})) // nothing changed
	want := attendant.State{
		Closed:    map[string]time.Time{"a2": t0.Add(2 * time.Second), "a3": t0},
		Results:   map[string]attendant.StoredResult{"ana/c1": res("c1"), "ben/c2": res("c2")},
		LastPaged: c2.LastPaged,
	}
	got, err := s.Load()
	require.NoError(t, err)
	require.Equal(t, want, normalise(got))
	require.NoError(t, s.Close())

	s, err = OpenStore(dir)
	require.NoError(t, err)
	defer s.Close()
	got, err = s.Load()
	require.NoError(t, err)
	require.Equal(t, want, normalise(got))

	// Changes merged (as the bridge does after a failed save): the later
	// value wins, the earlier ones stay.
	merged := attendant.Changes{Closed: map[string]time.Time{"a2": {}}, Results: map[string]attendant.StoredResult{"ana/c1": {}}}.
		Then(attendant.Changes{Closed: map[string]time.Time{"a4": t0}, LastPaged: c2.LastPaged}).
		Then(attendant.Changes{Closed: map[string]time.Time{"a4": t0.Add(time.Second)}, LastPaged: c2.LastPaged})
	require.NoError(t, s.Apply(merged))
	got, err = s.Load()
	require.NoError(t, err)
	want.Closed = map[string]time.Time{"a3": t0, "a4": t0.Add(time.Second)}
	want.Results = map[string]attendant.StoredResult{"ben/c2": res("c2")}
	require.Equal(t, want, normalise(got))
}

// Changes holds each closed id and answer once, after it was set or
// forgotten: what a dispatcher's successive Changes add up to on disk is
// its whole state.
func TestDispatcherChangesAddUpToState(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	require.NoError(t, err)
	defer s.Close()
	h := newFakeLane(t, testConfig(t))
	h.raise(t0, "a1")
	h.cancel(at(time.Second), "a1")
	c := h.d.Changes()
	require.Equal(t, map[string]time.Time{"3/a1": at(time.Second)}, c.Closed)
	require.NoError(t, s.Apply(c))
	require.Empty(t, h.d.Changes().Closed, "a1 was in the last changes")

	h.raise(at(2*time.Second), "a2")
	h.d.Tick(at(time.Second + attendant.ClosedTTL + time.Minute)) // forgets a1
	c = h.d.Changes()
	require.Contains(t, c.Closed, "3/a1")
	require.True(t, c.Closed["3/a1"].IsZero(), "forgotten")
	require.Len(t, c.Alerts, 1)
	require.NoError(t, s.Apply(c))
	st, err := s.Load()
	require.NoError(t, err)
	require.Equal(t, normalise(h.d.State()), normalise(st))
}

// A data_dir written before closed ids and answers had their own buckets
// (one JSON key each in meta) is moved to them when it is opened.
func TestStoreMovesTheOldLayout(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenStore(dir)
	require.NoError(t, err)
	closed, _ := json.Marshal(map[string]time.Time{"old1": t0})
	results, _ := json.Marshal(map[string]attendant.StoredResult{"ana/c0": {Result: protocol.PagerResult{ID: "c0"}, At: t0}})
	require.NoError(t, s.db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		require.NoError(t, m.Put(keyClosed, closed))
		return m.Put(keyResults, results)
	}))
	require.NoError(t, s.Close())

	s, err = OpenStore(dir)
	require.NoError(t, err)
	defer s.Close()
	st, err := s.Load()
	require.NoError(t, err)
	require.Contains(t, st.Closed, "old1")
	require.Contains(t, st.Results, "ana/c0")
	require.NoError(t, s.db.View(func(tx *bolt.Tx) error {
		require.Nil(t, tx.Bucket(bucketMeta).Get(keyClosed), "moved out of meta")
		require.Nil(t, tx.Bucket(bucketMeta).Get(keyResults), "moved out of meta")
		require.NotNil(t, tx.Bucket(bucketClosed).Get([]byte("old1")))
		require.NotNil(t, tx.Bucket(bucketResult).Get([]byte("ana/c0")))
		return nil
	}))
}

// normalise drops monotonic readings and locations so times compare by
// instant.
func normalise(st attendant.State) attendant.State {
	for k, v := range st.Closed {
		st.Closed[k] = v.UTC()
	}
	for k, v := range st.LastPaged {
		st.LastPaged[k] = v.UTC()
	}
	for k, v := range st.Results {
		v.At = v.At.UTC()
		v.Result.TS = protocol.Time{Time: v.Result.TS.UTC()}
		st.Results[k] = v
	}
	return st
}
