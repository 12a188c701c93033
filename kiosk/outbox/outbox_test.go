package outbox

import (
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"
)

const waitFor = 10 * time.Second // deadline for anything the outbox must do

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fakePub is a Publisher whose connection and PUBACKs the test drives.
type fakePub struct {
	open atomic.Bool
	mu   sync.Mutex
	sent []*fakeSent
	pub  chan struct{}
}

type fakeSent struct {
	topic string
	tok   *fakeTok
}

func newFakePub() *fakePub {
	f := &fakePub{pub: make(chan struct{}, 64)}
	f.open.Store(true)
	return f
}

func (f *fakePub) IsConnectionOpen() bool { return f.open.Load() }

func (f *fakePub) Publish(topic string, _ byte, _ bool, payload any) paho.Token {
	s := &fakeSent{topic: topic + "=" + string(payload.([]byte)), tok: &fakeTok{done: make(chan struct{})}}
	f.mu.Lock()
	f.sent = append(f.sent, s)
	f.mu.Unlock()
	f.pub <- struct{}{}
	return s.tok
}

// published waits for the n-th publish (from 1) and returns it.
func (f *fakePub) published(t *testing.T, n int) *fakeSent {
	t.Helper()
	deadline := time.After(waitFor)
	for {
		f.mu.Lock()
		if len(f.sent) >= n {
			s := f.sent[n-1]
			f.mu.Unlock()
			return s
		}
		f.mu.Unlock()
		select {
		case <-f.pub:
		case <-deadline:
			t.Fatalf("publish %d never came; sent %v", n, f.topics())
		}
	}
}

func (f *fakePub) topics() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, s := range f.sent {
		out = append(out, s.topic)
	}
	return out
}

// fakeTok is a paho.Token the test completes.
type fakeTok struct {
	done chan struct{}
	err  error
}

func (t *fakeTok) Wait() bool { <-t.done; return true }
func (t *fakeTok) WaitTimeout(d time.Duration) bool {
	select {
	case <-t.done:
		return true
	case <-time.After(d):
		return false
	}
}
func (t *fakeTok) Done() <-chan struct{} { return t.done }
func (t *fakeTok) Error() error {
	select {
	case <-t.done:
		return t.err
	default:
		return nil
	}
}

// ack completes the publish as the broker's PUBACK would; fail with err.
func (s *fakeSent) ack()           { close(s.tok.done) }
func (s *fakeSent) fail(err error) { s.tok.err = err; close(s.tok.done) }

// holder holds the commits made while it is on in BeforeWrite.
type holder struct {
	on      atomic.Bool
	holding chan struct{}
	release chan struct{}
}

func newHolder() *holder {
	return &holder{holding: make(chan struct{}, 1), release: make(chan struct{})}
}

func (h *holder) beforeWrite() {
	if h.on.Load() {
		h.holding <- struct{}{}
		<-h.release
	}
}

// commitHeld runs o.Commit(nil, msgs...) on its own goroutine and returns
// once it is held before its write; the returned func lets it finish and
// waits for it.
func commitHeld(t *testing.T, o *Outbox, h *holder, msgs ...Msg) func() {
	t.Helper()
	h.on.Store(true)
	done := make(chan error, 1)
	go func() { done <- o.Commit(nil, msgs...) }()
	select {
	case <-h.holding:
	case <-time.After(waitFor):
		t.Fatal("the commit never reached its write")
	}
	return func() {
		t.Helper()
		h.on.Store(false)
		close(h.release)
		require.NoError(t, <-done)
	}
}

func openFake(t *testing.T, o *Opts) (*Outbox, *fakePub) {
	t.Helper()
	if o == nil {
		o = &Opts{}
	}
	if o.CheckInterval == 0 {
		o.CheckInterval = time.Hour // the tests say when the connection changed
	}
	o.Logger = quiet
	out, err := Open(t.TempDir(), o)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, out.Close()) })
	f := newFakePub()
	out.Start(f)
	out.Connected()
	return out, f
}

func drained(t *testing.T, o *Outbox) {
	t.Helper()
	require.Zero(t, o.Drain(waitFor), "the outbox did not drain: %v", topics(o.Pending()))
}

// One at a time, in order: the next message is published only after the
// PUBACK of the one before.
func TestPublishesInOrderOneAtATime(t *testing.T) {
	o, f := openFake(t, nil)
	require.NoError(t, o.Commit(nil, Msg{Topic: "a"}, Msg{Topic: "b"}))
	require.NoError(t, o.Commit(nil, Msg{Topic: "c"}))
	for i, want := range []string{"a=", "b=", "c="} {
		s := f.published(t, i+1)
		require.Equal(t, want, s.topic)
		require.Len(t, f.topics(), i+1, "published before the PUBACK of the one before")
		s.ack()
	}
	drained(t, o)
}

// The fast path: a new alert goes out while its commit is being written,
// and the publisher, meeting it in the outbox, waits for that publish
// instead of sending it again. The other messages of the commit wait for
// the write.
func TestEarlyGoesOutDuringItsCommitAndOnlyOnce(t *testing.T) {
	h := newHolder()
	o, f := openFake(t, &Opts{BeforeWrite: h.beforeWrite})
	finish := commitHeld(t, o, h, Msg{Topic: "alert", Early: true}, Msg{Topic: "state", Retain: true})
	require.Equal(t, "alert=", f.published(t, 1).topic)
	require.Equal(t, []string{"alert="}, f.topics(), "only the alert goes before the write")
	finish()
	f.published(t, 1).ack()
	f.published(t, 2).ack()
	drained(t, o)
	require.Equal(t, []string{"alert=", "state="}, f.topics())
}

// A message in flight does not stop an early one: it was published
// before, on the same connection, so the order holds.
func TestEarlyFollowsTheMessageInFlight(t *testing.T) {
	h := newHolder()
	o, f := openFake(t, &Opts{BeforeWrite: h.beforeWrite})
	require.NoError(t, o.Commit(nil, Msg{Topic: "state", Retain: true}))
	first := f.published(t, 1)
	finish := commitHeld(t, o, h, Msg{Topic: "alert", Early: true})
	require.Equal(t, "alert=", f.published(t, 2).topic)
	finish()
	first.ack()
	f.published(t, 2).ack()
	drained(t, o)
	require.Equal(t, []string{"state=", "alert="}, f.topics())
}

// An early message does not jump the queue: with older messages waiting
// (not yet published), it takes its turn.
func TestEarlyWaitsBehindOlderMessages(t *testing.T) {
	o, f := openFake(t, nil)
	require.NoError(t, o.Commit(nil, Msg{Topic: "a"}, Msg{Topic: "b"}))
	first := f.published(t, 1)
	require.NoError(t, o.Commit(nil, Msg{Topic: "alert", Early: true}))
	require.Equal(t, []string{"a="}, f.topics(), "b is waiting: the alert may not go first")
	first.ack()
	f.published(t, 2).ack()
	f.published(t, 3).ack()
	drained(t, o)
	require.Equal(t, []string{"a=", "b=", "alert="}, f.topics())
}

// Offline, nothing is published early either; everything goes out in
// order once connected.
func TestOfflineEverythingWaits(t *testing.T) {
	o, f := openFake(t, nil)
	f.open.Store(false)
	require.NoError(t, o.Commit(nil, Msg{Topic: "a"}))
	require.NoError(t, o.Commit(nil, Msg{Topic: "alert", Early: true}))
	require.Equal(t, 2, o.Drain(time.Millisecond), "nothing is delivered offline")
	require.Empty(t, f.topics())
	f.open.Store(true)
	o.Connected()
	f.published(t, 1).ack()
	f.published(t, 2).ack()
	drained(t, o)
	require.Equal(t, []string{"a=", "alert="}, f.topics())
}

// A connection lost while a message waits for its PUBACK: paho completes
// no token, so the outbox sends it again on the next connection (at
// least once), and goes on in order.
func TestReconnectSendsTheMessageInFlightAgain(t *testing.T) {
	o, f := openFake(t, nil)
	require.NoError(t, o.Commit(nil, Msg{Topic: "a"}, Msg{Topic: "b"}))
	f.published(t, 1) // never acknowledged
	o.Connected()
	require.Equal(t, "a=", f.published(t, 2).topic)
	f.published(t, 2).ack()
	f.published(t, 3).ack()
	drained(t, o)
	require.Equal(t, []string{"a=", "a=", "b="}, f.topics())
}

// An early publish made on a connection that has gone by the time the
// publisher meets it is sent again.
func TestEarlyOnAnOldConnectionIsSentAgain(t *testing.T) {
	h := newHolder()
	o, f := openFake(t, &Opts{BeforeWrite: h.beforeWrite})
	finish := commitHeld(t, o, h, Msg{Topic: "alert", Early: true})
	f.published(t, 1)
	o.Connected()
	finish()
	f.published(t, 2).ack()
	drained(t, o)
	require.Equal(t, []string{"alert=", "alert="}, f.topics())
}

// waits is Opts.after for tests: it records each backoff and hands its
// channel to the test, which ends the wait (or never does).
type waits struct {
	asked chan time.Duration
	fire  chan time.Time
}

func newWaits() *waits {
	return &waits{asked: make(chan time.Duration, 64), fire: make(chan time.Time)}
}

func (w *waits) after(d time.Duration) <-chan time.Time {
	w.asked <- d
	return w.fire
}

// next waits for the publisher to ask for a wait and returns its length.
func (w *waits) next(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-w.asked:
		return d
	case <-time.After(waitFor):
		t.Fatal("the publisher never backed off")
		return 0
	}
}

// A publish the client fails is tried again, in its place, after a
// backoff.
func TestFailedPublishIsRetried(t *testing.T) {
	w := newWaits()
	o, f := openFake(t, &Opts{after: w.after})
	require.NoError(t, o.Commit(nil, Msg{Topic: "a"}, Msg{Topic: "b"}))
	f.published(t, 1).fail(errors.New("publish was broken by timeout"))
	w.next(t)
	o.Connected() // a new connection does not cut the backoff short
	require.Len(t, f.topics(), 1, "retried before the backoff ended")
	w.fire <- time.Now()
	f.published(t, 2).ack()
	f.published(t, 3).ack()
	drained(t, o)
	require.Equal(t, []string{"a=", "a=", "b="}, f.topics())
}

// A message that always fails costs a retry that backs off, doubling
// from CheckInterval to MaxBackoff, not a hot loop; a delivery starts the
// backoff again from the bottom.
func TestFailuresBackOffExponentially(t *testing.T) {
	w := newWaits()
	o, f := openFake(t, &Opts{CheckInterval: 10 * time.Millisecond, MaxBackoff: 80 * time.Millisecond, after: w.after})
	require.NoError(t, o.Commit(nil, Msg{Topic: "a"}, Msg{Topic: "b"}))
	var got []time.Duration
	for i := 1; i <= 6; i++ {
		f.published(t, i).fail(errors.New("no message IDs available"))
		got = append(got, w.next(t))
		w.fire <- time.Now()
	}
	ms := time.Millisecond
	require.Equal(t, []time.Duration{10 * ms, 20 * ms, 40 * ms, 80 * ms, 80 * ms, 80 * ms}, got)
	f.published(t, 7).ack()
	f.published(t, 8).fail(errors.New("no message IDs available"))
	require.Equal(t, 10*ms, w.next(t), "a delivery resets the backoff")
	w.fire <- time.Now()
	f.published(t, 9).ack()
	drained(t, o)
}

// Stop is always honoured: Close returns while the publisher waits out
// a backoff that would never end.
func TestCloseDuringBackoff(t *testing.T) {
	w := newWaits()
	dir := t.TempDir()
	o, err := Open(dir, &Opts{Logger: quiet, CheckInterval: time.Hour, after: w.after})
	require.NoError(t, err)
	f := newFakePub()
	o.Start(f)
	o.Connected()
	require.NoError(t, o.Commit(nil, Msg{Topic: "a"}))
	f.published(t, 1).fail(errors.New("publish was broken by timeout"))
	w.next(t)
	closed := make(chan error, 1)
	go func() { closed <- o.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(waitFor):
		t.Fatal("Close did not return while the publisher backed off")
	}
	o, err = Open(dir, nil)
	require.NoError(t, err)
	defer o.Close()
	require.Equal(t, []string{"a="}, topics(o.Pending()), "still waiting, for the next start")
}

// A retained message that a newer one replaced while it was in flight:
// its PUBACK changes nothing, and the newer one follows.
func TestReplacedWhileInFlight(t *testing.T) {
	o, f := openFake(t, nil)
	require.NoError(t, o.Commit(nil, Msg{Topic: "state", Payload: []byte("1"), Retain: true}))
	first := f.published(t, 1)
	require.NoError(t, o.Commit(nil, Msg{Topic: "state", Payload: []byte("2"), Retain: true}))
	require.Equal(t, []string{"state=2"}, topics(o.Pending()))
	first.ack()
	f.published(t, 2).ack()
	drained(t, o)
	require.Equal(t, []string{"state=1", "state=2"}, f.topics())
}

// A journal that cannot be written fails the Commit, naming the file,
// and queues nothing of it; Send still delivers, in order after what
// waits, without the disk, and a restart forgets what was only sent.
func TestFailedWriteAndSend(t *testing.T) {
	var fail atomic.Bool
	dir := t.TempDir()
	o, err := Open(dir, &Opts{Logger: quiet, CheckInterval: time.Hour, WriteError: func() error {
		if fail.Load() {
			return errors.New("no space left on device")
		}
		return nil
	}})
	require.NoError(t, err)
	f := newFakePub()
	o.Start(f)
	o.Connected()
	require.NoError(t, o.Commit(map[string]int{"items": 1}, Msg{Topic: "a"}, Msg{Topic: "state", Payload: []byte("1"), Retain: true}))
	fail.Store(true)
	err = o.Commit(map[string]int{"items": 2}, Msg{Topic: "b"})
	require.EqualError(t, err, "cannot write the journal "+filepath.Join(dir, "lane.db")+": no space left on device")
	require.Equal(t, []string{"a=", "state=1"}, topics(o.Pending()), "nothing of a failed commit is queued")

	require.NoError(t, o.Send(Msg{Topic: "fault", Payload: []byte("f")}, Msg{Topic: "state", Payload: []byte("2"), Retain: true}))
	require.Equal(t, []string{"a=", "fault=f", "state=2"}, topics(o.Pending()), "the new state replaced the waiting one")
	for i, want := range []string{"a=", "fault=f", "state=2"} {
		s := f.published(t, i+1)
		require.Equal(t, want, s.topic)
		s.ack()
	}
	drained(t, o)
	fail.Store(false)
	require.NoError(t, o.Commit(nil))
	require.Zero(t, onDisk(t, o), "a, and the replaced state, left the disk")
	require.NoError(t, o.Send(Msg{Topic: "lost"}))
	require.NoError(t, o.Close())

	o, err = Open(dir, nil)
	require.NoError(t, err)
	defer o.Close()
	require.Empty(t, o.Pending(), "what was only sent is not on disk")
	var snap map[string]int
	ok, err := o.LoadSnapshot(&snap)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, 1, snap["items"], "the failed commit's snapshot was not written")
}

// A sent message whose Valid says no by the time it would go out is
// dropped, also one that was in flight on a connection that was lost:
// a broadcast page that waited while the bridge came back is not sent.
func TestSendValid(t *testing.T) {
	o, f := openFake(t, nil)
	var valid atomic.Bool
	valid.Store(true)
	page := Msg{Topic: "page", Valid: valid.Load}
	require.NoError(t, o.Commit(nil, Msg{Topic: "a"}))
	require.NoError(t, o.Send(page, Msg{Topic: "b"}))
	f.published(t, 1).ack()
	f.published(t, 2) // the page, in flight: the connection goes
	valid.Store(false)
	o.Connected()
	s := f.published(t, 3)
	require.Equal(t, "b=", s.topic, "the page is not sent again")
	s.ack()
	drained(t, o)
	require.NoError(t, o.Send(page))
	drained(t, o)
	require.Equal(t, []string{"a=", "page=", "b="}, f.topics(), "nor sent at all while it is not valid")
}
