package attendant

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sco-project/sco/protocol"
)

// close ends an alert: withdraws every live page, publishes the final
// record, clears the lane's assist and remembers the id.
func (d *Dispatcher) close(now time.Time, a *AlertState, status string, resolution protocol.Action, reason string, fx *Effects) {
	fx.Changed = true
	for _, r := range a.Recipients {
		fx.Pages = append(fx.Pages, d.withdrawal(now, a.Alert.ID, r, reason))
	}
	in := a.intervention(now, status, resolution, reason)
	fx.Interventions = append(fx.Interventions, in)
	d.closedLog = append(d.closedLog, in)
	a.Status = status
	rec := d.record(a)
	if status == protocol.AlertResolved {
		rec.Resolved = protocol.At(now)
		rec.Resolution = string(resolution)
	}
	fx.Records = append(fx.Records, RecordOut{Record: rec, Closed: true})
	delete(d.alerts, a.Alert.ID)
	d.setClosed(a.Alert.Lane, a.Alert.ID, now)
	fx.Assists = append(fx.Assists, d.laneAssist(now, a.Alert.Lane))
}

// LaneAlert handles lane/{lane}/alert. An id already known keeps its
// state, and a closed id stays closed: lanes re-publish their open alerts
// whenever the bridge comes online. An alert belongs to the lane that
// raised it: a message about it from another lane changes nothing, and
// closed ids are kept by lane. A lane has at most
// limits.open_alerts_per_lane open alerts: a further one is refused (the
// error says so) and paged only if the lane publishes it again (it does
// whenever bridge/state turns online) when it has fewer.
func (d *Dispatcher) LaneAlert(now time.Time, lane string, m protocol.Alert) (Effects, error) {
	var fx Effects
	if m.Lane != lane {
		return fx, fmt.Errorf("attendant: alert %s says lane %q but came on lane %q's topic", m.ID, m.Lane, lane)
	}
	if m.Store != "" && m.Store != d.cfg.Store {
		return fx, fmt.Errorf("attendant: alert %s is for store %q, this bridge serves %q", m.ID, m.Store, d.cfg.Store)
	}
	if !protocol.ValidMsgID(m.ID) {
		return fx, fmt.Errorf("attendant: lane %s alert: bad id %q (at most %d bytes of [A-Za-z0-9._:-])", lane, clip(m.ID), protocol.MaxMsgID)
	}
	if d.closedOn(lane, m.ID) {
		return fx, nil
	}
	a, known := d.alerts[m.ID]
	if known && a.Alert.Lane != lane {
		// An alert belongs to the lane that raised it: another lane can
		// neither cancel it nor raise it again.
		return fx, fmt.Errorf("attendant: lane %s sent alert %s %s, which lane %s raised: ignored", lane, m.ID, m.Status, a.Alert.Lane)
	}
	if !known && m.Status == protocol.AlertOpen {
		if n := d.openOn(lane); n >= d.cfg.Limits.OpenAlertsPerLane {
			return fx, fmt.Errorf("attendant: lane %s alert %s ignored: the lane has %d open alerts (limits.open_alerts_per_lane); it is paged if the lane publishes it again with fewer open", lane, m.ID, n)
		}
	}
	switch m.Status {
	case protocol.AlertOpen:
		if known {
			// A lane re-publishes its open alerts after it restarts or
			// reconnects. A resolution sent to it meanwhile may be lost
			// (a broker can drop a message during a session takeover),
			// so the pending command goes again: lanes are idempotent by
			// command id.
			if a.Pending != nil && d.started {
				fx.Commands = append(fx.Commands, d.command(now, a))
			}
			return fx, nil
		}
		a = &AlertState{Alert: m, Status: protocol.AlertOpen, Round: 1, Raised: m.TS.Time}
		if a.Raised.IsZero() {
			a.Raised = now
		}
		d.alerts[m.ID] = a
		fx.Changed = true
		if d.started {
			d.dispatch(now, a, 1, &fx)
			for i := range fx.Pages {
				fx.Pages[i].First = true
			}
		}
	case protocol.AlertCancelled:
		if !known {
			d.setClosed(lane, m.ID, now)
			fx.Changed = true
			return fx, nil
		}
		if a.Pending != nil {
			a.LaneCancelled = true
			fx.Changed = true
			return fx, nil
		}
		d.close(now, a, protocol.AlertCancelled, "", "cancelled by lane", &fx)
	}
	return fx, nil
}

// clip shortens an id that failed validation for a log line.
func clip(id string) string {
	if len(id) > protocol.MaxMsgID {
		return id[:protocol.MaxMsgID] + fmt.Sprintf("... (%d bytes)", len(id))
	}
	return id
}

// openOn counts a lane's open alerts.
func (d *Dispatcher) openOn(lane string) int {
	n := 0
	for _, a := range d.alerts {
		if a.Alert.Lane == lane {
			n++
		}
	}
	return n
}

// LaneResult handles lane/{lane}/command/result: an ok result resolves
// the alert; an error leaves it claimed and tells the pager.
func (d *Dispatcher) LaneResult(now time.Time, lane string, r protocol.CommandResult) (Effects, error) {
	var fx Effects
	if !protocol.ValidMsgID(r.ID) {
		return fx, fmt.Errorf("attendant: lane %s command result: bad id %q", lane, clip(r.ID))
	}
	if d.laneOpResult(now, lane, r, &fx) {
		return fx, nil
	}
	var a *AlertState
	for _, id := range d.alertIDs() {
		if x := d.alerts[id]; x.Pending != nil && x.Pending.LaneCmd == r.ID && x.Alert.Lane == lane {
			a = x
		}
	}
	if a == nil {
		return fx, nil // a duplicate, or an answer to a command already settled
	}
	p := a.Pending
	a.Pending = nil
	fx.Changed = true
	res := protocol.PagerResult{ID: p.PagerCmd, OK: r.OK, ClaimedBy: p.By, TS: protocol.At(now)}
	var err error
	switch {
	case r.OK:
		d.close(now, a, protocol.AlertResolved, p.Resolution, "resolved", &fx)
	case a.LaneCancelled:
		res.Error = string(protocol.ErrCancelledByLane)
		d.close(now, a, protocol.AlertCancelled, "", "cancelled by lane", &fx)
	case strings.HasSuffix(r.Error, protocol.LaneErrAlreadyCancelled):
		// The lane cancelled it and the cancel never reached the bridge.
		res.Error = string(protocol.ErrCancelledByLane)
		d.close(now, a, protocol.AlertCancelled, "", "cancelled by lane", &fx)
	case strings.HasPrefix(r.Error, protocol.LaneErrUnknownAlert):
		// The lane raised it and died before its journal had it (it
		// publishes a new alert while journaling it): it came back
		// without the alert, so nobody can resolve it there.
		res.Error = string(protocol.ErrNotOnLane)
		d.close(now, a, protocol.AlertCancelled, "", "not open on the lane", &fx)
	default:
		res.Error = string(protocol.ErrLanePrefix) + r.Error
		err = errors.New("attendant: lane " + lane + " refused " + string(p.Resolution) + " on alert " + a.Alert.ID + ": " + r.Error)
	}
	d.setResult(p.By+"/"+p.PagerCmd, StoredResult{Result: res, At: now})
	fx.Results = append(fx.Results, ResultOut{To: p.By, Result: res})
	return fx, err
}

// LaneState handles the retained lane/{lane}/state: the bridge closes, as
// cancelled, every open alert of that lane that the lane's alerts list no
// longer holds and that has no command pending (its cancel was lost on
// the way). A lane that is not online (its will) changes nothing: its
// alerts wait for it.
func (d *Dispatcher) LaneState(now time.Time, lane string, s protocol.LaneState) (Effects, error) {
	var fx Effects
	if s.Lane != lane {
		return fx, fmt.Errorf("attendant: state says lane %q but came on lane %q's topic", s.Lane, lane)
	}
	s.Basket = nil
	d.lanes[lane] = s
	if !s.Online {
		return fx, nil
	}
	for _, id := range d.alertIDs() {
		a := d.alerts[id]
		if a.Alert.Lane != lane || a.Pending != nil || slices.Contains(s.Alerts, id) {
			continue
		}
		d.close(now, a, protocol.AlertCancelled, "", "cancelled by lane", &fx)
	}
	return fx, nil
}
