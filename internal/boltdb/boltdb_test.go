package boltdb

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/sco-project/sco/internal/boltdb/boltdbtest"
)

var buckets = [][]byte{[]byte("a"), []byte("b")}

// newFile writes a small database (50 values in bucket a) to dir/x.db.
func newFile(t *testing.T, dir string) {
	t.Helper()
	db, err := Open(dir, "x.db", "another x", 0, buckets...)
	require.NoError(t, err)
	for i := range 50 {
		require.NoError(t, db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("a")).Put(fmt.Appendf(nil, "k%03d", i), bytes.Repeat([]byte{byte(i)}, 300))
		}))
	}
	require.NoError(t, db.Close())
}

// Each of these made bbolt panic (or fault) in Open or on the first
// read: a damaged file is one clear error that names it and says what to
// do, and the lock is let go.
func TestDamagedFileIsAClearError(t *testing.T) {
	for _, damage := range boltdbtest.All {
		t.Run(string(damage), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "x.db")
			newFile(t, dir)
			require.NoError(t, boltdbtest.Apply(path, damage))
			_, err := OpenWith(dir, "x.db", &Opts{Owner: "another x", Buckets: buckets, Lost: "the x"})
			require.ErrorIs(t, err, ErrDamaged)
			msg := err.Error()
			require.True(t, strings.HasPrefix(msg, path+" is damaged ("), msg)
			require.Contains(t, msg, "move it aside (mv "+path+" "+path+".damaged) and start again; that forgets the x")
			require.NotContains(t, msg, "\n")

			// Moved aside, a new file opens: the failed open let go of
			// its lock.
			require.NoError(t, os.Rename(path, path+".damaged"))
			db, err := OpenWith(dir, "x.db", &Opts{Buckets: buckets, Timeout: 1})
			require.NoError(t, err)
			require.NoError(t, db.Close())
		})
	}
}

// A 0-byte file (the disk filled up as it was created) starts afresh,
// and says so.
func TestEmptyFileStartsAfreshWithALogLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.db")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	var logs bytes.Buffer
	db, err := OpenWith(dir, "x.db", &Opts{Buckets: buckets, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	defer db.Close()
	require.Equal(t, 1, strings.Count(logs.String(), "\n"), logs.String())
	require.Contains(t, logs.String(), "empty (0 bytes): starting afresh")
	require.Contains(t, logs.String(), path)
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("a")) == nil || tx.Bucket([]byte("b")) == nil {
			return errors.New("buckets missing")
		}
		return nil
	}))
}

func TestLockedAndHealthy(t *testing.T) {
	dir := t.TempDir()
	newFile(t, dir)
	db, err := Open(dir, "x.db", "another x", 0, buckets...)
	require.NoError(t, err)
	defer db.Close()
	_, err = Open(dir, "x.db", "another x", 50e6, buckets...)
	require.EqualError(t, err, filepath.Join(dir, "x.db")+" is locked by another process (is another x already running on this data_dir?)")
	require.NotErrorIs(t, err, ErrDamaged)
}

// A panic inside a transaction is an error, and the transaction is
// rolled back: the next one runs.
func TestUpdateAndViewReturnPanicsAsErrors(t *testing.T) {
	dir := t.TempDir()
	newFile(t, dir)
	db, err := Open(dir, "x.db", "another x", 0, buckets...)
	require.NoError(t, err)
	defer db.Close()
	err = Update(db, func(tx *bolt.Tx) error {
		require.NoError(t, tx.Bucket([]byte("b")).Put([]byte("k"), []byte("v")))
		panic("page 7: assertion failed")
	})
	require.ErrorIs(t, err, ErrDamaged)
	require.ErrorContains(t, err, "assertion failed")
	require.ErrorIs(t, View(db, func(*bolt.Tx) error { panic("slice bounds out of range") }), ErrDamaged)
	require.NoError(t, View(db, func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("b")).Get([]byte("k")) != nil {
			return errors.New("the panicking update was kept")
		}
		return nil
	}))
}
