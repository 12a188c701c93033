package outbox

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/sco-project/sco/internal/boltdb"
)

// Journal is the lane's crash-safe local store in data_dir/lane.db: the
// session snapshot and the MQTT outbox. Every write is one bbolt
// transaction, synced to disk before it returns, so what was acknowledged
// to the shopper or handed to the broker survives SIGKILL and power loss.
//
// bbolt was chosen because it is a single-file, pure-Go, crash-safe B+tree
// (copy-on-write pages, fsync on commit): no cgo, no server, no
// compaction to run on a lane PC.
type Journal struct {
	db *bolt.DB

	// acked holds delivered outbox entries not yet deleted on disk. An
	// ack needs no fsync of its own: the next Commit (synced anyway)
	// deletes them, as do Flush and Close, so a lane's disk sees one sync
	// per change instead of one per change and one per PUBACK. A crash
	// before then re-sends them: delivery is at least once, and every
	// receiver deduplicates by id.
	//
	// mu serialises the writers (Commit, Flush); amu guards acked alone,
	// so that Pending and Ack never wait for a commit's fsync.
	mu    sync.Mutex
	amu   sync.Mutex
	acked map[uint64]struct{}
}

// maxDeferredAcks bounds the acks held in memory before a Flush.
const maxDeferredAcks = 256

var (
	bucketSession = []byte("session")
	bucketOutbox  = []byte("outbox")
	keySnapshot   = []byte("snapshot")
)

// OpenJournal opens (creating if needed) the journal in dir. Only one
// process may hold it: a second kioskd on the same data_dir fails here
// after timeout.
func OpenJournal(dir string, timeout time.Duration) (*Journal, error) {
	db, err := boltdb.Open(dir, "lane.db", "another kioskd", timeout, bucketSession, bucketOutbox)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return &Journal{db: db}, nil
}

// Close closes the journal. Safe to call twice.
func (j *Journal) Close() error {
	if j == nil || j.db == nil {
		return nil
	}
	ferr := j.Flush()
	if errors.Is(ferr, berrors.ErrDatabaseNotOpen) {
		ferr = nil
	}
	err := j.db.Close()
	if err == nil {
		err = ferr
	}
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return nil
	}
	return err
}

// LoadSnapshot decodes the stored snapshot into v. It returns false when
// there is none (a new lane).
func (j *Journal) LoadSnapshot(v any) (bool, error) {
	var raw []byte
	err := j.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketSession).Get(keySnapshot); b != nil {
			raw = append([]byte(nil), b...)
		}
		return nil
	})
	if err != nil || raw == nil {
		return false, err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("journal: decode snapshot: %w", err)
	}
	return true, nil
}

// Msg is one MQTT message waiting in the outbox.
type Msg struct {
	Seq     uint64 `json:"-"`
	Topic   string `json:"topic"`
	Payload []byte `json:"payload"`
	Retain  bool   `json:"retain"`
}

// dropRetained deletes waiting retained messages on the topics msgs
// retain anew.
func dropRetained(tx *bolt.Tx, msgs []Msg) error {
	topics := map[string]bool{}
	for _, m := range msgs {
		if m.Retain {
			topics[m.Topic] = true
		}
	}
	if len(topics) == 0 {
		return nil
	}
	var stale [][]byte
	c := tx.Bucket(bucketOutbox).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var m Msg
		if err := json.Unmarshal(v, &m); err != nil {
			continue // Pending reports it
		}
		if m.Retain && topics[m.Topic] {
			stale = append(stale, append([]byte(nil), k...))
		}
	}
	for _, k := range stale {
		if err := tx.Bucket(bucketOutbox).Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func putOutbox(tx *bolt.Tx, msgs []Msg) error {
	b := tx.Bucket(bucketOutbox)
	for i := range msgs {
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		msgs[i].Seq = seq
		v, err := json.Marshal(msgs[i])
		if err != nil {
			return err
		}
		if err := b.Put(seqKey(seq), v); err != nil {
			return err
		}
	}
	return nil
}

// Pending returns the outbox in order, without the entries already
// acknowledged.
// It does not wait for a Commit in progress: it returns the outbox as the
// last finished one left it.
func (j *Journal) Pending() ([]Msg, error) {
	var out []Msg
	// amu is held from before the read transaction begins: a Commit
	// forgets the acks it deleted only after it finished, so this read
	// either sees them deleted or still knows them as acknowledged, and
	// never returns a delivered message again.
	j.amu.Lock()
	defer j.amu.Unlock()
	err := j.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOutbox).ForEach(func(k, v []byte) error {
			seq := binary.BigEndian.Uint64(k)
			if _, done := j.acked[seq]; done {
				return nil
			}
			var m Msg
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("outbox entry %d: %w", seq, err)
			}
			m.Seq = seq
			out = append(out, m)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("journal: outbox: %w", err)
	}
	return out, nil
}

// Ack marks a message delivered. It is removed from the outbox on disk
// by the next Commit or Flush (see Journal.acked); until then Pending no
// longer returns it.
func (j *Journal) Ack(seq uint64) error {
	j.amu.Lock()
	if j.acked == nil {
		j.acked = map[uint64]struct{}{}
	}
	j.acked[seq] = struct{}{}
	full := len(j.acked) >= maxDeferredAcks
	j.amu.Unlock()
	if full {
		return j.Flush()
	}
	return nil
}

// Flush deletes the acknowledged messages from the outbox on disk, synced.
func (j *Journal) Flush() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	acked := j.ackedNow()
	if len(acked) == 0 {
		return nil
	}
	err := j.db.Update(func(tx *bolt.Tx) error { return deleteAcked(tx, acked) })
	if err != nil {
		return fmt.Errorf("journal: flush acks: %w", err)
	}
	j.forgetAcked(acked)
	return nil
}

// ackedNow is a copy of the acknowledged sequence numbers.
func (j *Journal) ackedNow() []uint64 {
	j.amu.Lock()
	defer j.amu.Unlock()
	out := make([]uint64, 0, len(j.acked))
	for seq := range j.acked {
		out = append(out, seq)
	}
	return out
}

// forgetAcked drops seqs, deleted on disk, from acked (acks that came
// during the write stay for the next one).
func (j *Journal) forgetAcked(seqs []uint64) {
	j.amu.Lock()
	defer j.amu.Unlock()
	for _, seq := range seqs {
		delete(j.acked, seq)
	}
}

// deleteAcked deletes the acknowledged entries seqs in tx.
func deleteAcked(tx *bolt.Tx, seqs []uint64) error {
	b := tx.Bucket(bucketOutbox)
	for _, seq := range seqs {
		if err := b.Delete(seqKey(seq)); err != nil {
			return err
		}
	}
	return nil
}

func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

// Commit stores snapshot (when non-nil) and appends msgs to the outbox in
// one synced transaction, so a crash leaves either both or neither: the
// session never holds an alert whose message was not queued. It returns
// msgs with their sequence numbers set.
//
// A retained message replaces the retained messages still waiting for
// the same topic, as the broker would: after a long outage the lane sends
// its latest state, not every state it went through. Other messages keep
// their order.
func (j *Journal) Commit(snapshot any, msgs ...Msg) ([]Msg, error) {
	var snap []byte
	if snapshot != nil {
		b, err := json.Marshal(snapshot)
		if err != nil {
			return nil, fmt.Errorf("journal: encode snapshot: %w", err)
		}
		snap = b
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	acked := j.ackedNow()
	err := j.db.Update(func(tx *bolt.Tx) error {
		if snap != nil {
			if err := tx.Bucket(bucketSession).Put(keySnapshot, snap); err != nil {
				return err
			}
		}
		if err := deleteAcked(tx, acked); err != nil {
			return err
		}
		if err := dropRetained(tx, msgs); err != nil {
			return err
		}
		return putOutbox(tx, msgs)
	})
	if err != nil {
		return nil, fmt.Errorf("journal: commit: %w", err)
	}
	j.forgetAcked(acked)
	return msgs, nil
}

// PendingCount is the number of messages waiting in the outbox.
func (j *Journal) PendingCount() (int, error) {
	p, err := j.Pending()
	return len(p), err
}
