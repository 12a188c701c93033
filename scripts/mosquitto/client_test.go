package mosquitto_test

import (
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/internal/testsupport"
)

// waitFor bounds every wait on the broker.
const waitFor = 10 * time.Second

// root is the store's topic root in the documented steps (lane s1 3).
const root = "sco/v1/s1/"

type msg struct{ topic, payload string }

// client is one login, made as the daemons make theirs (mqttc options,
// the username as client id unless the test says otherwise), without
// reconnecting, so that being pushed off the broker shows.
type client struct {
	t      *testing.T
	name   string
	c      paho.Client
	mu     sync.Mutex
	msgs   []msg
	notify chan struct{}
	lost   chan error
}

// login connects with cfg; clientID "" means cfg.ClientID, as kioskd,
// the bridge and the pager choose it.
func login(t *testing.T, name string, cfg mqttc.Config, clientID string, will *mqttc.Will) *client {
	t.Helper()
	cl := &client{t: t, name: name, notify: make(chan struct{}, 1), lost: make(chan error, 1)}
	if clientID == "" {
		clientID = cfg.ClientID("probe-" + name)
	}
	o, err := cfg.Options(clientID, will, nil, func(_ paho.Client, err error) {
		select {
		case cl.lost <- err:
		default:
		}
	})
	require.NoError(t, err)
	o.SetAutoReconnect(false).SetConnectRetry(false).SetCleanSession(true).SetOrderMatters(true)
	cl.c = paho.NewClient(o)
	tok := cl.c.Connect()
	require.True(t, tok.WaitTimeout(waitFor), "%s: connect", name)
	require.NoError(t, tok.Error(), "%s: connect", name)
	t.Cleanup(func() { cl.c.Disconnect(0) })
	return cl
}

// subscribe subscribes at QoS 1 and keeps every message.
func (cl *client) subscribe(filter string) {
	cl.t.Helper()
	tok := cl.c.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) {
		cl.mu.Lock()
		cl.msgs = append(cl.msgs, msg{m.Topic(), string(m.Payload())})
		cl.mu.Unlock()
		select {
		case cl.notify <- struct{}{}:
		default:
		}
	})
	require.True(cl.t, tok.WaitTimeout(waitFor), "%s: subscribe %s", cl.name, filter)
	require.NoError(cl.t, tok.Error())
}

// publish sends at QoS 1 and waits for the PUBACK. Mosquitto acknowledges
// a publish the ACL denies too, and drops it.
func (cl *client) publish(topic, payload string) {
	cl.t.Helper()
	tok := cl.c.Publish(topic, 1, false, payload)
	require.True(cl.t, tok.WaitTimeout(waitFor), "%s: publish %s", cl.name, topic)
	require.NoError(cl.t, tok.Error(), "%s: publish %s", cl.name, topic)
}

// await waits for a message.
func (cl *client) await(topic, payload string) {
	cl.t.Helper()
	deadline := time.After(waitFor)
	for !cl.has(topic, payload) {
		select {
		case <-cl.notify:
		case <-deadline:
			cl.t.Fatalf("%s: no %q on %s; got %v", cl.name, payload, topic, cl.all())
		}
	}
}

func (cl *client) has(topic, payload string) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	for _, m := range cl.msgs {
		if m.topic == topic && m.payload == payload {
			return true
		}
	}
	return false
}

func (cl *client) all() []msg {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return append([]msg(nil), cl.msgs...)
}

// failure connects with cfg as a daemon does (retrying) and returns the
// first failure line its mqttc.Reporter gives.
func failure(t *testing.T, cfg mqttc.Config) string {
	t.Helper()
	lines := make(chan string, 1)
	o, err := cfg.Options(cfg.ClientID("probe"), nil, nil, nil)
	require.NoError(t, err)
	(&mqttc.Reporter{OnFail: func(m string) {
		select {
		case lines <- m:
		default:
		}
	}}).Watch(o)
	c := paho.NewClient(o)
	c.Connect()
	defer c.Disconnect(0)
	select {
	case l := <-lines:
		return l
	case <-time.After(waitFor):
		t.Fatalf("no failure reported for %s", cfg.Broker)
		return ""
	}
}

// docBlock returns the shell block that follows the marker
// "<!-- test: name -->" in a doc of the repository, unindented.
func docBlock(t *testing.T, doc, name string) []string {
	t.Helper()
	b := testsupport.MarkedBlock(t, doc, name)
	require.Equal(t, "sh", b.Lang, "%s: the marker %s is followed by a ```sh block", b.Where(), name)
	return b.Lines
}

// commands joins a block's continued lines and its for ... done loops
// into commands, and drops comments and blank lines.
func commands(block []string) []string { return testsupport.ShellCommands(block) }
