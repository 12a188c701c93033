package outbox

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

func TestJournalSnapshotAndOutboxSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	j, err := OpenJournal(dir, time.Second)
	require.NoError(t, err)
	ok, err := j.LoadSnapshot(&struct{}{})
	require.NoError(t, err)
	require.False(t, ok, "new journal has no snapshot")

	msgs, err := j.Commit(map[string]int{"items": 3}, Msg{Topic: "a", Payload: []byte("1")}, Msg{Topic: "b", Payload: []byte("2"), Retain: true})
	require.NoError(t, err)
	require.Equal(t, uint64(1), msgs[0].Seq)
	require.Equal(t, uint64(2), msgs[1].Seq)
	require.NoError(t, j.Ack(1))

	// A second opener is refused while the first holds the lock.
	_, err = OpenJournal(dir, 50*time.Millisecond)
	require.ErrorContains(t, err, "locked by another process")

	require.NoError(t, j.Close())
	require.NoError(t, j.Close(), "double close is a no-op")

	j, err = OpenJournal(dir, time.Second)
	require.NoError(t, err)
	defer j.Close()
	var snap map[string]int
	ok, err = j.LoadSnapshot(&snap)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, 3, snap["items"])
	pend, err := j.Pending()
	require.NoError(t, err)
	require.Len(t, pend, 1)
	require.Equal(t, "b", pend[0].Topic)
	require.True(t, pend[0].Retain)
	more, err := j.Commit(nil, Msg{Topic: "c"})
	require.NoError(t, err)
	require.Equal(t, uint64(3), more[0].Seq, "sequence continues after restart")
}

func TestJournalCommitIsOneTransaction(t *testing.T) {
	dir := t.TempDir()
	j, err := OpenJournal(dir, time.Second)
	require.NoError(t, err)
	msgs, err := j.Commit(map[string]int{"items": 1}, Msg{Topic: "alert", Payload: []byte("a")}, Msg{Topic: "state", Payload: []byte("s"), Retain: true})
	require.NoError(t, err)
	require.Equal(t, []uint64{1, 2}, []uint64{msgs[0].Seq, msgs[1].Seq})
	_, err = j.Commit(nil, Msg{Topic: "page"})
	require.NoError(t, err, "messages without a snapshot")
	n, err := j.PendingCount()
	require.NoError(t, err)
	require.Equal(t, 3, n)
	_, err = j.Commit(func() {})
	require.ErrorContains(t, err, "journal: encode snapshot")
	require.NoError(t, j.Close())

	j, err = OpenJournal(dir, time.Second)
	require.NoError(t, err)
	defer j.Close()
	var snap map[string]int
	ok, err := j.LoadSnapshot(&snap)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, 1, snap["items"], "a nil snapshot leaves the stored one alone")
	pend, err := j.Pending()
	require.NoError(t, err)
	require.Equal(t, []string{"alert", "state", "page"}, []string{pend[0].Topic, pend[1].Topic, pend[2].Topic})
}

func TestJournalCommitRetainedReplacesWaiting(t *testing.T) {
	j, err := OpenJournal(t.TempDir(), time.Second)
	require.NoError(t, err)
	defer j.Close()
	_, err = j.Commit(nil, Msg{Topic: "state", Payload: []byte("1"), Retain: true}, Msg{Topic: "alert", Payload: []byte("a")})
	require.NoError(t, err)
	_, err = j.Commit(nil, Msg{Topic: "other", Payload: []byte("x"), Retain: true})
	require.NoError(t, err)
	_, err = j.Commit(nil, Msg{Topic: "alert", Payload: []byte("b")}, Msg{Topic: "state", Payload: []byte("2"), Retain: true})
	require.NoError(t, err)
	pend, err := j.Pending()
	require.NoError(t, err)
	var got []string
	for _, m := range pend {
		got = append(got, m.Topic+"="+string(m.Payload))
	}
	require.Equal(t, []string{"alert=a", "other=x", "alert=b", "state=2"}, got, "the older state is gone, the rest keeps its order")
}

// An ack costs no sync of its own: the entry leaves Pending at once and
// the disk with the next Commit (or Flush, or Close).
func TestJournalAcksRideOnTheNextCommit(t *testing.T) {
	j, err := OpenJournal(t.TempDir(), time.Second)
	require.NoError(t, err)
	defer j.Close()
	onDisk := func() int {
		var n int
		require.NoError(t, j.db.View(func(tx *bolt.Tx) error {
			n = tx.Bucket(bucketOutbox).Stats().KeyN
			return nil
		}))
		return n
	}
	msgs, err := j.Commit(nil, Msg{Topic: "a"}, Msg{Topic: "b"})
	require.NoError(t, err)
	require.NoError(t, j.Ack(msgs[0].Seq))
	pend, err := j.Pending()
	require.NoError(t, err)
	require.Len(t, pend, 1)
	require.Equal(t, "b", pend[0].Topic)
	n, err := j.PendingCount()
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, 2, onDisk(), "the ack is not written by itself")

	_, err = j.Commit(map[string]int{"items": 1}, Msg{Topic: "c"})
	require.NoError(t, err)
	require.Equal(t, 2, onDisk(), "the commit deleted a and added c")

	require.NoError(t, j.Ack(msgs[1].Seq))
	require.NoError(t, j.Flush())
	require.Equal(t, 1, onDisk())
}
