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
// "interventions") kept for the config's history, keyed by the time the
// alert closed, then lane and alert id, so that a time range is a range
// of keys and pruning deletes from the front.
var bucketInterventions = []byte("interventions")

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

// Prune forgets the history before t, and returns how many records it
// deleted.
func (s *Store) Prune(t time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		n, err = pruneBucket(tx.Bucket(bucketInterventions), t)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("bridge: prune the history of %s: %w", s.path, err)
	}
	return n, nil
}

// pruneBucket deletes a history bucket's keys before t.
func pruneBucket(b *bolt.Bucket, t time.Time) (int, error) {
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
	h := History{Interventions: []attendant.Intervention{}}
	err := eachSince(tx.Bucket(bucketInterventions), since, func(k, v []byte) error {
		var in attendant.Intervention
		if err := json.Unmarshal(v, &in); err != nil {
			return fmt.Errorf("intervention %s: %w", k, err)
		}
		h.Interventions = append(h.Interventions, in)
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
