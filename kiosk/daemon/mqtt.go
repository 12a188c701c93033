package daemon

import (
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"

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
	d.connGen.Add(1)
	select {
	case d.connUp <- struct{}{}:
	default:
	}
	// Queued before subscribing, so it comes before every message of the
	// new subscriptions (the retained bridge state in particular).
	d.inbox.Push(inMsg{connected: true})
	d.signalKick()
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
// payloads are logged with their topic and dropped.
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
	var msgs []outbox.Msg
	if online {
		d.bridge = bridgeOnline
		if prev != bridgeOnline {
			d.log.Info("bridge online; re-publishing open alerts", "count", len(open))
			for _, a := range open {
				msgs = append(msgs, d.alertMsg(a))
			}
		}
	} else {
		d.bridge = bridgeOffline
		if prev != bridgeOffline {
			d.log.Warn("bridge offline; paging open alerts on broadcast/page", "count", len(open))
			for _, a := range open {
				msgs = append(msgs, d.pageMsg(a))
			}
		}
	}
	if len(msgs) == 0 {
		return
	}
	if err := d.journal(nil, msgs...); err != nil {
		d.log.Error("journal write failed", "err", err)
	}
	d.signalKick()
}

// publisher delivers the outbox in order: publish one message with QoS 1,
// wait for the PUBACK, remove it from the journal, next. It publishes only
// on an open connection; when the connection is lost (or replaced) while
// a message waits for its PUBACK, it starts over from the journal once
// connected again, so that message may be delivered twice (at least
// once). paho keeps no copy of its own (noStore): the journal is the only
// outbox.
//
// A newly raised alert may go out before it is in the outbox (see
// Daemon.commit and sendFirst); when the publisher then meets its
// journaled copy, it waits for that publish instead of sending again.
func (d *Daemon) publisher(stop <-chan struct{}) {
	check := time.NewTicker(250 * time.Millisecond)
	defer check.Stop()
	sent := map[string]earlyPub{}
	for {
		if !d.client.IsConnectionOpen() {
			select {
			case <-d.connUp:
			case <-check.C:
			case <-stop:
				return
			}
			continue
		}
		pend, err := d.j.Pending()
		if err != nil {
			d.log.Error("outbox", "err", err)
		}
		if len(pend) == 0 && err == nil {
			select {
			case d.idle <- struct{}{}:
			default:
			}
			select {
			case <-d.kick:
			case f := <-d.first:
				d.sendFirst(f, nil, sent)
			case <-d.connUp:
			case <-stop:
				return
			}
			continue
		}
		for _, m := range pend {
			ok, stopped := d.publishOne(m, sent, check.C, stop, func(f firstAlerts) {
				d.sendFirst(f, &m, sent)
			})
			if stopped {
				return
			}
			if !ok {
				break // start over from the journal
			}
		}
	}
}

// firstAlerts are the alert messages of one engine step that raised
// alerts, handed to the publisher before the step's journal commit;
// commit is Daemon.commits (commits finished) at that moment.
type firstAlerts struct {
	msgs   []outbox.Msg
	commit uint64
}

// earlyPub is a message published before the publisher met it in the
// outbox.
type earlyPub struct {
	tok paho.Token
	gen uint64 // connGen when published
	at  time.Time
}

func outKey(m outbox.Msg) string { return m.Topic + "\x00" + string(m.Payload) }

// sendFirst publishes f's alerts at once if nothing may go before them:
// their own commit has not finished (so the outbox has not delivered
// them), and the outbox holds nothing but inflight (published, waiting
// for its PUBACK), if not nil. The engine commits in order, so every
// earlier commit has finished and is in what Pending reads. Otherwise
// they take the outbox's way, in order.
func (d *Daemon) sendFirst(f firstAlerts, inflight *outbox.Msg, sent map[string]earlyPub) {
	if d.commits.Load() != f.commit {
		return
	}
	pend, err := d.j.Pending()
	if err != nil || len(pend) > 1 || len(pend) == 1 && (inflight == nil || pend[0].Seq != inflight.Seq) {
		return
	}
	gen := d.connGen.Load()
	if !d.client.IsConnectionOpen() {
		return
	}
	now := d.now()
	for k, e := range sent {
		if now.Sub(e.at) > time.Minute {
			delete(sent, k) // its commit failed: it never reached the outbox
		}
	}
	for _, m := range f.msgs {
		sent[outKey(m)] = earlyPub{tok: d.client.Publish(m.Topic, 1, m.Retain, m.Payload), gen: gen, at: now}
	}
}

// publishOne publishes m (or takes the early publish of it in sent) and
// waits for its PUBACK, handing new alerts that arrive meanwhile to
// first. ok is false when the connection went away first (or the publish
// failed): the caller starts over.
func (d *Daemon) publishOne(m outbox.Msg, sent map[string]earlyPub, check <-chan time.Time, stop <-chan struct{}, first func(firstAlerts)) (ok, stopped bool) {
	var tok paho.Token
	gen := d.connGen.Load()
	if e, found := sent[outKey(m)]; found {
		delete(sent, outKey(m))
		if e.gen == gen {
			tok = e.tok
		}
	}
	if tok == nil {
		if !d.client.IsConnectionOpen() {
			return false, false
		}
		tok = d.client.Publish(m.Topic, 1, m.Retain, m.Payload)
	}
	for {
		select {
		case <-tok.Done():
			if err := tok.Error(); err != nil {
				d.log.Warn("mqtt publish failed; will retry", "topic", m.Topic, "err", err)
				return false, false
			}
			if err := d.j.Ack(m.Seq); err != nil {
				d.log.Error("outbox ack", "err", err)
			}
			return true, false
		case f := <-d.first:
			first(f)
		case <-check:
			if !d.client.IsConnectionOpen() || d.connGen.Load() != gen {
				return false, false // lost on the way; sent again on the next connection
			}
		case <-stop:
			return false, true
		}
	}
}

// noStore is a paho Store that keeps nothing: the journal's outbox is the
// lane's only copy of what is to be sent, and the publisher re-sends
// after a reconnect. (paho's own resend of stored messages races with
// publishes made while it reconnects: eclipse-paho/paho.mqtt.golang#703.)
type noStore struct{}

func (noStore) Open()                             {}
func (noStore) Put(string, packets.ControlPacket) {}
func (noStore) Get(string) packets.ControlPacket  { return nil }
func (noStore) All() []string                     { return nil }
func (noStore) Del(string)                        {}
func (noStore) Close()                            {}
func (noStore) Reset()                            {}
