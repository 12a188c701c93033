// Package pagertest plays the attendant bridge's side of the pager
// protocol over a real broker, for tests of pagers: it publishes pages,
// withdrawals and results exactly as the contract says and hands the test
// what pagers publish (presence, commands). Screen reads what a terminal
// pager prints.
package pagertest

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/sco-project/sco/internal/broker"
	"github.com/sco-project/sco/protocol"
	"github.com/sco-project/sco/protocol/schema"
)

// Wait bounds every wait in this package.
const Wait = 10 * time.Second

var clients atomic.Int64

// Bridge is a test's stand-in for the attendant bridge.
type Bridge struct {
	t     testing.TB
	store string
	c     paho.Client
}

// NewBridge connects to the broker at url as store's bridge. It
// disconnects when the test ends.
func NewBridge(t testing.TB, url, store string) *Bridge {
	t.Helper()
	id := fmt.Sprintf("test-bridge-%d", clients.Add(1))
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(id).SetOrderMatters(true))
	tok := c.Connect()
	if !tok.WaitTimeout(Wait) || tok.Error() != nil {
		t.Fatalf("pagertest: connect %s: %v", url, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return &Bridge{t: t, store: store, c: c}
}

// Subscribe returns the payloads published on topic from now on (and a
// retained one), in order.
func (b *Bridge) Subscribe(topic string) <-chan []byte {
	b.t.Helper()
	ch := make(chan []byte, 256)
	tok := b.c.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) { ch <- m.Payload() })
	if !tok.WaitTimeout(Wait) || tok.Error() != nil {
		b.t.Fatalf("pagertest: subscribe %s: %v", topic, tok.Error())
	}
	return ch
}

// Presence subscribes to attendant's presence.
func (b *Bridge) Presence(attendant string) <-chan []byte {
	return b.Subscribe(protocol.PresenceTopic(b.store, attendant))
}

// Commands subscribes to attendant's commands.
func (b *Bridge) Commands(attendant string) <-chan []byte {
	return b.Subscribe(protocol.PagerCmdTopic(b.store, attendant))
}

// Publish sends v (JSON) on topic at QoS 1 and waits for the broker.
func (b *Bridge) Publish(topic string, retained bool, v any) {
	b.t.Helper()
	tok := b.c.Publish(topic, 1, retained, protocol.Encode(v))
	if !tok.WaitTimeout(Wait) || tok.Error() != nil {
		b.t.Fatalf("pagertest: publish %s: %v", topic, tok.Error())
	}
}

// Page pages attendant.
func (b *Bridge) Page(attendant string, p protocol.Page) {
	b.t.Helper()
	if p.TS.IsZero() {
		p.TS = protocol.At(time.Now())
	}
	b.Publish(protocol.PageTopic(b.store, attendant), false, p)
}

// Withdraw withdraws alert's page from attendant.
func (b *Bridge) Withdraw(attendant, alert, reason string) {
	b.t.Helper()
	b.Page(attendant, protocol.Page{Alert: alert, Withdrawn: true, Reason: reason})
}

// Answer answers a pager command.
func (b *Bridge) Answer(attendant string, r protocol.PagerResult) {
	b.t.Helper()
	if r.TS.IsZero() {
		r.TS = protocol.At(time.Now())
	}
	b.Publish(protocol.PagerResultTopic(b.store, attendant), false, r)
}

// Profile publishes attendant's retained profile, as the bridge does for
// every roster entry.
func (b *Bridge) Profile(p protocol.Profile) {
	b.t.Helper()
	if p.TS.IsZero() {
		p.TS = protocol.At(time.Now())
	}
	b.Publish(protocol.ProfileTopic(b.store, p.ID), true, p)
}

// ClearProfile clears attendant's retained profile, as the bridge does
// for an attendant who left the roster.
func (b *Bridge) ClearProfile(attendant string) {
	b.t.Helper()
	tok := b.c.Publish(protocol.ProfileTopic(b.store, attendant), 1, true, []byte{})
	if !tok.WaitTimeout(Wait) || tok.Error() != nil {
		b.t.Fatalf("pagertest: clear profile of %s: %v", attendant, tok.Error())
	}
}

// SetOnline publishes the retained bridge state.
func (b *Bridge) SetOnline(on bool) {
	b.t.Helper()
	b.Publish(protocol.BridgeStateTopic(b.store), true, protocol.BridgeState{Online: on, TS: protocol.At(time.Now())})
}

// NextPresence waits for a presence on ch whose status is want (earlier
// ones are skipped) and returns it. Every presence must be valid against
// the contract's schema.
func (b *Bridge) NextPresence(ch <-chan []byte, want string) protocol.Presence {
	b.t.Helper()
	deadline := time.After(Wait)
	var seen []string
	for {
		select {
		case raw := <-ch:
			p, err := protocol.DecodePresence(raw)
			if err == nil {
				err = schema.Validate(protocol.TPresence, raw)
			}
			if err != nil {
				b.t.Fatalf("pagertest: bad presence %q: %v", raw, err)
			}
			if p.Status == want {
				return p
			}
			seen = append(seen, p.Status)
		case <-deadline:
			b.t.Fatalf("pagertest: no presence %q; saw %v", want, seen)
		}
	}
}

// NextCommand waits for the next command on ch, which must be valid
// against the contract's schema, and returns it.
func (b *Bridge) NextCommand(ch <-chan []byte) protocol.PagerCmd {
	b.t.Helper()
	select {
	case raw := <-ch:
		var c protocol.PagerCmd
		err := protocol.Decode(raw, &c)
		if err == nil {
			err = schema.Validate(protocol.TPagerCmd, raw)
		}
		if err != nil {
			b.t.Fatalf("pagertest: bad command %q: %v", raw, err)
		}
		return c
	case <-time.After(Wait):
		b.t.Fatal("pagertest: no command")
	}
	return protocol.PagerCmd{}
}

// NoCommand fails if a command arrives on ch within d. It is for
// behaviours that must stay silent (an attendant who ignores pages), so d
// is a bound on how long the test watches, not a synchronisation.
func (b *Bridge) NoCommand(ch <-chan []byte, d time.Duration) {
	b.t.Helper()
	select {
	case raw := <-ch:
		b.t.Fatalf("pagertest: unexpected command %s", raw)
	case <-time.After(d):
	}
}

// WaitForgotten waits until the embedded broker b has let a client id go.
// The embedded broker removes a dropped client's subscriptions by its id
// a moment after publishing its will, and so removes those of a client
// that came back with the same id meanwhile (a real broker does not): a
// test that drops a pager (Client.Drop) waits for this before Restore.
func WaitForgotten(t testing.TB, b *broker.Broker, id string) {
	t.Helper()
	deadline := time.After(Wait)
	for {
		if _, ok := b.Server().Clients.Get(id); !ok {
			return
		}
		select {
		case <-time.After(time.Millisecond):
		case <-deadline:
			t.Fatalf("pagertest: the broker still has client %s", id)
		}
	}
}

// Screen is what a terminal pager prints (pagerclient.Run, cmd/pager),
// line by line, for a test to wait on.
type Screen struct {
	t     testing.TB
	lines chan string
}

// ReadScreen reads r line by line until it ends.
func ReadScreen(t testing.TB, r io.Reader) *Screen {
	s := &Screen{t: t, lines: make(chan string, 256)}
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	return s
}

// Expect waits for a line containing want, skipping others, and returns
// it.
func (s *Screen) Expect(want string) string {
	s.t.Helper()
	deadline := time.After(Wait)
	var seen []string
	for {
		select {
		case l, ok := <-s.lines:
			if !ok {
				s.t.Fatalf("pagertest: the screen ended waiting for %q; saw %q", want, seen)
			}
			if strings.Contains(l, want) {
				return l
			}
			seen = append(seen, l)
		case <-deadline:
			s.t.Fatalf("pagertest: the screen never said %q; saw %q", want, seen)
		}
	}
}

// ExpectAll waits for a line containing each of want, in any order.
func (s *Screen) ExpectAll(want ...string) {
	s.t.Helper()
	deadline := time.After(Wait)
	left := append([]string(nil), want...)
	for len(left) > 0 {
		select {
		case l, ok := <-s.lines:
			if !ok {
				s.t.Fatalf("pagertest: the screen ended waiting for %q", left)
			}
			left = slices.DeleteFunc(left, func(w string) bool { return strings.Contains(l, w) })
		case <-deadline:
			s.t.Fatalf("pagertest: the screen never said %q", left)
		}
	}
}
