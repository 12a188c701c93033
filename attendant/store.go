package attendant

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Store keeps the dispatcher's state in data_dir/bridge.db so that open
// alerts, claims, pending resolutions, closed ids and command answers
// survive a restart.
//
// It uses bbolt: a single-file, pure-Go, crash-safe B+tree that fsyncs on
// every commit. The bridge's state is small (the open alerts of one store)
// and written by one goroutine, so one transaction per event is cheap, and
// there is no cgo, no server and nothing to administer. Each open alert is
// one key in bucket "alerts"; the closed ids, command answers and paging
// history are one key each in bucket "meta".
type Store struct {
	db   *bolt.DB
	path string
	once sync.Once
	err  error
}

var (
	bucketAlerts = []byte("alerts")
	bucketMeta   = []byte("meta")
	keyClosed    = []byte("closed")
	keyResults   = []byte("results")
	keyLastPaged = []byte("last_paged")
)

// OpenStore opens (creating if needed) the store in dir. Only one bridge
// may hold it; a second one fails after a second.
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("attendant: data_dir: %w", err)
	}
	path := filepath.Join(dir, "bridge.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("attendant: %s is locked (is another bridge running on this data_dir?)", path)
		}
		return nil, fmt.Errorf("attendant: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketAlerts); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(bucketMeta)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("attendant: init %s: %w", path, err)
	}
	return &Store{db: db, path: path}, nil
}

// Load reads the saved state (empty on a new store).
func (s *Store) Load() (State, error) {
	st := State{}
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
		for key, v := range map[string]any{string(keyClosed): &st.Closed, string(keyResults): &st.Results, string(keyLastPaged): &st.LastPaged} {
			if b := meta.Get([]byte(key)); b != nil {
				if err := json.Unmarshal(b, v); err != nil {
					return fmt.Errorf("%s: %w", key, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return State{}, fmt.Errorf("attendant: load %s: %w", s.path, err)
	}
	return st, nil
}

// Save replaces the saved state with st in one synced transaction.
func (s *Store) Save(st State) error {
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
		for key, v := range map[string]any{string(keyClosed): st.Closed, string(keyResults): st.Results, string(keyLastPaged): st.LastPaged} {
			b, err := json.Marshal(v)
			if err != nil {
				return err
			}
			if err := meta.Put([]byte(key), b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("attendant: save %s: %w", s.path, err)
	}
	return nil
}

// Close closes the store. Safe to call twice.
func (s *Store) Close() error {
	s.once.Do(func() { s.err = s.db.Close() })
	return s.err
}
