package harness

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/protocol"
)

// Event is one message seen on the store's topics, decoded. Exactly one of
// the payload pointers is set, by Topic.Kind; a cleared retained message
// (empty payload) sets Cleared instead.
type Event struct {
	At       time.Time
	Topic    protocol.Topic
	Retained bool
	Cleared  bool

	State       *protocol.LaneState
	Alert       *protocol.Alert
	Command     *protocol.Command
	Result      *protocol.CommandResult
	Assist      *protocol.Assist
	Record      *protocol.AlertRecord
	Presence    *protocol.Presence
	Page        *protocol.Page
	PagerCmd    *protocol.PagerCmd
	PagerResult *protocol.PagerResult
	Bridge      *protocol.BridgeState
	Profile     *protocol.Profile
	Checkout    *protocol.Checkout
}

// Observer subscribes to everything under sco/v1/{store}/# and keeps every
// message it sees, in the order received, with the time it arrived.
type Observer struct {
	client paho.Client
	store  string

	mu      sync.Mutex
	events  []Event
	changed chan struct{} // closed and replaced on every new event
	states  map[string]protocol.LaneState
	subs    []chan Event
	bad     []string
}

// NewObserver connects an observer to the broker and returns once it is
// subscribed (retained messages then arrive first).
func NewObserver(cfg mqttc.Config, store, clientID string) (*Observer, error) {
	o := &Observer{store: store, changed: make(chan struct{}), states: map[string]protocol.LaneState{}}
	subscribed := make(chan error, 1)
	onConnect := func(c paho.Client) {
		tok := c.Subscribe(protocol.Root(store)+"/#", 1, o.handle)
		go func() {
			tok.Wait()
			select {
			case subscribed <- tok.Error():
			default:
			}
		}()
	}
	opts, err := cfg.Options(clientID, nil, onConnect, nil)
	if err != nil {
		return nil, err
	}
	// An observer has no past to resume.
	opts.SetCleanSession(true).SetOrderMatters(true)
	o.client = paho.NewClient(opts)
	o.client.Connect()
	select {
	case err := <-subscribed:
		if err != nil {
			o.client.Disconnect(0)
			return nil, fmt.Errorf("observer: subscribe: %w", err)
		}
	case <-time.After(10 * time.Second):
		o.client.Disconnect(0)
		return nil, errors.New("observer: could not connect to the broker within 10s")
	}
	return o, nil
}

// Close disconnects the observer and closes the channels given out by
// Subscribe.
func (o *Observer) Close() {
	o.client.Disconnect(250)
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, c := range o.subs {
		close(c)
	}
	o.subs = nil
}

func (o *Observer) handle(_ paho.Client, m paho.Message) {
	now := time.Now()
	ev, err := decode(m.Topic(), m.Payload())
	ev.At, ev.Retained = now, m.Retained()
	o.mu.Lock()
	defer o.mu.Unlock()
	if err != nil {
		o.bad = append(o.bad, fmt.Sprintf("%s: %v", m.Topic(), err))
		return
	}
	if ev.State != nil {
		o.states[ev.Topic.ID] = *ev.State
	}
	o.events = append(o.events, ev)
	close(o.changed)
	o.changed = make(chan struct{})
	for _, c := range o.subs {
		select {
		case c <- ev:
		default: // a slow display loses lines, never the store
		}
	}
}

func decode(topic string, payload []byte) (Event, error) {
	t, err := protocol.ParseTopic(topic)
	ev := Event{Topic: t}
	if err != nil {
		return ev, err
	}
	if len(payload) == 0 {
		ev.Cleared = true
		return ev, nil
	}
	var v any
	switch t.Kind {
	case protocol.TLaneState:
		ev.State = new(protocol.LaneState)
		v = ev.State
	case protocol.TLaneAlert:
		ev.Alert = new(protocol.Alert)
		v = ev.Alert
	case protocol.TLaneCommand:
		ev.Command = new(protocol.Command)
		v = ev.Command
	case protocol.TLaneResult:
		ev.Result = new(protocol.CommandResult)
		v = ev.Result
	case protocol.TLaneAssist:
		ev.Assist = new(protocol.Assist)
		v = ev.Assist
	case protocol.TAlert:
		ev.Record = new(protocol.AlertRecord)
		v = ev.Record
	case protocol.TPresence:
		p, err := protocol.DecodePresence(payload)
		ev.Presence = &p
		return ev, err
	case protocol.TPage, protocol.TBroadcastPage:
		ev.Page = new(protocol.Page)
		v = ev.Page
	case protocol.TPagerCmd:
		ev.PagerCmd = new(protocol.PagerCmd)
		v = ev.PagerCmd
	case protocol.TPagerResult:
		ev.PagerResult = new(protocol.PagerResult)
		v = ev.PagerResult
	case protocol.TBridgeState:
		ev.Bridge = new(protocol.BridgeState)
		v = ev.Bridge
	case protocol.TProfile:
		ev.Profile = new(protocol.Profile)
		v = ev.Profile
	case protocol.TLaneCheckout:
		ev.Checkout = new(protocol.Checkout)
		v = ev.Checkout
	}
	return ev, protocol.Decode(payload, v)
}

// Subscribe returns a channel that receives every later event. A reader
// that falls more than 4096 events behind loses events, never blocks the
// observer.
func (o *Observer) Subscribe() <-chan Event {
	c := make(chan Event, 4096)
	o.mu.Lock()
	o.subs = append(o.subs, c)
	o.mu.Unlock()
	return c
}

// Len is the number of events seen so far.
func (o *Observer) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.events)
}

// Events returns a copy of the events from index from on.
func (o *Observer) Events(from int) []Event {
	o.mu.Lock()
	defer o.mu.Unlock()
	if from > len(o.events) {
		from = len(o.events)
	}
	return append([]Event(nil), o.events[from:]...)
}

// Malformed lists the messages that did not decode: a healthy store has
// none.
func (o *Observer) Malformed() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.bad...)
}

// LaneState is the latest state the lane published, and whether there is
// one.
func (o *Observer) LaneState(lane string) (protocol.LaneState, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s, ok := o.states[lane]
	return s, ok
}

// Until waits until cond, called under no lock with the observer, returns
// true, re-checking after every new event, or until ctx ends.
func (o *Observer) Until(ctx context.Context, cond func() bool) error {
	for {
		o.mu.Lock()
		ch := o.changed
		o.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Find waits for the first event at index >= from, not in skip, that
// matches; it returns its index.
func (o *Observer) Find(ctx context.Context, from int, skip map[int]bool, match func(Event) bool) (int, Event, error) {
	var idx = -1
	var found Event
	err := o.Until(ctx, func() bool {
		o.mu.Lock()
		defer o.mu.Unlock()
		for i := from; i < len(o.events); i++ {
			if !skip[i] && match(o.events[i]) {
				idx, found = i, o.events[i]
				return true
			}
		}
		return false
	})
	return idx, found, err
}
