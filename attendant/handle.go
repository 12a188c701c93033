package attendant

import (
	"fmt"
	"time"

	"github.com/sco-project/sco/protocol"
)

// Handle decodes one MQTT message by its topic and feeds it to the
// dispatcher. A malformed or oversized payload, or a topic the bridge does
// not handle, is an error naming what is wrong; the effects are still
// valid (a malformed pager command whose id can be read is answered).
func (d *Dispatcher) Handle(now time.Time, topic string, payload []byte) (Effects, error) {
	var fx Effects
	t, err := protocol.ParseTopic(topic)
	if err != nil {
		return fx, fmt.Errorf("attendant: %w", err)
	}
	if t.Store != d.cfg.Store {
		return fx, fmt.Errorf("attendant: topic %q is for store %q, this bridge serves %q", topic, t.Store, d.cfg.Store)
	}
	switch t.Kind {
	case protocol.TLaneAlert:
		var a protocol.Alert
		if err := protocol.Decode(payload, &a); err != nil {
			return fx, fmt.Errorf("attendant: lane %s alert: %w", t.ID, err)
		}
		return d.LaneAlert(now, t.ID, a)
	case protocol.TLaneState:
		if len(payload) == 0 {
			return fx, nil // a cleared retained state
		}
		var s protocol.LaneState
		if err := protocol.Decode(payload, &s); err != nil {
			return fx, fmt.Errorf("attendant: lane %s state: %w", t.ID, err)
		}
		return d.LaneState(now, t.ID, s)
	case protocol.TLaneCheckout:
		var c protocol.Checkout
		if err := protocol.Decode(payload, &c); err != nil {
			return fx, fmt.Errorf("attendant: lane %s checkout: %w", t.ID, err)
		}
		return d.LaneCheckout(now, t.ID, c)
	case protocol.TLaneResult:
		var r protocol.CommandResult
		if err := protocol.Decode(payload, &r); err != nil {
			return fx, fmt.Errorf("attendant: lane %s command result: %w", t.ID, err)
		}
		return d.LaneResult(now, t.ID, r)
	case protocol.TPresence:
		p, err := protocol.DecodePresence(payload)
		if err != nil {
			return fx, fmt.Errorf("attendant: %s presence: %w", t.ID, err)
		}
		return d.Presence(now, t.ID, p)
	case protocol.TPagerCmd:
		var c protocol.PagerCmd
		if err := protocol.Decode(payload, &c); err != nil {
			// Answer what can be answered: a command whose id can be
			// read (a string, or a number) gets "bad command".
			if id := protocol.ReadableID(payload); id != "" {
				fx.Results = append(fx.Results, ResultOut{To: t.ID, Result: protocol.PagerResult{ID: id, Error: string(protocol.ErrBadCommand) + ": " + err.Error(), TS: protocol.At(now)}})
			}
			return fx, fmt.Errorf("attendant: %s pager command: %w", t.ID, err)
		}
		return d.PagerCmd(now, t.ID, c)
	}
	return fx, fmt.Errorf("attendant: %s is not a topic the bridge handles", topic)
}
