package outbox

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

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
	// bucketBad holds the outbox entries set aside because they cannot
	// be sent (they do not decode, or name no valid topic), as they were.
	bucketBad   = []byte("outbox_bad")
	keySnapshot = []byte("snapshot")
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
// number given out, and the entries that cannot be sent (bad: the key
// and why), which setAside moves out of the way.
func loadQueue(db *bolt.DB) (msgs []Msg, last uint64, bad []badEntry, err error) {
	err = boltdb.View(db, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox)
		last = b.Sequence()
		return b.ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				bad = append(bad, badEntry{key: slices.Clone(k), err: fmt.Errorf("outbox entry %x: key is not a sequence number", k)})
				return nil
			}
			seq := binary.BigEndian.Uint64(k)
			last = max(last, seq)
			var m Msg
			if err := json.Unmarshal(v, &m); err != nil {
				bad = append(bad, badEntry{key: slices.Clone(k), err: fmt.Errorf("outbox entry %d: %w", seq, err)})
				return nil
			}
			if err := checkTopic(m.Topic); err != nil {
				bad = append(bad, badEntry{key: slices.Clone(k), err: fmt.Errorf("outbox entry %d: %w", seq, err)})
				return nil
			}
			m.Seq = seq
			msgs = append(msgs, m)
			return nil
		})
	})
	if err != nil {
		return nil, 0, nil, fmt.Errorf("journal: %w", boltdb.Damaged(db.Path(), err, lost))
	}
	return msgs, last, bad, nil
}

// badEntry is an outbox entry that cannot be sent.
type badEntry struct {
	key []byte
	err error
}

// checkTopic says why topic cannot be published (MQTT 3.1.1: 1 to
// 65535 bytes of UTF-8, no wildcard, no NUL), or nil.
func checkTopic(topic string) error {
	switch {
	case topic == "":
		return errors.New("empty topic")
	case len(topic) > 65535:
		return fmt.Errorf("topic of %d bytes", len(topic))
	case !utf8.ValidString(topic):
		return fmt.Errorf("topic %q is not UTF-8", topic)
	case strings.ContainsAny(topic, "+#\x00"):
		return fmt.Errorf("topic %q has a wildcard or a NUL", topic)
	}
	return nil
}

// setAside moves the bad entries from the outbox to bucketBad, as they
// are, in one synced transaction: they are never sent, and never lost.
func setAside(db *bolt.DB, bad []badEntry) error {
	return boltdb.Update(db, func(tx *bolt.Tx) error {
		aside, err := tx.CreateBucketIfNotExists(bucketBad)
		if err != nil {
			return err
		}
		out := tx.Bucket(bucketOutbox)
		for _, e := range bad {
			if v := out.Get(e.key); v != nil {
				if err := aside.Put(e.key, slices.Clone(v)); err != nil {
					return err
				}
			}
			if err := out.Delete(e.key); err != nil {
				return err
			}
		}
		return nil
	})
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
