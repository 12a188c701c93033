package testsupport

import (
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// MQTTWait bounds every wait of an MQTTClient on its broker.
const MQTTWait = 20 * time.Second

// MQTTMsg is one message an MQTTClient received.
type MQTTMsg struct{ Topic, Payload string }

// MQTTClient is one MQTT login a test drives by hand (a lane, a pager or
// a consumer played by the test): it keeps every message it receives,
// and the test waits on them with a deadline.
type MQTTClient struct {
	// C is the paho client, for what the helpers do not cover.
	C paho.Client
	// Lost receives why the connection was lost, the first time it is.
	Lost chan error

	t      testing.TB
	name   string
	mu     sync.Mutex
	msgs   []MQTTMsg
	notify chan struct{}
}

// ConnectMQTT connects with o, as the login name says in failures. It
// turns reconnecting off (a test sees a client pushed off the broker),
// keeps the arrival order, and records every message that reaches the
// client: from its subscriptions and from a persistent session it
// resumes. It disconnects when the test ends.
func ConnectMQTT(t testing.TB, name string, o *paho.ClientOptions) *MQTTClient {
	t.Helper()
	cl := &MQTTClient{t: t, name: name, Lost: make(chan error, 1), notify: make(chan struct{}, 1)}
	o.SetAutoReconnect(false).SetConnectRetry(false).SetOrderMatters(true)
	o.SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) {
		cl.mu.Lock()
		cl.msgs = append(cl.msgs, MQTTMsg{m.Topic(), string(m.Payload())})
		cl.mu.Unlock()
		select {
		case cl.notify <- struct{}{}:
		default:
		}
	})
	o.SetConnectionLostHandler(func(_ paho.Client, err error) {
		select {
		case cl.Lost <- err:
		default:
		}
	})
	cl.C = paho.NewClient(o)
	tok := cl.C.Connect()
	if !tok.WaitTimeout(MQTTWait) {
		t.Fatalf("%s: connect: no answer in %v", name, MQTTWait)
	}
	if err := tok.Error(); err != nil {
		t.Fatalf("%s: connect: %v", name, err)
	}
	t.Cleanup(func() { cl.C.Disconnect(100) })
	return cl
}

// Subscribe subscribes at QoS 1; what arrives is recorded.
func (cl *MQTTClient) Subscribe(filter string) {
	cl.t.Helper()
	cl.wait(cl.C.Subscribe(filter, 1, nil), "subscribe "+filter)
}

// Publish sends payload (a string or []byte) at QoS 1 and waits for the
// broker's PUBACK. Mosquitto acknowledges a publish its ACL denies too,
// and drops it.
func (cl *MQTTClient) Publish(topic string, retain bool, payload any) {
	cl.t.Helper()
	cl.wait(cl.C.Publish(topic, 1, retain, payload), "publish "+topic)
}

func (cl *MQTTClient) wait(tok paho.Token, what string) {
	cl.t.Helper()
	if !tok.WaitTimeout(MQTTWait) {
		cl.t.Fatalf("%s: %s: no answer in %v", cl.name, what, MQTTWait)
	}
	if err := tok.Error(); err != nil {
		cl.t.Fatalf("%s: %s: %v", cl.name, what, err)
	}
}

// Await waits for a message on topic whose payload is payload.
func (cl *MQTTClient) Await(topic, payload string) {
	cl.t.Helper()
	cl.AwaitFunc(topic, "saying "+payload, func(p string) bool { return p == payload })
}

// AwaitContains waits for a message on topic whose payload holds part,
// and returns its payload.
func (cl *MQTTClient) AwaitContains(topic, part string) string {
	cl.t.Helper()
	return cl.AwaitFunc(topic, "holding "+part, func(p string) bool { return strings.Contains(p, part) })
}

// AwaitFunc waits for a message on topic (received so far or later)
// whose payload matches, and returns its payload; what describes the
// match in the failure.
func (cl *MQTTClient) AwaitFunc(topic, what string, match func(payload string) bool) string {
	cl.t.Helper()
	deadline := time.After(MQTTWait)
	for {
		for _, m := range cl.Received() {
			if m.Topic == topic && match(m.Payload) {
				return m.Payload
			}
		}
		select {
		case <-cl.notify:
		case <-deadline:
			cl.t.Fatalf("%s: no message on %s %s within %v; got %v", cl.name, topic, what, MQTTWait, cl.Received())
		}
	}
}

// Has reports whether a message on topic with exactly payload has been
// received.
func (cl *MQTTClient) Has(topic, payload string) bool {
	for _, m := range cl.Received() {
		if m.Topic == topic && m.Payload == payload {
			return true
		}
	}
	return false
}

// Received is every message received so far, in order.
func (cl *MQTTClient) Received() []MQTTMsg {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return append([]MQTTMsg(nil), cl.msgs...)
}
