// Package boltdb opens the one-file bbolt stores the lane (data_dir/lane.db)
// and the bridge (data_dir/bridge.db) keep their durable state in: the
// directory is created, the file is locked against a second process, its
// pages are checked, and the buckets exist, with errors that tell store IT
// what is wrong and what to do.
//
// bbolt is a single-file, pure-Go, crash-safe B+tree that syncs on every
// commit: no cgo, no server, nothing to compact on a lane PC. It trusts its
// file: a damaged page (a bad disk, a file copied while it was written)
// makes it panic (invalid freelist page, slice bounds out of range, page
// assertion failed) rather than return an error. Open recovers those
// panics and runs bbolt's consistency check (Tx.Check) before anything
// reads the file, so a damaged file is one clear error naming it and
// saying to move it aside (ErrDamaged), never a panic and, under systemd,
// never a crash loop. View and Update do the same for later reads and
// writes.
package boltdb

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// ErrDamaged marks a file that bbolt cannot read as a database: its pages
// are inconsistent or it is not a bbolt file. The error that wraps it
// names the file and says what to do.
var ErrDamaged = errors.New("damaged")

// Opts configures OpenWith. The zero value waits 2s for another
// process's lock, creates no bucket, logs to slog.Default() and names
// neither the owner nor what is lost in its errors.
type Opts struct {
	// Owner names what holds the lock in the error when another process
	// does ("another kioskd").
	Owner string
	// Timeout bounds the wait for another process's lock; 0 means 2s.
	Timeout time.Duration
	// Buckets are created when missing.
	Buckets [][]byte
	// Lost says, in the error for a damaged file, what moving it aside
	// forgets ("the open session and the messages not yet sent").
	Lost string
	// Logger gets the line that says an empty (0-byte) file starts
	// afresh; nil means slog.Default().
	Logger *slog.Logger
}

// Open opens (creating if needed) dir/file with the given buckets. owner
// names what holds the lock in the error when another process does ("a
// kioskd", "a bridge"); a second opener fails after timeout. It is
// OpenWith with those options.
func Open(dir, file, owner string, timeout time.Duration, buckets ...[]byte) (*bolt.DB, error) {
	return OpenWith(dir, file, &Opts{Owner: owner, Timeout: timeout, Buckets: buckets})
}

// OpenWith opens (creating if needed) dir/file. A file of 0 bytes (a disk
// that filled up as it was created) starts afresh, with a log line. A
// damaged file is an error wrapping ErrDamaged that names the file and
// says to move it aside; bbolt's panics on such a file are recovered.
func OpenWith(dir, file string, o *Opts) (*bolt.DB, error) {
	var oo Opts
	if o != nil {
		oo = *o
	}
	if oo.Timeout <= 0 {
		oo.Timeout = 2 * time.Second
	}
	if oo.Owner == "" {
		oo.Owner = "another process"
	}
	log := oo.Logger
	if log == nil {
		log = slog.Default()
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	path := filepath.Join(dir, file)
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Size() == 0 {
		log.Warn("database file is empty (0 bytes): starting afresh", "file", path)
	}
	db, err := openBolt(path, oo.Timeout)
	if err != nil {
		switch {
		case errors.Is(err, berrors.ErrTimeout):
			return nil, fmt.Errorf("%s is locked by another process (is %s already running on this data_dir?)", path, oo.Owner)
		case errors.Is(err, ErrDamaged):
			return nil, Damaged(path, err, oo.Lost)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := check(db); err != nil {
		db.Close()
		return nil, Damaged(path, err, oo.Lost)
	}
	if err := createBuckets(db, oo.Buckets); err != nil {
		db.Close()
		if errors.Is(err, ErrDamaged) {
			return nil, Damaged(path, err, oo.Lost)
		}
		return nil, fmt.Errorf("init %s: %w", path, err)
	}
	return db, nil
}

// Damaged is the error for a damaged file at path (err says what is
// wrong; lost what moving it aside forgets): it wraps ErrDamaged and says
// what to do. Callers that find a record they cannot decode use it too.
func Damaged(path string, err error, lost string) error {
	if lost == "" {
		lost = "what it held"
	}
	cause := strings.TrimPrefix(err.Error(), ErrDamaged.Error()+": ")
	return fmt.Errorf("%s is %w (%s): stop, move it aside (mv %s %s.damaged) and start again; that forgets %s",
		path, ErrDamaged, cause, path, path, lost)
}

// openBolt is bolt.Open with its panics turned into ErrDamaged. A panic
// can come after the file was opened and locked: the file is closed
// again, so the lock does not outlive the failed open.
func openBolt(path string, timeout time.Duration) (db *bolt.DB, err error) {
	var f *os.File
	defer func() {
		if r := recover(); r != nil {
			if f != nil {
				f.Close()
			}
			db, err = nil, fmt.Errorf("%w: %v", ErrDamaged, r)
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	db, err = bolt.Open(path, 0o600, &bolt.Options{
		Timeout: timeout,
		OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
			file, err := os.OpenFile(name, flag, perm)
			f = file
			return file, err
		},
	})
	if err != nil && notBolt(err) {
		err = fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	return db, err
}

// notBolt says whether bolt.Open's err means the file is not a readable
// bbolt database (as opposed to a lock, a permission or a full disk).
func notBolt(err error) bool {
	return errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrChecksum) ||
		errors.Is(err, berrors.ErrVersionMismatch) || errors.Is(err, berrors.ErrInvalidMapping) ||
		strings.Contains(err.Error(), "file size too small")
}

// maxCheckErrors bounds the consistency errors quoted in the message.
const maxCheckErrors = 3

// check reads every key and value of every bucket, then runs bbolt's
// consistency check (Tx.Check). The walk comes first and runs on this
// goroutine, where a damaged page's panic (or a fault reading past the
// mapped file) is recovered: Tx.Check runs on a goroutine of its own,
// where a fault would end the process. Both are one pass over the tree,
// cheap for the lane's and the bridge's files.
func check(db *bolt.DB) error {
	err := View(db, func(tx *bolt.Tx) error {
		return tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
			walk(b)
			return nil
		})
	})
	if err != nil {
		return err
	}
	var errs []string
	n := 0
	err = View(db, func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			n++
			if len(errs) < maxCheckErrors {
				errs = append(errs, err.Error())
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	msg := strings.Join(errs, "; ")
	if n > len(errs) {
		msg += fmt.Sprintf("; and %d more", n-len(errs))
	}
	return fmt.Errorf("%w: %s", ErrDamaged, msg)
}

// sink keeps the walk's reads from being optimised away.
var sink atomic.Uint32

// walk reads every key and value under b, nested buckets included.
func walk(b *bolt.Bucket) {
	var x byte
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		for _, c := range k {
			x ^= c
		}
		if v == nil {
			if nb := b.Bucket(k); nb != nil {
				walk(nb)
			}
			continue
		}
		for _, c := range v {
			x ^= c
		}
	}
	sink.Add(uint32(x))
}

// createBuckets creates the buckets that are missing. A file that has
// them all is not written to, so a lane on a full or read-only disk still
// opens (and then reports that it cannot write).
func createBuckets(db *bolt.DB, buckets [][]byte) error {
	missing := false
	err := View(db, func(tx *bolt.Tx) error {
		for _, b := range buckets {
			if tx.Bucket(b) == nil {
				missing = true
			}
		}
		return nil
	})
	if err != nil || !missing {
		return err
	}
	return Update(db, func(tx *bolt.Tx) error {
		for _, b := range buckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
}

// View is db.View with bbolt's panics on a damaged page returned as an
// error wrapping ErrDamaged (the caller names the file).
func View(db *bolt.DB, fn func(*bolt.Tx) error) (err error) {
	defer recoverDamaged(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return db.View(fn)
}

// Update is db.Update with bbolt's panics on a damaged page returned as
// an error wrapping ErrDamaged; the transaction is rolled back.
func Update(db *bolt.DB, fn func(*bolt.Tx) error) (err error) {
	defer recoverDamaged(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return db.Update(fn)
}

func recoverDamaged(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %v", ErrDamaged, r)
	}
}
