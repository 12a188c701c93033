package bridge

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/internal/boltdb"
)

// Store keeps the dispatcher's state in data_dir/bridge.db so that open
// alerts, claims, pending resolutions, closed ids and command answers
// survive a restart.
//
// It uses bbolt: a single-file, pure-Go, crash-safe B+tree that fsyncs on
// every commit. The bridge's state is small (the open alerts of one store)
// and written by one goroutine, so one transaction per batch of events is
// cheap, and there is no cgo, no server and nothing to administer. Each
// open alert is one key in bucket "alerts", each closed id one key in
// "closed" (lane/id), each command answer one key in "results"; the
// paging history, the pending lane commands and the ids with a retained
// profile are one key each in bucket "meta". Closed ids (kept a day) and answers (kept
// an hour) grow with the store's traffic, so a save (Apply) writes only
// those that changed (attendant.Dispatcher.Changes). Stores written before kept
// both as one key each in "meta": OpenStore moves them. The history (the
// intervention records and the lanes' checkouts, for the store's report)
// is keyed by time in buckets of its own (history.go), written by the
// save that closes each alert or receives each checkout.
type Store struct {
	db   *bolt.DB
	path string
	once sync.Once
	err  error
}

var (
	bucketAlerts = []byte("alerts")
	bucketMeta   = []byte("meta")
	bucketClosed = []byte("closed")
	bucketResult = []byte("results")
	keyClosed    = []byte("closed")
	keyResults   = []byte("results")
	keyLastPaged = []byte("last_paged")
	keyProfiled  = []byte("profiled")
	keyLaneOps   = []byte("lane_ops")
)

// OpenStore opens (creating if needed) the store in dir. Only one bridge
// may hold it; a second one fails after a second.
func OpenStore(dir string) (*Store, error) {
	db, err := boltdb.Open(dir, "bridge.db", "another bridge", time.Second, bucketAlerts, bucketMeta, bucketClosed, bucketResult, bucketInterventions, bucketCheckouts, bucketSessions)
	if err != nil {
		return nil, fmt.Errorf("bridge: %w", err)
	}
	path := filepath.Join(dir, "bridge.db")
	s := &Store{db: db, path: path}
	if err := s.moveLegacy(); err != nil {
		db.Close()
		return nil, err
	}
	if _, err := s.Load(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// moveLegacy moves closed ids and answers kept as one JSON key each in
// "meta" (the old layout) to their buckets.
func (s *Store) moveLegacy() error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		var c attendant.Changes
		for key, v := range map[string]any{string(keyClosed): &c.Closed, string(keyResults): &c.Results} {
			b := meta.Get([]byte(key))
			if b == nil {
				continue
			}
			if err := json.Unmarshal(b, v); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			if err := meta.Delete([]byte(key)); err != nil {
				return err
			}
		}
		return putChanged(tx, c)
	})
	if err != nil {
		return fmt.Errorf("bridge: move the old layout of %s: %w", s.path, err)
	}
	return nil
}

// Load reads the saved state (empty on a new store).
func (s *Store) Load() (attendant.State, error) {
	st := attendant.State{Closed: map[string]time.Time{}, Results: map[string]attendant.StoredResult{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketAlerts).ForEach(func(k, v []byte) error {
			var a attendant.AlertState
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("alert %s: %w", k, err)
			}
			st.Alerts = append(st.Alerts, a)
			return nil
		})
		if err != nil {
			return err
		}
		if b := tx.Bucket(bucketMeta).Get(keyLastPaged); b != nil {
			if err := json.Unmarshal(b, &st.LastPaged); err != nil {
				return fmt.Errorf("%s: %w", keyLastPaged, err)
			}
		}
		if b := tx.Bucket(bucketMeta).Get(keyLaneOps); b != nil {
			if err := json.Unmarshal(b, &st.LaneOps); err != nil {
				return fmt.Errorf("%s: %w", keyLaneOps, err)
			}
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
			var r attendant.StoredResult
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("result %s: %w", k, err)
			}
			st.Results[string(k)] = r
			return nil
		})
	})
	if err != nil {
		return attendant.State{}, fmt.Errorf("bridge: load %s: %w", s.path, err)
	}
	return st, nil
}

// Apply saves c in one synced transaction: the open alerts are exactly
// c.Alerts afterwards, the paging history c.LastPaged, and each closed id
// and answer in c is written (or deleted, when zero), and c's
// intervention records and checkouts join the history (a checkout of a
// lane and session kept already is dropped). On error nothing
// was written: apply the same changes again, followed by later ones
// (the bridge does).
func (s *Store) Apply(c attendant.Changes) error {
	_, err := s.apply(c)
	return err
}

// apply is Apply, and returns the checkouts that were not kept yet.
func (s *Store) apply(c attendant.Changes) ([]attendant.Checkout, error) {
	var fresh []attendant.Checkout
	err := s.db.Update(func(tx *bolt.Tx) error {
		alerts := tx.Bucket(bucketAlerts)
		keep := make(map[string]bool, len(c.Alerts))
		for _, a := range c.Alerts {
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
		b, err := json.Marshal(c.LastPaged)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketMeta).Put(keyLastPaged, b); err != nil {
			return err
		}
		if b, err = json.Marshal(c.LaneOps); err != nil {
			return err
		}
		if err := tx.Bucket(bucketMeta).Put(keyLaneOps, b); err != nil {
			return err
		}
		if err := putInterventions(tx, c.Interventions); err != nil {
			return err
		}
		if fresh, err = putCheckouts(tx, c.Checkouts); err != nil {
			return err
		}
		return putChanged(tx, c)
	})
	if err != nil {
		return nil, fmt.Errorf("bridge: save %s: %w", s.path, err)
	}
	return fresh, nil
}

// putChanged writes c's closed ids and answers, deleting the zero ones.
func putChanged(tx *bolt.Tx, c attendant.Changes) error {
	closed := tx.Bucket(bucketClosed)
	for id, t := range c.Closed {
		if t.IsZero() {
			if err := closed.Delete([]byte(id)); err != nil {
				return err
			}
			continue
		}
		b, err := t.MarshalText()
		if err != nil {
			return fmt.Errorf("closed %s: %w", id, err)
		}
		if err := closed.Put([]byte(id), b); err != nil {
			return err
		}
	}
	results := tx.Bucket(bucketResult)
	for k, r := range c.Results {
		if r.At.IsZero() {
			if err := results.Delete([]byte(k)); err != nil {
				return err
			}
			continue
		}
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("result %s: %w", k, err)
		}
		if err := results.Put([]byte(k), b); err != nil {
			return err
		}
	}
	return nil
}

// Profiled is the list of attendant ids the bridge last published a
// retained profile for (SetProfiled), so that it can clear the profile
// of one who has left the roster since.
func (s *Store) Profiled() ([]string, error) {
	var ids []string
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta).Get(keyProfiled)
		if b == nil {
			return nil
		}
		return json.Unmarshal(b, &ids)
	})
	if err != nil {
		return nil, fmt.Errorf("bridge: %s: %s: %w", s.path, keyProfiled, err)
	}
	return ids, nil
}

// SetProfiled saves the list of attendant ids with a retained profile.
func (s *Store) SetProfiled(ids []string) error {
	b, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	err = s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyProfiled, b) })
	if err != nil {
		return fmt.Errorf("bridge: save %s: %w", s.path, err)
	}
	return nil
}

// Close closes the store. Safe to call twice.
func (s *Store) Close() error {
	s.once.Do(func() { s.err = s.db.Close() })
	return s.err
}
