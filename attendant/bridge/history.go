package bridge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sco-project/sco/attendant"
)

// The history: the intervention records of closed alerts (bucket
// "interventions") and the lanes' checkouts ("checkouts"), kept for the
// config's history, keyed by the time the alert closed or the session
// finished, then lane and alert id or session, so that a time range is
// a range of keys and pruning deletes from the front. "sessions" maps
// lane/session to its checkout's key: a checkout delivered twice is kept
// once.
var (
	bucketInterventions = []byte("interventions")
	bucketCheckouts     = []byte("checkouts")
	bucketSessions      = []byte("sessions")
)

// keyTime is the fixed-width UTC time at the front of a history key: it
// sorts as the time does.
const keyTime = "20060102T150405.000000000Z"

// historyKey is the key of a record at t: time/lane/id.
func historyKey(t time.Time, lane, id string) []byte {
	return []byte(t.UTC().Format(keyTime) + "/" + lane + "/" + id)
}

// History is what the bridge keeps for the store's report.
type History struct {
	// Interventions are the records of the alerts closed in the range,
	// in the order they closed.
	Interventions []attendant.Intervention `json:"interventions"`
	// Checkouts are the sessions finished in the range, in the order
	// they finished, one per lane and session.
	Checkouts []attendant.Checkout `json:"checkouts"`
}

// putInterventions writes the records of closed alerts.
func putInterventions(tx *bolt.Tx, ins []attendant.Intervention) error {
	b := tx.Bucket(bucketInterventions)
	for _, in := range ins {
		v, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("intervention %s: %w", in.Alert, err)
		}
		if err := b.Put(historyKey(in.Closed, in.Lane, in.Alert), v); err != nil {
			return err
		}
	}
	return nil
}

// putCheckouts writes the checkouts not kept yet (by lane and session),
// and returns them.
func putCheckouts(tx *bolt.Tx, cs []attendant.Checkout) ([]attendant.Checkout, error) {
	b, idx := tx.Bucket(bucketCheckouts), tx.Bucket(bucketSessions)
	var fresh []attendant.Checkout
	for _, c := range cs {
		session := []byte(c.Lane + "/" + c.Session)
		if idx.Get(session) != nil {
			continue
		}
		v, err := json.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("checkout %s: %w", session, err)
		}
		k := historyKey(c.Finished.Time, c.Lane, c.Session)
		if err := b.Put(k, v); err != nil {
			return nil, err
		}
		if err := idx.Put(session, k); err != nil {
			return nil, err
		}
		fresh = append(fresh, c)
	}
	return fresh, nil
}

// Prune forgets the history before t, and returns how many records it
// deleted.
func (s *Store) Prune(t time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		if n, err = pruneBucket(tx.Bucket(bucketInterventions), t, nil); err != nil {
			return err
		}
		idx := tx.Bucket(bucketSessions)
		m, err := pruneBucket(tx.Bucket(bucketCheckouts), t, func(k []byte) error {
			// time/lane/session: the session's entry goes with it.
			return idx.Delete(k[len(keyTime)+1:])
		})
		n += m
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("bridge: prune the history of %s: %w", s.path, err)
	}
	return n, nil
}

// pruneBucket deletes a history bucket's keys before t, calling also
// (when set) for each.
func pruneBucket(b *bolt.Bucket, t time.Time, also func(k []byte) error) (int, error) {
	end := []byte(t.UTC().Format(keyTime))
	var old [][]byte
	c := b.Cursor()
	for k, _ := c.First(); k != nil && bytes.Compare(k, end) < 0; k, _ = c.Next() {
		old = append(old, bytes.Clone(k))
	}
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
		if also != nil {
			if err := also(k); err != nil {
				return 0, err
			}
		}
	}
	return len(old), nil
}

// History reads the history from since on (all of it for a zero since).
func (s *Store) History(since time.Time) (History, error) {
	var h History
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		h, err = readHistory(tx, since)
		return err
	})
	if err != nil {
		return History{}, fmt.Errorf("bridge: read the history of %s: %w", s.path, err)
	}
	return h, nil
}

func readHistory(tx *bolt.Tx, since time.Time) (History, error) {
	h := History{Interventions: []attendant.Intervention{}, Checkouts: []attendant.Checkout{}}
	err := eachSince(tx.Bucket(bucketInterventions), since, func(k, v []byte) error {
		var in attendant.Intervention
		if err := json.Unmarshal(v, &in); err != nil {
			return fmt.Errorf("intervention %s: %w", k, err)
		}
		h.Interventions = append(h.Interventions, in)
		return nil
	})
	if err != nil {
		return h, err
	}
	err = eachSince(tx.Bucket(bucketCheckouts), since, func(k, v []byte) error {
		var c attendant.Checkout
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("checkout %s: %w", k, err)
		}
		h.Checkouts = append(h.Checkouts, c)
		return nil
	})
	return h, err
}

// eachSince calls f for each key of a history bucket from since on, in
// order. A bucket that does not exist (a store written before it) has
// nothing.
func eachSince(b *bolt.Bucket, since time.Time, f func(k, v []byte) error) error {
	if b == nil {
		return nil
	}
	c := b.Cursor()
	k, v := c.First()
	if !since.IsZero() {
		k, v = c.Seek([]byte(since.UTC().Format(keyTime)))
	}
	for ; k != nil; k, v = c.Next() {
		if err := f(k, v); err != nil {
			return err
		}
	}
	return nil
}
