package outbox

import (
	"fmt"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/broker"
	"github.com/sco-project/sco/internal/testsupport"
)

// recorder is a mochi hook that records every publish the broker takes
// from the outbox's client, in order. hold, when set, names a topic whose
// first publish the broker swallows: no PUBACK, no delivery, as if the
// connection died with the message on the wire.
type recorder struct {
	mqtt.HookBase
	mu     sync.Mutex
	got    []string
	hold   string
	held   chan struct{}
	notify chan struct{}
}

func record(t *testing.T, b *broker.Broker, hold string) *recorder {
	t.Helper()
	r := &recorder{hold: hold, held: make(chan struct{}), notify: make(chan struct{}, 1)}
	require.NoError(t, b.Server().AddHook(r, nil))
	return r
}

func (r *recorder) ID() string { return "outbox-test-recorder" }

func (r *recorder) Provides(b byte) bool { return b == mqtt.OnPublish }

func (r *recorder) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.ID != "outbox-test" {
		return pk, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.hold != "" && pk.TopicName == r.hold {
		r.hold = ""
		close(r.held)
		return pk, packets.ErrRejectPacket
	}
	r.got = append(r.got, pk.TopicName+"="+string(pk.Payload))
	select {
	case r.notify <- struct{}{}:
	default:
	}
	return pk, nil
}

func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

// waitSeen waits until the broker has taken n messages.
func (r *recorder) waitSeen(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.After(waitFor)
	for {
		if s := r.seen(); len(s) >= n {
			return s
		}
		select {
		case <-r.notify:
		case <-deadline:
			t.Fatalf("the broker took %v, want %d messages", r.seen(), n)
		}
	}
}

// client is a paho client set up as the lane's: persistent session,
// NoStore, reconnecting, telling the outbox when it connected.
func client(t *testing.T, url string, o *Outbox) paho.Client {
	t.Helper()
	opts := paho.NewClientOptions().AddBroker(url).SetClientID("outbox-test").
		SetCleanSession(false).SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(50 * time.Millisecond).SetMaxReconnectInterval(200 * time.Millisecond).
		// A connect to a broker that is shutting down may never be
		// answered: give up on it soon, as the lane does (internal/mqttc).
		SetConnectTimeout(time.Second).SetWriteTimeout(5 * time.Second).SetStore(NoStore{}).
		SetOnConnectHandler(func(paho.Client) { o.Connected() })
	c := paho.NewClient(opts)
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

// startOn opens the outbox in dir and starts it on a client of url.
func startOn(t *testing.T, dir, url string, o *Opts) *Outbox {
	t.Helper()
	if o == nil {
		o = &Opts{}
	}
	o.Logger = quiet
	out, err := Open(dir, o)
	require.NoError(t, err)
	t.Cleanup(func() { out.Close() })
	c := client(t, url, out)
	out.Start(c)
	c.Connect()
	return out
}

// msgs are n messages on topic t, numbered from first.
func msgs(t string, first, n int) []Msg {
	var out []Msg
	for i := first; i < first+n; i++ {
		out = append(out, Msg{Topic: t, Payload: fmt.Appendf(nil, "%d", i)})
	}
	return out
}

func names(ms []Msg) []string { return topics(ms) }

func TestBrokerGetsEverythingInOrderOnce(t *testing.T) {
	b := testsupport.Mochi(t)
	r := record(t, b, "")
	o := startOn(t, t.TempDir(), b.URL(), &Opts{CheckInterval: 20 * time.Millisecond})
	var want []string
	for i := range 20 {
		ms := msgs("t/"+fmt.Sprint(i%3), i*3, 3)
		ms[0].Early = i%2 == 0
		require.NoError(t, o.Commit(map[string]int{"n": i}, ms...))
		want = append(want, names(ms)...)
	}
	drained(t, o)
	require.Equal(t, want, r.waitSeen(t, len(want)))
	require.Equal(t, want, r.seen(), "nothing doubled")
}

// The broker dies with a message on the wire (taken, never acknowledged)
// and comes back on the same address: that message and everything after
// it, including what was committed while it was down, arrive once, in
// order.
func TestBrokerRestartMidFlight(t *testing.T) {
	b1, err := broker.Start(broker.Opts{})
	require.NoError(t, err)
	t.Cleanup(func() { b1.Close() })
	addr := b1.Addr()
	r1 := record(t, b1, "t/held")
	o := startOn(t, t.TempDir(), b1.URL(), &Opts{CheckInterval: 20 * time.Millisecond})

	require.NoError(t, o.Commit(nil, Msg{Topic: "t/a"}, Msg{Topic: "t/held"}, Msg{Topic: "t/b"}))
	select {
	case <-r1.held:
	case <-time.After(waitFor):
		t.Fatalf("t/held never reached the broker; it took %v", r1.seen())
	}
	require.Equal(t, []string{"t/a="}, r1.seen(), "t/b waits for t/held's PUBACK")
	require.NoError(t, b1.Close())
	require.NoError(t, o.Commit(nil, Msg{Topic: "t/c", Early: true}))

	b2, err := broker.Start(broker.Opts{Addr: addr})
	require.NoError(t, err)
	t.Cleanup(func() { b2.Close() })
	r2 := record(t, b2, "")
	drained(t, o)
	require.Equal(t, []string{"t/held=", "t/b=", "t/c="}, r2.waitSeen(t, 3))
	require.Equal(t, []string{"t/a="}, r1.seen())
}

// What was committed with no broker around is in the file: another
// process (a restarted lane) delivers it, once, and once delivered and
// closed it is not sent again.
func TestRestartFromDisk(t *testing.T) {
	dir := t.TempDir()
	o, err := Open(dir, nil)
	require.NoError(t, err)
	require.NoError(t, o.Commit(nil, msgs("t/x", 0, 3)...))
	require.NoError(t, o.Commit(nil, Msg{Topic: "t/alert", Early: true}))
	require.NoError(t, o.Close())

	b := testsupport.Mochi(t)
	r := record(t, b, "")
	o = startOn(t, dir, b.URL(), nil)
	drained(t, o)
	want := []string{"t/x=0", "t/x=1", "t/x=2", "t/alert="}
	require.Equal(t, want, r.waitSeen(t, 4))
	require.NoError(t, o.Close())

	o, err = Open(dir, nil)
	require.NoError(t, err)
	defer o.Close()
	require.Empty(t, o.Pending(), "delivered messages are gone from the file")
}

// The fast path against a real broker: the alert is on the broker while
// its commit is held, the rest of the commit is not; released, the rest
// follows and the alert is not sent again.
func TestEarlyReachesTheBrokerBeforeTheWrite(t *testing.T) {
	b := testsupport.Mochi(t)
	r := record(t, b, "")
	h := newHolder()
	o := startOn(t, t.TempDir(), b.URL(), &Opts{BeforeWrite: h.beforeWrite})
	require.NoError(t, o.Commit(nil, Msg{Topic: "t/state", Payload: []byte("0"), Retain: true}))
	drained(t, o)
	r.waitSeen(t, 1)

	finish := commitHeld(t, o, h, Msg{Topic: "t/alert", Payload: []byte("a"), Early: true}, Msg{Topic: "t/state", Payload: []byte("1"), Retain: true})
	require.Equal(t, []string{"t/state=0", "t/alert=a"}, r.waitSeen(t, 2))
	finish()
	drained(t, o)
	require.Equal(t, []string{"t/state=0", "t/alert=a", "t/state=1"}, r.waitSeen(t, 3))
	require.Equal(t, 1, count(r.seen(), "t/alert=a"), "the alert went out twice")
}

func count(s []string, v string) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}
