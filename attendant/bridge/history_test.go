package bridge

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/protocol"
)

func record(id, lane string, closed time.Time) attendant.Intervention {
	return attendant.Intervention{Alert: id, Lane: lane, Kind: protocol.KindHelp, Raised: closed.Add(-time.Minute), Closed: closed, Outcome: attendant.OutcomeCancelled}
}

// The history is what the saves held, in the order the alerts closed,
// from a time on; it survives reopening, and Prune forgets what is
// older than a time.
func TestStoreHistory(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenStore(dir)
	require.NoError(t, err)
	r1, r2, r3 := record("a1", "3", t0), record("a2", "4", t0.Add(time.Hour)), record("a3", "3", t0.Add(2*time.Hour))
	require.NoError(t, s.Apply(attendant.Changes{Interventions: []attendant.Intervention{r2, r1}}))
	require.NoError(t, s.Apply(attendant.Changes{Interventions: []attendant.Intervention{r3}}))
	require.NoError(t, s.Close())

	s, err = OpenStore(dir)
	require.NoError(t, err)
	defer s.Close()
	h, err := s.History(time.Time{})
	require.NoError(t, err)
	require.Equal(t, []attendant.Intervention{r1, r2, r3}, h.Interventions)
	h, err = s.History(t0.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, []attendant.Intervention{r2, r3}, h.Interventions, "from a time on, that time included")

	n, err := s.Prune(t0.Add(90 * time.Minute))
	require.NoError(t, err)
	require.Equal(t, 2, n)
	h, err = s.History(time.Time{})
	require.NoError(t, err)
	require.Equal(t, []attendant.Intervention{r3}, h.Interventions)
}

// A closed alert's record is on disk once the bridge has published the
// close, and is kept when the bridge restarts: it is written by the save
// that closes the alert.
func TestBridgeKeepsInterventions(t *testing.T) {
	r, b := newRig(t, testsupport.Mochi(t).URL(), quick, "ana")
	r.pagingStarted("a1", "ana")
	from := r.rec.mark()
	r.pager["ana"].cmd("c1", "a1", "claim", "")
	r.rec.await(from, "pager/ana/result", `"id":"c1"`, `"ok":true`)
	r.cancel("a1")
	h := historyAfter(t, b, r.cfg.DataDir)
	require.Len(t, h.Interventions, 1)
	in := h.Interventions[0]
	require.Equal(t, "a1", in.Alert)
	require.Equal(t, attendant.OutcomeCancelled, in.Outcome)
	require.Len(t, in.Claims, 1)
	require.Equal(t, "ana", in.Claims[0].By)
	require.Equal(t, attendant.OutcomeCancelled, in.Claims[0].End)
}

func checkout(lane, session string, finished time.Time) attendant.Checkout {
	return attendant.Checkout{Lane: lane, Checkout: protocol.Checkout{Session: session, Items: 3, TotalCents: 700,
		Started: protocol.At(finished.Add(-2 * time.Minute)), Finished: protocol.At(finished), TS: protocol.At(finished)}}
}

// Checkouts are kept once per lane and session, whatever the times of
// the deliveries; pruning forgets them and their sessions.
func TestStoreCheckouts(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	require.NoError(t, err)
	defer s.Close()
	c1, c2, c3 := checkout("3", "s-1", t0), checkout("4", "s-1", t0.Add(time.Minute)), checkout("3", "s-2", t0.Add(time.Hour))
	fresh, err := s.apply(attendant.Changes{Checkouts: []attendant.Checkout{c1, c2, c1}})
	require.NoError(t, err)
	require.Equal(t, []attendant.Checkout{c1, c2}, fresh, "a session's second delivery in the same save")
	again := c1
	again.TS = protocol.At(t0.Add(time.Hour)) // sent again after a restart
	fresh, err = s.apply(attendant.Changes{Checkouts: []attendant.Checkout{again, c3}})
	require.NoError(t, err)
	require.Equal(t, []attendant.Checkout{c3}, fresh)
	h, err := s.History(time.Time{})
	require.NoError(t, err)
	require.Equal(t, []attendant.Checkout{c1, c2, c3}, h.Checkouts)
	require.Empty(t, h.Interventions)

	n, err := s.Prune(t0.Add(30 * time.Minute))
	require.NoError(t, err)
	require.Equal(t, 2, n)
	h, err = s.History(time.Time{})
	require.NoError(t, err)
	require.Equal(t, []attendant.Checkout{c3}, h.Checkouts)
	fresh, err = s.apply(attendant.Changes{Checkouts: []attendant.Checkout{c1}})
	require.NoError(t, err)
	require.Equal(t, []attendant.Checkout{c1}, fresh, "beyond the history, a session is forgotten")
}

// The bridge keeps the checkouts lanes publish, once each.
func TestBridgeKeepsCheckouts(t *testing.T) {
	r, b := newRig(t, testsupport.Mochi(t).URL(), quick, "ana")
	c := checkout("3", "3-20261123-100000-abc", t0)
	publish(t, r.lane, protocol.LaneCheckoutTopic("s1", "3"), false, protocol.Encode(c.Checkout))
	publish(t, r.lane, protocol.LaneCheckoutTopic("s1", "3"), false, protocol.Encode(c.Checkout))
	// An alert after them, closed: once its record is on disk, so are
	// the checkouts (one goroutine handles messages in order).
	r.pagingStarted("a1", "ana")
	r.cancel("a1")
	require.Equal(t, []attendant.Checkout{c}, historyAfter(t, b, r.cfg.DataDir).Checkouts)
}

// cancel cancels alert id as lane 3 and waits until the bridge closed it.
func (r *rig) cancel(id string) {
	r.t.Helper()
	from := r.rec.mark()
	publish(r.t, r.lane, protocol.LaneAlertTopic("s1", "3"), false, laneAlert(id, protocol.KindHelp, protocol.AlertCancelled))
	r.rec.await(from, "alert/"+id, `"status":"cancelled"`)
}

// historyAfter stops b and reads the whole history it kept in dir.
func historyAfter(t *testing.T, b *Bridge, dir string) History {
	t.Helper()
	require.NoError(t, b.Close())
	s, err := OpenStore(dir)
	require.NoError(t, err)
	defer s.Close()
	h, err := s.History(time.Time{})
	require.NoError(t, err)
	return h
}

// The report reads the history beside a running bridge (over its
// socket: bridge.db is locked) and, once it has stopped, from bridge.db
// opened read-only; either way the same records, and nothing changes.
func TestReadHistoryBesideTheBridge(t *testing.T) {
	r, b := newRig(t, testsupport.Mochi(t).URL(), quick, "ana")
	dir := r.cfg.DataDir
	c := checkout("3", "3-s-1", time.Now().UTC().Truncate(time.Millisecond).Add(-time.Minute))
	publish(t, r.lane, protocol.LaneCheckoutTopic("s1", "3"), false, protocol.Encode(c.Checkout))
	r.pagingStarted("a1", "ana")
	r.cancel("a1")

	ctx := context.Background()
	_, err := OpenStore(dir)
	require.ErrorContains(t, err, "locked by another process", "the bridge holds bridge.db")
	running, err := ReadHistory(ctx, dir, time.Time{}, 100*time.Millisecond)
	require.NoError(t, err)
	require.Len(t, running.Interventions, 1)
	require.Equal(t, "a1", running.Interventions[0].Alert)
	require.Equal(t, []attendant.Checkout{c}, running.Checkouts)
	later, err := ReadHistory(ctx, dir, time.Now().Add(time.Hour), 100*time.Millisecond)
	require.NoError(t, err)
	require.Empty(t, later.Interventions, "since is honoured")
	require.Empty(t, later.Checkouts)

	require.NoError(t, b.Close())
	_, err = os.Stat(filepath.Join(dir, SocketName))
	require.ErrorIs(t, err, os.ErrNotExist, "the socket goes with the bridge")
	stopped, err := ReadHistory(ctx, dir, time.Time{}, 100*time.Millisecond)
	require.NoError(t, err)
	require.Equal(t, running, stopped)

	// A bridge.db held by a process that does not answer: a clear error
	// after the timeout; no bridge.db at all: another.
	s, err := OpenStore(dir)
	require.NoError(t, err)
	defer s.Close()
	_, err = ReadHistory(ctx, dir, time.Time{}, 100*time.Millisecond)
	require.ErrorContains(t, err, "held by a bridge that does not answer")
	_, err = ReadHistory(ctx, t.TempDir(), time.Time{}, 100*time.Millisecond)
	require.ErrorContains(t, err, "no history")
}
