package daemon

import (
	"context"
	"errors"
	"time"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/kiosk"
	"github.com/sco-project/sco/kiosk/outbox"
	"github.com/sco-project/sco/protocol"
)

type reqKind uint8

const (
	reqHelp reqKind = iota
	reqHelpCancel
	reqFinish
	reqCatalog
	reqOwnBag
	reqSkipBag
)

// request is a call into the engine goroutine from another goroutine
// (the local API, a SIGHUP).
type request struct {
	kind    reqKind
	catalog kiosk.Catalog
	reply   chan reply
}

type reply struct {
	state protocol.LaneState
	err   error
}

// errStopped is returned for requests made while the lane shuts down.
var errStopped = errors.New("daemon: lane is shutting down")

// do runs r on the engine goroutine and waits for its answer.
func (d *Daemon) do(r request) (protocol.LaneState, error) {
	r.reply = make(chan reply, 1)
	select {
	case d.reqs <- r:
	case <-d.loopDone:
		return protocol.LaneState{}, errStopped
	}
	select {
	case rep := <-r.reply:
		return rep.state, rep.err
	case <-d.loopDone:
		return protocol.LaneState{}, errStopped
	}
}

// loop is the engine goroutine: the only one that touches d.eng.
func (d *Daemon) loop(ctx context.Context) {
	// Start: the shopper's timers start afresh from now (the downtime
	// is not prompting); publish where the lane stands (online), light
	// and scanner as the restored session wants them.
	before := d.eng.Snapshot()
	eff := d.eng.Handle(kiosk.Event{Kind: kiosk.EvStart, At: d.now()})
	on := d.eng.ScannerEnabled()
	eff.Scanner = &on
	if err := d.commit(eff, true); err != nil {
		d.rollback(before)
		d.journalFailed(err, eff)
	}
	if open := d.eng.OpenAlerts(); len(open) > 0 {
		d.log.Info("open alerts after restart", "count", len(open))
	}

	var scans <-chan devices.Scan
	var scanConn, scaleConn <-chan devices.ConnEvent
	var readings <-chan devices.Reading
	var presses <-chan time.Time
	if d.scanner != nil {
		scans, scanConn = d.scanner.Scans(), d.scanner.Conn()
	}
	if d.scale != nil {
		readings, scaleConn = d.scale.Readings(), d.scale.Conn()
	}
	if d.button != nil {
		presses = d.button.Presses()
	}

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		d.armTimer(timer)
		select {
		case <-ctx.Done():
			return
		case s, ok := <-scans:
			if !ok {
				scans = nil
				continue
			}
			d.handle(kiosk.Event{Kind: kiosk.EvScan, Scan: s})
			d.log.Info("scan", "data", s.Data, "aim", s.AIM)
		case r, ok := <-readings:
			if !ok {
				readings = nil
				continue
			}
			d.metrics.reading(r.Status)
			d.handle(kiosk.Event{Kind: kiosk.EvReading, Reading: r})
		case c, ok := <-scanConn:
			if !ok {
				scanConn = nil
				continue
			}
			d.onConn("scanner", c)
		case c, ok := <-scaleConn:
			if !ok {
				scaleConn = nil
				continue
			}
			d.onConn("scale", c)
		case _, ok := <-presses:
			if !ok {
				presses = nil
				continue
			}
			d.log.Info("help button pressed")
			d.handle(kiosk.Event{Kind: kiosk.EvHelp})
		case r := <-d.reqs:
			r.reply <- d.onRequest(r)
		case <-d.inbox.Ready():
			ms, _ := d.inbox.Drain()
			for _, m := range ms {
				d.onInbound(m)
			}
		case <-timer.C:
			if d.faulted {
				d.probe()
				continue
			}
			d.handle(kiosk.Event{Kind: kiosk.EvTick})
		}
	}
}

// armTimer sets t to fire at the engine's next deadline (or far away
// when there is none); while the journal cannot be written, at the next
// try to write it instead (the engine's timers wait meanwhile).
func (d *Daemon) armTimer(t *time.Timer) {
	wait := time.Hour
	if dl := d.eng.NextDeadline(); !dl.IsZero() {
		wait = max(dl.Sub(d.now()), 0)
	}
	if d.faulted {
		wait = max(d.probeAt.Sub(d.now()), 0)
	}
	t.Reset(wait)
}

func (d *Daemon) onConn(device string, c devices.ConnEvent) {
	c.Device = device
	if c.Up {
		d.log.Info("device connected", "device", device)
	} else {
		d.log.Warn("device lost", "device", device, "err", c.Err)
	}
	if d.lost == nil {
		d.lost = map[string]bool{}
	}
	d.metrics.conn(device, c.Up, d.lost[device])
	d.lost[device] = !c.Up
	d.handle(kiosk.Event{Kind: kiosk.EvConn, Conn: c})
}

func (d *Daemon) onRequest(r request) reply {
	var ev kiosk.Event
	switch r.kind {
	case reqCatalog:
		d.eng.SetCatalog(r.catalog)
		d.log.Info("catalogue reloaded", "file", d.cfg.Catalog)
		return reply{}
	case reqHelp:
		ev.Kind = kiosk.EvHelp
	case reqHelpCancel:
		ev.Kind = kiosk.EvHelpCancel
	case reqFinish:
		ev.Kind = kiosk.EvFinish
	case reqOwnBag:
		ev.Kind = kiosk.EvOwnBag
	case reqSkipBag:
		ev.Kind = kiosk.EvSkipBag
	}
	eff, err := d.handle(ev)
	switch {
	case err != nil:
		return reply{state: d.apiState(), err: err}
	case eff.Refused != "":
		return reply{state: d.apiState(), err: errors.New(eff.Refused)}
	}
	return reply{state: d.apiState()}
}

// handle feeds one event to the engine and carries out its effects. It
// returns errJournal when the step could not be journaled: it was rolled
// back, and the shopper never saw it.
func (d *Daemon) handle(ev kiosk.Event) (kiosk.Effects, error) {
	if ev.At.IsZero() {
		ev.At = d.now()
	}
	before := d.eng.Snapshot()
	eff := d.eng.Handle(ev)
	if d.faulted {
		return eff, d.whileFaulted(ev, before, eff)
	}
	if err := d.commit(eff, false); err != nil {
		d.rollback(before)
		d.journalFailed(err, eff)
		return kiosk.Effects{}, errJournal
	}
	return eff, nil
}

// commit carries out an engine's effects in the order the engine's
// contract sets: journal (snapshot and outgoing messages, one synced
// transaction), then publish, then the shopper screen, light and scanner.
// When the journal write fails nothing else is done: the caller rolls
// the step back.
//
// One message does not wait for the journal: a newly raised alert is an
// early message (outbox.Msg.Early) and goes out at once when nothing is
// waiting ahead of it in the outbox, so a stuck shopper's wait does not
// include the lane's fsync. If the lane dies before the commit is on
// disk, the bridge may page an alert the restarted lane has never heard
// of, and the lane answers the attendant's resolution with "unknown
// alert", which closes it on the bridge. The session itself is never
// ahead of the disk.
func (d *Daemon) commit(eff kiosk.Effects, start bool) error {
	msgs := d.messages(eff, start)
	var snap any
	if eff.Changed {
		snap = d.eng.Snapshot()
	}
	took := time.Duration(-1) // nothing to journal
	if snap != nil || len(msgs) > 0 {
		began := time.Now() // a measurement, not the lane's clock
		if err := d.out.Commit(snap, msgs...); err != nil {
			return err
		}
		took = time.Since(began)
	}
	if len(eff.Learned) > 0 {
		d.weights.save(eff.Learned) // not session state: its own file, not synced
	}
	d.metrics.step(eff, took)
	d.send(d.pages(eff)...)
	d.logEffects(eff)
	d.apply(eff, start)
	return nil
}

// messages are the MQTT messages to journal for eff: its alerts, its
// command results, and the lane state when it changed (always at start).
func (d *Daemon) messages(eff kiosk.Effects, start bool) []outbox.Msg {
	var msgs []outbox.Msg
	for _, a := range eff.Alerts {
		m := d.alertMsg(a)
		m.Early = a.Status == protocol.AlertOpen
		msgs = append(msgs, m)
	}
	for _, r := range eff.Results {
		msgs = append(msgs, d.resultMsg(r))
	}
	if c := eff.Checkout; c != nil {
		// In the same commit as the end of the session: a lane killed at
		// any moment has either both or neither.
		msgs = append(msgs, outbox.Msg{Topic: d.topic(protocol.LaneCheckoutTopic), Payload: protocol.Encode(c)})
	}
	if eff.Changed || start {
		msgs = append(msgs, d.stateMsg(d.eng.State()))
	}
	return msgs
}

func (d *Daemon) logEffects(eff kiosk.Effects) {
	for _, a := range eff.Alerts {
		d.log.Info("alert", "id", a.ID, "kind", a.Kind, "status", a.Status, "detail", a.Detail)
	}
	for _, r := range eff.Results {
		d.log.Info("command result", "id", r.ID, "ok", r.OK, "error", r.Error)
	}
	if c := eff.Checkout; c != nil {
		d.log.Info("checkout", "session", c.Session, "items", c.Items, "total_cents", c.TotalCents, "alerts", c.Alerts)
	}
}

// apply shows the new state on the screen and the light, and enables or
// disables the scanner, as eff says.
func (d *Daemon) apply(eff kiosk.Effects, start bool) {
	if eff.Changed || start {
		d.show(d.eng.State())
	}
	if eff.Scanner != nil && d.scanner != nil {
		if err := d.scanner.SetEnabled(*eff.Scanner); err != nil {
			d.log.Warn("scanner enable/disable", "on", *eff.Scanner, "err", err)
		}
	}
}

// show updates the local API's state, the SSE clients and the light.
// A new lane's state, which nothing has changed yet, keeps the time New
// gave it.
func (d *Daemon) show(st protocol.LaneState) {
	prev := d.state.Load()
	if prev.State != st.State || prev.Light != st.Light || prev.Prompt != st.Prompt {
		d.log.Info("lane", "state", st.State, "light", st.Light, "prompt", st.Prompt, "items", st.Items, "session", st.Session)
	}
	if st.TS.IsZero() {
		st.TS = prev.TS
	}
	d.state.Store(&st)
	d.hub.publish(st)
	if p := devices.LightPattern(st.Light); d.light != nil && p != d.lastLight {
		if err := d.light.Set(p); err != nil {
			d.log.Warn("light", "pattern", p, "err", err)
		} else {
			d.lastLight = p
		}
	}
}

// apiState is the latest state for the local API; safe from any
// goroutine (New stores the first one).
func (d *Daemon) apiState() protocol.LaneState { return *d.state.Load() }

func (d *Daemon) topic(f func(store, lane string) string) string { return f(d.cfg.Store, d.cfg.Lane) }

func (d *Daemon) stateMsg(st protocol.LaneState) outbox.Msg {
	st.Basket = nil // GET /api/state only
	if st.TS.IsZero() {
		st.TS = protocol.At(d.now()) // nothing changed since a new lane started
	}
	if st.Alerts == nil {
		st.Alerts = []string{}
	}
	return outbox.Msg{Topic: d.topic(protocol.LaneStateTopic), Payload: protocol.Encode(st), Retain: true}
}

func (d *Daemon) alertMsg(a protocol.Alert) outbox.Msg {
	return outbox.Msg{Topic: d.topic(protocol.LaneAlertTopic), Payload: protocol.Encode(a)}
}

func (d *Daemon) resultMsg(r protocol.CommandResult) outbox.Msg {
	return outbox.Msg{Topic: d.topic(protocol.LaneResultTopic), Payload: protocol.Encode(r)}
}

// pages are the broadcast pages for the alerts eff raised, while the
// bridge is offline.
func (d *Daemon) pages(eff kiosk.Effects) []outbox.Msg {
	if d.bridge != bridgeOffline {
		return nil
	}
	var msgs []outbox.Msg
	for _, a := range eff.Alerts {
		if a.Status == protocol.AlertOpen {
			msgs = append(msgs, d.pageMsg(a))
		}
	}
	return msgs
}

// pageMsg is the broadcast page a lane sends while the bridge is down.
// It is not journaled (Outbox.Send): the pages are derived again on each
// connection from the bridge's retained state. It is only ever published
// while the bridge is known to be offline on the current connection
// (Msg.Valid), so a page that waited in the outbox while the bridge came
// back, or while the lane reconnected, is dropped: pagers do not ring
// for broadcast/page while the bridge is online.
func (d *Daemon) pageMsg(a protocol.Alert) outbox.Msg {
	text := protocol.BroadcastText(d.cfg.Lane, d.cfg.Zone, a.Kind)
	if a.Item != nil && a.Item.Name != "" {
		text += ": " + a.Item.Name
	}
	p := protocol.Page{
		Alert: a.ID, Lane: d.cfg.Lane, Zone: d.cfg.Zone, Kind: a.Kind, Severity: a.Severity,
		Text: text, Tier: 3, TS: protocol.At(d.now()),
	}
	return outbox.Msg{Topic: protocol.BroadcastPageTopic(d.cfg.Store), Payload: protocol.Encode(p), Valid: d.bridgeDown.Load}
}
