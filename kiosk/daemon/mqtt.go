package daemon

import (
	"encoding/json"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/sco-project/sco/kiosk"
	"github.com/sco-project/sco/kiosk/outbox"
	"github.com/sco-project/sco/protocol"
)

// inMsg is something the MQTT side hands to the engine goroutine.
type inMsg struct {
	topic     string
	payload   []byte
	connected bool // the client (re)connected
}

// onConnect runs on a paho goroutine after every (re)connect. paho does
// not resubscribe by itself, so the subscriptions are made here; the
// token is waited for on another goroutine so paho is never held up.
func (d *Daemon) onConnect(c paho.Client) {
	d.log.Info("mqtt connected", "broker", d.cfg.MQTT.Broker)
	// What the bridge is on this connection is learnt again from its
	// retained state: until then no broadcast page goes out.
	d.bridgeDown.Store(false)
	d.out.Connected()
	// Queued before subscribing, so it comes before every message of the
	// new subscriptions (the retained bridge state in particular).
	d.inbox.Push(inMsg{connected: true})
	subs := map[string]byte{
		d.topic(protocol.LaneCommandTopic):     1,
		d.topic(protocol.LaneAssistTopic):      1,
		protocol.BridgeStateTopic(d.cfg.Store): 1,
	}
	tok := c.SubscribeMultiple(subs, d.onMessage)
	go func() {
		if !tok.WaitTimeout(10 * time.Second) {
			d.log.Warn("mqtt subscribe: no answer from the broker yet")
			return
		}
		if err := tok.Error(); err != nil {
			d.log.Error("mqtt subscribe", "err", err)
		}
	}()
}

// onMessage queues a message for the engine goroutine. It is also paho's
// default handler: with a persistent session the broker may deliver a
// command queued for the lane before the subscription is made again, and
// paho drops what no handler takes.
func (d *Daemon) onMessage(_ paho.Client, m paho.Message) {
	d.inbox.Push(inMsg{topic: m.Topic(), payload: m.Payload()})
}

func (d *Daemon) onConnectionLost(_ paho.Client, err error) {
	d.log.Warn("mqtt connection lost; reconnecting", "err", err)
}

// onInbound handles one MQTT message on the engine goroutine. Bad
// payloads are logged with their topic and dropped; a bad command whose
// id can be read is answered.
func (d *Daemon) onInbound(m inMsg) {
	if m.connected {
		// Whatever the bridge was, we learn it again from its retained
		// state, and re-publish open alerts if it is online.
		d.bridge = bridgeUnknown
		return
	}
	t, err := protocol.ParseTopic(m.topic)
	if err != nil {
		d.log.Warn("mqtt: dropped message", "topic", m.topic, "err", err)
		return
	}
	switch t.Kind {
	case protocol.TLaneCommand:
		var c protocol.Command
		if err := protocol.Decode(m.payload, &c); err != nil {
			d.log.Warn("mqtt: dropped bad command", "topic", m.topic, "err", err)
			d.refuse(m.payload, err)
			return
		}
		d.log.Info("command", "id", c.ID, "alert", c.Alert, "action", c.Action, "by", c.By)
		d.handle(kiosk.Event{Kind: kiosk.EvCommand, Command: c})
	case protocol.TLaneAssist:
		if len(m.payload) == 0 {
			d.handle(kiosk.Event{Kind: kiosk.EvAssist})
			return
		}
		var a protocol.Assist
		if err := protocol.Decode(m.payload, &a); err != nil {
			d.log.Warn("mqtt: dropped bad assist", "topic", m.topic, "err", err)
			return
		}
		d.handle(kiosk.Event{Kind: kiosk.EvAssist, Assist: &a})
	case protocol.TBridgeState:
		d.onBridgeState(m)
	default:
		d.log.Warn("mqtt: dropped message on unexpected topic", "topic", m.topic)
	}
}

// onBridgeState follows the bridge: when it turns online, every open
// alert is published again (the bridge deduplicates by id); when it turns
// offline, open alerts are paged on broadcast/page and so is every alert
// raised until it returns.
func (d *Daemon) onBridgeState(m inMsg) {
	online := false
	if len(m.payload) > 0 {
		var b protocol.BridgeState
		if err := protocol.Decode(m.payload, &b); err != nil {
			d.log.Warn("mqtt: dropped bad bridge state", "topic", m.topic, "err", err)
			return
		}
		online = b.Online
	}
	prev := d.bridge
	open := d.eng.OpenAlerts()
	if online {
		d.bridge = bridgeOnline
		d.bridgeDown.Store(false)
		if prev != bridgeOnline && len(open) > 0 {
			d.log.Info("bridge online; re-publishing open alerts", "count", len(open))
			var msgs []outbox.Msg
			for _, a := range open {
				msgs = append(msgs, d.alertMsg(a))
			}
			d.enqueue(msgs...)
		}
		return
	}
	d.bridge = bridgeOffline
	d.bridgeDown.Store(true)
	if prev != bridgeOffline {
		d.log.Warn("bridge offline; paging open alerts on broadcast/page", "count", len(open))
		var msgs []outbox.Msg
		for _, a := range open {
			msgs = append(msgs, d.pageMsg(a))
		}
		d.send(msgs...)
	}
}

// refuse answers a command that did not decode, when its id can be read
// (protocol.ReadableID), so that the bridge is not left waiting: "bad id"
// when its id or alert is not a valid id, else "bad command: " and why.
// It changes nothing and is not journaled: a second delivery is checked
// again and gets the same answer.
func (d *Daemon) refuse(payload []byte, err error) {
	id := protocol.ReadableID(payload)
	if id == "" {
		return
	}
	why := string(protocol.ErrBadCommand) + ": " + err.Error()
	var loose struct {
		Alert string `json:"alert"`
	}
	_ = json.Unmarshal(payload, &loose) // what is read is enough: err says the rest
	if !protocol.ValidMsgID(id) || loose.Alert != "" && !protocol.ValidMsgID(loose.Alert) {
		why = string(protocol.ErrBadID)
	}
	r := protocol.CommandResult{ID: id, OK: false, Error: why, TS: protocol.At(d.now())}
	d.log.Info("command result", "id", r.ID, "ok", r.OK, "error", r.Error)
	d.send(d.resultMsg(r))
}
