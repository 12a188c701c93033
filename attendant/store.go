package attendant

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sco-project/sco/internal/boltdb"
)

// Store keeps the dispatcher's state in data_dir/bridge.db so that open
// alerts, claims, pending resolutions, closed ids and command answers
// survive a restart.
//
// It uses bbolt: a single-file, pure-Go, crash-safe B+tree that fsyncs on
// every commit. The bridge's state is small (the open alerts of one store)
// and written by one goroutine, so one transaction per event is cheap, and
// there is no cgo, no server and nothing to administer. Each open alert is
// one key in bucket "alerts", each closed id one key in "closed", each
// command answer one key in "results"; the paging history is one key in
// bucket "meta". Closed ids (kept a day) and answers (kept an hour) grow
// with the store's traffic, so Save writes only the entries that changed
// since the last commit: it keeps a copy of what is on disk. (Stores
// written before kept both maps as one key each in "meta"; Load reads
// them and the next Save moves them.)
type Store struct {
	db   *bolt.DB
	path string
	once sync.Once
	err  error

	// What the last commit left on disk; only the goroutine calling
	// Load and Save touches them.
	closed  map[string]time.Time
	results map[string]StoredResult
}

var (
	bucketAlerts = []byte("alerts")
	bucketMeta   = []byte("meta")
	bucketClosed = []byte("closed")
	bucketResult = []byte("results")
	keyClosed    = []byte("closed")
	keyResults   = []byte("results")
	keyLastPaged = []byte("last_paged")
)

// OpenStore opens (creating if needed) the store in dir. Only one bridge
// may hold it; a second one fails after a second.
func OpenStore(dir string) (*Store, error) {
	db, err := boltdb.Open(dir, "bridge.db", "another bridge", time.Second, bucketAlerts, bucketMeta, bucketClosed, bucketResult)
	if err != nil {
		return nil, fmt.Errorf("attendant: %w", err)
	}
	path := filepath.Join(dir, "bridge.db")
	s := &Store{db: db, path: path}
	if _, err := s.Load(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Load reads the saved state (empty on a new store).
func (s *Store) Load() (State, error) {
	st := State{}
	legacy := false
	err := s.db.View(func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketAlerts).ForEach(func(k, v []byte) error {
			var a AlertState
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("alert %s: %w", k, err)
			}
			st.Alerts = append(st.Alerts, a)
			return nil
		})
		if err != nil {
			return err
		}
		meta := tx.Bucket(bucketMeta)
		legacy = meta.Get(keyClosed) != nil || meta.Get(keyResults) != nil
		for key, v := range map[string]any{string(keyClosed): &st.Closed, string(keyResults): &st.Results, string(keyLastPaged): &st.LastPaged} {
			if b := meta.Get([]byte(key)); b != nil {
				if err := json.Unmarshal(b, v); err != nil {
					return fmt.Errorf("%s: %w", key, err)
				}
			}
		}
		if st.Closed == nil {
			st.Closed = map[string]time.Time{}
		}
		if st.Results == nil {
			st.Results = map[string]StoredResult{}
		}
		err = tx.Bucket(bucketClosed).ForEach(func(k, v []byte) error {
			var t time.Time
			if err := t.UnmarshalText(v); err != nil {
				return fmt.Errorf("closed %s: %w", k, err)
			}
			st.Closed[string(k)] = t
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketResult).ForEach(func(k, v []byte) error {
			var r StoredResult
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("result %s: %w", k, err)
			}
			st.Results[string(k)] = r
			return nil
		})
	})
	if err != nil {
		return State{}, fmt.Errorf("attendant: load %s: %w", s.path, err)
	}
	s.closed, s.results = maps.Clone(st.Closed), maps.Clone(st.Results)
	if legacy {
		// The old layout's entries are not in the buckets yet: the next
		// Save writes them all.
		s.closed, s.results = map[string]time.Time{}, map[string]StoredResult{}
	}
	return st, nil
}

// Save replaces the saved state with st in one synced transaction.
func (s *Store) Save(st State) error {
	// The copy of what is on disk changes only once the commit succeeded.
	var after []func()
	err := s.db.Update(func(tx *bolt.Tx) error {
		alerts := tx.Bucket(bucketAlerts)
		keep := map[string]bool{}
		for _, a := range st.Alerts {
			b, err := json.Marshal(a)
			if err != nil {
				return err
			}
			keep[a.Alert.ID] = true
			if err := alerts.Put([]byte(a.Alert.ID), b); err != nil {
				return err
			}
		}
		var stale [][]byte
		err := alerts.ForEach(func(k, _ []byte) error {
			if !keep[string(k)] {
				stale = append(stale, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range stale {
			if err := alerts.Delete(k); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		b, err := json.Marshal(st.LastPaged)
		if err != nil {
			return err
		}
		if err := meta.Put(keyLastPaged, b); err != nil {
			return err
		}
		for _, k := range [][]byte{keyClosed, keyResults} { // the old layout
			if err := meta.Delete(k); err != nil {
				return err
			}
		}
		f, err := writeDiff(tx.Bucket(bucketClosed), s.closed, st.Closed, func(t time.Time) ([]byte, error) { return t.MarshalText() })
		if err != nil {
			return err
		}
		g, err := writeDiff(tx.Bucket(bucketResult), s.results, st.Results, func(r StoredResult) ([]byte, error) { return json.Marshal(r) })
		after = []func(){f, g}
		return err
	})
	if err != nil {
		return fmt.Errorf("attendant: save %s: %w", s.path, err)
	}
	for _, f := range after {
		f()
	}
	return nil
}

// writeDiff writes to bucket the entries of want that differ from have
// (what is on disk) and deletes those no longer wanted. The returned
// function brings have up to date; call it once the transaction is
// committed.
func writeDiff[V comparable](bucket *bolt.Bucket, have, want map[string]V, enc func(V) ([]byte, error)) (func(), error) {
	var put, del []string
	for k, v := range want {
		if old, ok := have[k]; ok && old == v {
			continue
		}
		b, err := enc(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		if err := bucket.Put([]byte(k), b); err != nil {
			return nil, err
		}
		put = append(put, k)
	}
	for k := range have {
		if _, ok := want[k]; !ok {
			if err := bucket.Delete([]byte(k)); err != nil {
				return nil, err
			}
			del = append(del, k)
		}
	}
	return func() {
		for _, k := range put {
			have[k] = want[k]
		}
		for _, k := range del {
			delete(have, k)
		}
	}, nil
}

// Close closes the store. Safe to call twice.
func (s *Store) Close() error {
	s.once.Do(func() { s.err = s.db.Close() })
	return s.err
}
