package daemon

import (
	"errors"
	"time"

	"github.com/sco-project/sco/kiosk"
	"github.com/sco-project/sco/kiosk/outbox"
	"github.com/sco-project/sco/protocol"
)

// A lane that cannot journal stops selling. When a journal write fails
// (disk full, read-only, I/O error), the step that needed it is rolled
// back, so the shopper never sees it, and the engine is told
// (kiosk.EvJournal): the lane goes out of service with a device_fault
// alert whose detail names the journal, and refuses scans and finish.
// What must still reach the broker (that alert, the closed lane's state,
// a take-back of an alert the failed step sent early) goes through the
// outbox without the disk (outbox.Send).
//
// Meanwhile nothing is journaled: every step that would change the
// session is rolled back, the conn and assist events among them kept to
// be handled again later; commands are answered that the journal cannot
// be written. The daemon tries again to write, from probeMin doubling to
// probeMax; the write that succeeds is the one that puts the lane back in
// service (it cancels the alert), and the kept events follow it.

// errJournal answers the shopper's requests while the journal cannot be
// written (HTTP 409, as any request the lane refuses).
var errJournal = errors.New("the lane cannot write its journal: it is out of service until it can")

// The wait between tries to write the journal again.
const (
	probeMin = time.Second
	probeMax = 10 * time.Second
)

// journalFailed puts the lane out of service after err: failed are the
// effects of the step whose write failed (already rolled back).
func (d *Daemon) journalFailed(err error, failed kiosk.Effects) {
	d.faulted = true
	d.probeWait = probeMin
	d.probeAt = d.now().Add(d.probeWait)
	d.log.Error("journal cannot be written: the lane is out of service until it can", "err", err)
	var msgs []outbox.Msg
	for _, a := range failed.Alerts {
		if a.Status == protocol.AlertOpen {
			// It may have gone out before the failed write (Msg.Early):
			// the bridge must not keep paging for it.
			a.Status, a.TS = protocol.AlertCancelled, protocol.At(d.now())
			msgs = append(msgs, d.alertMsg(a))
		}
	}
	eff := d.eng.Handle(kiosk.Event{Kind: kiosk.EvJournal, At: d.now(), Err: err})
	msgs = append(msgs, d.messages(eff, false)...)
	msgs = append(msgs, d.pages(eff)...)
	d.send(msgs...)
	d.logEffects(eff)
	d.apply(eff, false)
}

// whileFaulted handles the effects of a step taken while the journal
// cannot be written: one that changed the session is rolled back
// (errJournal); what is left is answers to duplicate commands.
func (d *Daemon) whileFaulted(ev kiosk.Event, before kiosk.Snapshot, eff kiosk.Effects) error {
	if !eff.Changed {
		var msgs []outbox.Msg
		for _, r := range eff.Results {
			msgs = append(msgs, d.resultMsg(r))
		}
		d.send(msgs...)
		d.logEffects(eff)
		return nil
	}
	d.rollback(before)
	switch ev.Kind {
	case kiosk.EvConn, kiosk.EvAssist:
		d.keep(ev)
	case kiosk.EvCommand:
		r := protocol.CommandResult{ID: ev.Command.ID, OK: false, Error: errJournal.Error(), TS: protocol.At(ev.At)}
		d.log.Info("command result", "id", r.ID, "ok", r.OK, "error", r.Error)
		d.send(d.resultMsg(r))
	}
	return errJournal
}

// keep remembers a conn or assist event rolled back while the journal
// cannot be written, to be handled again once it can: the latest per
// device, and the latest assist.
func (d *Daemon) keep(ev kiosk.Event) {
	for i, k := range d.kept {
		if k.Kind == ev.Kind && (ev.Kind == kiosk.EvAssist || k.Conn.Device == ev.Conn.Device) {
			d.kept = append(d.kept[:i], d.kept[i+1:]...)
			break
		}
	}
	d.kept = append(d.kept, ev)
}

// probe tries to write the journal again: the engine takes the lane back
// into service, and if that step is journaled the lane is back; if not
// it is rolled back and tried again later.
func (d *Daemon) probe() {
	before := d.eng.Snapshot()
	eff := d.eng.Handle(kiosk.Event{Kind: kiosk.EvJournal, At: d.now()})
	if err := d.commit(eff, false); err != nil {
		d.rollback(before)
		d.probeWait = min(2*d.probeWait, probeMax)
		d.probeAt = d.now().Add(d.probeWait)
		d.log.Debug("journal still cannot be written", "err", err, "retry_in", d.probeWait)
		return
	}
	d.faulted = false
	d.log.Info("journal can be written again: the lane is back in service")
	kept := d.kept
	d.kept = nil
	for _, ev := range kept {
		ev.At = time.Time{}
		if _, err := d.handle(ev); err != nil {
			return
		}
	}
}

// rollback puts the engine back as it was before a step that could not
// be journaled.
func (d *Daemon) rollback(before kiosk.Snapshot) {
	if err := d.eng.Restore(before); err != nil {
		// It came from the engine a moment ago: it cannot be invalid.
		panic("daemon: rollback: " + err.Error())
	}
}

// send queues msgs without the journal (outbox.Send).
func (d *Daemon) send(msgs ...outbox.Msg) {
	if len(msgs) == 0 {
		return
	}
	if err := d.out.Send(msgs...); err != nil {
		d.log.Error("outbox", "err", err)
	}
}

// enqueue journals msgs (no session change) and, when the journal cannot
// be written, sends them all the same.
func (d *Daemon) enqueue(msgs ...outbox.Msg) {
	if d.faulted {
		d.send(msgs...)
		return
	}
	if err := d.out.Commit(nil, msgs...); err != nil {
		d.journalFailed(err, kiosk.Effects{})
		d.send(msgs...)
	}
}
