package outbox

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

func topics(msgs []Msg) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Topic+"="+string(m.Payload))
	}
	return out
}

func seqs(msgs []Msg) []uint64 {
	var out []uint64
	for _, m := range msgs {
		out = append(out, m.Seq)
	}
	return out
}

func TestSnapshotAndOutboxSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	o, err := Open(dir, nil)
	require.NoError(t, err)
	ok, err := o.LoadSnapshot(&struct{}{})
	require.NoError(t, err)
	require.False(t, ok, "new journal has no snapshot")

	require.NoError(t, o.Commit(map[string]int{"items": 3}, Msg{Topic: "a", Payload: []byte("1")}, Msg{Topic: "b", Payload: []byte("2"), Retain: true}))
	require.Equal(t, []uint64{1, 2}, seqs(o.Pending()))
	o.ack(1)

	// A second opener is refused while the first holds the lock.
	_, err = Open(dir, &Opts{LockTimeout: 50 * time.Millisecond})
	require.ErrorContains(t, err, "locked by another process")

	require.NoError(t, o.Close())
	require.NoError(t, o.Close(), "double close is a no-op")
	require.ErrorContains(t, o.Commit(nil, Msg{Topic: "late"}), "closed")

	o, err = Open(dir, nil)
	require.NoError(t, err)
	defer o.Close()
	var snap map[string]int
	ok, err = o.LoadSnapshot(&snap)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, 3, snap["items"])
	pend := o.Pending()
	require.Len(t, pend, 1)
	require.Equal(t, "b", pend[0].Topic)
	require.True(t, pend[0].Retain)
	require.NoError(t, o.Commit(nil, Msg{Topic: "c"}))
	require.Equal(t, []uint64{2, 3}, seqs(o.Pending()), "sequence continues after restart")
}

func TestCommitIsOneTransaction(t *testing.T) {
	dir := t.TempDir()
	o, err := Open(dir, nil)
	require.NoError(t, err)
	require.NoError(t, o.Commit(map[string]int{"items": 1}, Msg{Topic: "alert", Payload: []byte("a")}, Msg{Topic: "state", Payload: []byte("s"), Retain: true}))
	require.NoError(t, o.Commit(nil, Msg{Topic: "page"}), "messages without a snapshot")
	require.Len(t, o.Pending(), 3)
	require.ErrorContains(t, o.Commit(func() {}), "journal: encode snapshot")
	require.NoError(t, o.Close())

	o, err = Open(dir, nil)
	require.NoError(t, err)
	defer o.Close()
	var snap map[string]int
	ok, err := o.LoadSnapshot(&snap)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, 1, snap["items"], "a nil snapshot leaves the stored one alone")
	require.Equal(t, []string{"alert=a", "state=s", "page="}, topics(o.Pending()))
}

func TestCommitRetainedReplacesWaiting(t *testing.T) {
	dir := t.TempDir()
	o, err := Open(dir, nil)
	require.NoError(t, err)
	require.NoError(t, o.Commit(nil, Msg{Topic: "state", Payload: []byte("1"), Retain: true}, Msg{Topic: "alert", Payload: []byte("a")}))
	require.NoError(t, o.Commit(nil, Msg{Topic: "other", Payload: []byte("x"), Retain: true}))
	require.NoError(t, o.Commit(nil, Msg{Topic: "alert", Payload: []byte("b")}, Msg{Topic: "state", Payload: []byte("2"), Retain: true}))
	want := []string{"alert=a", "other=x", "alert=b", "state=2"}
	require.Equal(t, want, topics(o.Pending()), "the older state is gone, the rest keeps its order")
	require.NoError(t, o.Close())
	o, err = Open(dir, nil)
	require.NoError(t, err)
	defer o.Close()
	require.Equal(t, want, topics(o.Pending()), "and gone on disk")
}

// onDisk counts the outbox entries in the journal file.
func onDisk(t *testing.T, o *Outbox) int {
	t.Helper()
	var n int
	require.NoError(t, o.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketOutbox).Stats().KeyN
		return nil
	}))
	return n
}

// An ack costs no sync of its own: the entry leaves the outbox at once
// and the disk with the next Commit (or Close).
func TestAcksRideOnTheNextCommit(t *testing.T) {
	dir := t.TempDir()
	o, err := Open(dir, nil)
	require.NoError(t, err)
	require.NoError(t, o.Commit(nil, Msg{Topic: "a"}, Msg{Topic: "b"}))
	o.ack(o.Pending()[0].Seq)
	require.Equal(t, []string{"b="}, topics(o.Pending()))
	require.Equal(t, 2, onDisk(t, o), "the ack is not written by itself")

	require.NoError(t, o.Commit(map[string]int{"items": 1}, Msg{Topic: "c"}))
	require.Equal(t, 2, onDisk(t, o), "the commit deleted a and added c")

	o.ack(o.Pending()[0].Seq)
	require.NoError(t, o.flush())
	require.Equal(t, 1, onDisk(t, o))
	o.ack(o.Pending()[0].Seq)
	require.NoError(t, o.Close())

	o, err = Open(dir, nil)
	require.NoError(t, err)
	defer o.Close()
	require.Empty(t, o.Pending(), "Close deleted the last ack")
	require.Zero(t, onDisk(t, o))
	require.NoError(t, o.Commit(nil, Msg{Topic: "d"}))
	require.Equal(t, []uint64{4}, seqs(o.Pending()), "the sequence outlives the entries")
}

// Many acks without a commit (an outbox drained after a long outage)
// are written once they reach maxDeferredAcks.
func TestManyAcksAreFlushed(t *testing.T) {
	o, err := Open(t.TempDir(), nil)
	require.NoError(t, err)
	defer o.Close()
	msgs := make([]Msg, maxDeferredAcks+1)
	for i := range msgs {
		msgs[i] = Msg{Topic: "t"}
	}
	require.NoError(t, o.Commit(nil, msgs...))
	for _, m := range o.Pending()[:maxDeferredAcks] {
		o.ack(m.Seq)
	}
	require.Equal(t, 1, onDisk(t, o))
}

// Entries that cannot be sent (they do not decode, have no key of a
// sequence number, or name no valid topic) are set aside in their own
// bucket, as they were, with one log line for all of them: never sent,
// never lost, and the outbox moves on.
func TestBadEntriesAreSetAside(t *testing.T) {
	dir := t.TempDir()
	o, err := Open(dir, nil)
	require.NoError(t, err)
	require.NoError(t, o.Commit(nil, Msg{Topic: "a"}, Msg{Topic: "b"}, Msg{Topic: "c"}, Msg{Topic: "d"}, Msg{Topic: "e"}))
	bad := map[string][]byte{
		string(seqKey(1)): []byte("{"),
		string(seqKey(3)): []byte(`{"topic":"","payload":"eA=="}`),
		string(seqKey(4)): []byte(`{"topic":"sco/+/x","payload":null}`),
		"short":           []byte(`{"topic":"t"}`),
	}
	require.NoError(t, o.db.Update(func(tx *bolt.Tx) error {
		for k, v := range bad {
			if err := tx.Bucket(bucketOutbox).Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	}))
	require.NoError(t, o.Close())

	var logs bytes.Buffer
	o, err = Open(dir, &Opts{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	require.Equal(t, []string{"b=", "e="}, topics(o.Pending()))
	require.Equal(t, 1, strings.Count(logs.String(), "\n"), "one line for all of them: %s", logs.String())
	require.Contains(t, logs.String(), "count=4")
	require.Contains(t, logs.String(), "bucket=outbox_bad")
	require.Equal(t, 2, onDisk(t, o), "gone from the outbox")
	aside := map[string][]byte{}
	require.NoError(t, o.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBad).ForEach(func(k, v []byte) error {
			aside[string(k)] = slices.Clone(v)
			return nil
		})
	}))
	require.Equal(t, bad, aside, "kept as they were")
	require.NoError(t, o.Commit(nil, Msg{Topic: "f"}))
	require.Equal(t, []uint64{2, 5, 6}, seqs(o.Pending()))
	require.NoError(t, o.Close())

	logs.Reset()
	o, err = Open(dir, &Opts{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	defer o.Close()
	require.Empty(t, logs.String(), "set aside once")
	require.Equal(t, []string{"b=", "e=", "f="}, topics(o.Pending()))
}
