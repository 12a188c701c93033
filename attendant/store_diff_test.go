package attendant

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/sco-project/sco/attendant/protocol"
)

// Save writes only what changed, yet what Load reads back is always the
// last state saved: entries added, changed and dropped, across reopening.
func TestStoreSavesChangesOnly(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenStore(dir)
	require.NoError(t, err)
	res := func(id string) StoredResult {
		return StoredResult{Result: protocol.PagerResult{ID: id, OK: true}, At: t0}
	}
	st := State{
		Closed:    map[string]time.Time{"a1": t0, "a2": t0.Add(time.Second)},
		Results:   map[string]StoredResult{"ana/c1": res("c1")},
		LastPaged: map[string]time.Time{"ana": t0},
	}
	require.NoError(t, s.Save(st))
	st.Closed = map[string]time.Time{"a2": t0.Add(2 * time.Second), "a3": t0}      // a1 forgotten, a2 changed
	st.Results = map[string]StoredResult{"ana/c1": res("c1"), "ben/c2": res("c2")} // c2 added
	require.NoError(t, s.Save(st))
	require.NoError(t, s.Save(st)) // nothing changed
	got, err := s.Load()
	require.NoError(t, err)
	require.Equal(t, st.Closed, normalise(got).Closed)
	require.Equal(t, st.Results, normalise(got).Results)
	require.NoError(t, s.Close())

	s, err = OpenStore(dir)
	require.NoError(t, err)
	defer s.Close()
	st.Closed = map[string]time.Time{"a3": t0}
	require.NoError(t, s.Save(st))
	got, err = s.Load()
	require.NoError(t, err)
	require.Equal(t, st.Closed, normalise(got).Closed)
	require.Equal(t, st.Results, normalise(got).Results)
	require.Equal(t, st.LastPaged, normalise(got).LastPaged)
}

// A data_dir written before closed ids and answers had their own buckets
// (one JSON key each in meta) loads, and the next Save moves them.
func TestStoreReadsAndMovesTheOldLayout(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenStore(dir)
	require.NoError(t, err)
	closed, _ := json.Marshal(map[string]time.Time{"old1": t0})
	results, _ := json.Marshal(map[string]StoredResult{"ana/c0": {Result: protocol.PagerResult{ID: "c0"}, At: t0}})
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
	require.NoError(t, s.Save(st))
	require.NoError(t, s.db.View(func(tx *bolt.Tx) error {
		require.Nil(t, tx.Bucket(bucketMeta).Get(keyClosed), "moved out of meta")
		require.NotNil(t, tx.Bucket(bucketClosed).Get([]byte("old1")))
		require.NotNil(t, tx.Bucket(bucketResult).Get([]byte("ana/c0")))
		return nil
	}))
	again, err := s.Load()
	require.NoError(t, err)
	require.Equal(t, normalise(st).Closed, normalise(again).Closed)
}

// normalise drops monotonic readings and locations so times compare by
// instant.
func normalise(st State) State {
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
