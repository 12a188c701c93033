// Package boltdb opens the one-file bbolt stores the lane (data_dir/lane.db)
// and the bridge (data_dir/bridge.db) keep their durable state in: the
// directory is created, the file is locked against a second process, and
// the buckets exist, with errors that tell store IT what is wrong.
//
// bbolt is a single-file, pure-Go, crash-safe B+tree that syncs on every
// commit: no cgo, no server, nothing to compact on a lane PC.
package boltdb

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Open opens (creating if needed) dir/file with the given buckets. owner
// names what holds the lock in the error when another process does ("a
// kioskd", "a bridge"); a second opener fails after timeout.
func Open(dir, file, owner string, timeout time.Duration, buckets ...[]byte) (*bolt.DB, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	path := filepath.Join(dir, file)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("%s is locked by another process (is %s already running on this data_dir?)", path, owner)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range buckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("init %s: %w", path, err)
	}
	return db, nil
}
