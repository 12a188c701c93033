package outbox

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sco-project/sco/internal/boltdb"
)

// The journal is the outbox's file, data_dir/lane.db: the session
// snapshot and the waiting messages, keyed by sequence number. Every
// write is one bbolt transaction, synced to disk before it returns, so
// what was shown to the shopper or handed to the broker survives SIGKILL
// and power loss.
//
// bbolt was chosen because it is a single-file, pure-Go, crash-safe B+tree
// (copy-on-write pages, fsync on commit): no cgo, no server, no
// compaction to run on a lane PC.

// lost is what moving a damaged lane.db aside forgets.
const lost = "the open session and the messages not yet sent to the broker"

var (
	bucketSession = []byte("session")
	bucketOutbox  = []byte("outbox")
	keySnapshot   = []byte("snapshot")
)

// openJournal opens (creating if needed) dir/lane.db. Only one process
// may hold it: a second kioskd on the same data_dir fails here after
// timeout. A damaged file is an error that says to move it aside
// (boltdb.ErrDamaged); an empty one starts afresh, logged on log.
func openJournal(dir string, timeout time.Duration, log *slog.Logger) (*bolt.DB, error) {
	db, err := boltdb.OpenWith(dir, "lane.db", &boltdb.Opts{
		Owner: "another kioskd", Timeout: timeout, Logger: log,
		Buckets: [][]byte{bucketSession, bucketOutbox},
		Lost:    lost,
	})
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return db, nil
}

// loadSnapshot decodes the stored snapshot into v; false when there is
// none.
func loadSnapshot(db *bolt.DB, v any) (bool, error) {
	var raw []byte
	err := boltdb.View(db, func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketSession).Get(keySnapshot); b != nil {
			raw = append([]byte(nil), b...)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("journal: %w", boltdb.Damaged(db.Path(), err, lost))
	}
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("journal: %w", boltdb.Damaged(db.Path(), fmt.Errorf("the session snapshot does not decode: %w", err), lost))
	}
	return true, nil
}

// loadQueue reads the waiting messages in order, the last sequence
// number given out, and the keys of entries that do not decode (bad
// lists them so they can be deleted; they are never sent).
func loadQueue(db *bolt.DB) (msgs []Msg, last uint64, bad []uint64, errs []error, err error) {
	err = boltdb.View(db, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox)
		last = b.Sequence()
		return b.ForEach(func(k, v []byte) error {
			seq := binary.BigEndian.Uint64(k)
			last = max(last, seq)
			var m Msg
			if err := json.Unmarshal(v, &m); err != nil {
				bad = append(bad, seq)
				errs = append(errs, fmt.Errorf("outbox entry %d: %w", seq, err))
				return nil
			}
			m.Seq = seq
			msgs = append(msgs, m)
			return nil
		})
	})
	if err != nil {
		return nil, 0, nil, nil, fmt.Errorf("journal: outbox: %w", err)
	}
	return msgs, last, bad, errs, nil
}

// write stores snap (when not nil), deletes the entries del and adds msgs
// (their Seq set) in one synced transaction.
func write(db *bolt.DB, snap []byte, del []uint64, msgs []Msg) error {
	return boltdb.Update(db, func(tx *bolt.Tx) error {
		if snap != nil {
			if err := tx.Bucket(bucketSession).Put(keySnapshot, snap); err != nil {
				return err
			}
		}
		b := tx.Bucket(bucketOutbox)
		for _, seq := range del {
			if err := b.Delete(seqKey(seq)); err != nil {
				return err
			}
		}
		for _, m := range msgs {
			v, err := json.Marshal(m)
			if err != nil {
				return err
			}
			if err := b.Put(seqKey(m.Seq), v); err != nil {
				return err
			}
		}
		if n := len(msgs); n > 0 && msgs[n-1].Seq > b.Sequence() {
			return b.SetSequence(msgs[n-1].Seq)
		}
		return nil
	})
}

func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}
