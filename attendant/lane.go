package attendant

import (
	"errors"
	"fmt"
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
	a.Status = status
	rec := d.record(a)
	if status == protocol.AlertResolved {
		rec.Resolved = protocol.At(now)
		rec.Resolution = string(resolution)
	}
	fx.Records = append(fx.Records, RecordOut{Record: rec, Closed: true})
	delete(d.alerts, a.Alert.ID)
	d.setClosed(a.Alert.ID, now)
	fx.Assists = append(fx.Assists, d.laneAssist(now, a.Alert.Lane))
}

// LaneAlert handles lane/{lane}/alert. An id already known keeps its
// state, and a closed id stays closed: lanes re-publish their open alerts
// whenever the bridge comes online.
func (d *Dispatcher) LaneAlert(now time.Time, lane string, m protocol.Alert) (Effects, error) {
	var fx Effects
	if m.Lane != lane {
		return fx, fmt.Errorf("attendant: alert %s says lane %q but came on lane %q's topic", m.ID, m.Lane, lane)
	}
	if m.Store != "" && m.Store != d.cfg.Store {
		return fx, fmt.Errorf("attendant: alert %s is for store %q, this bridge serves %q", m.ID, m.Store, d.cfg.Store)
	}
	if !validAlertID(m.ID) {
		return fx, fmt.Errorf("attendant: alert id %q cannot be a topic level (no /, +, #, at most %d bytes)", m.ID, maxAlertID)
	}
	if _, closed := d.closed[m.ID]; closed {
		return fx, nil
	}
	a, known := d.alerts[m.ID]
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
			d.setClosed(m.ID, now)
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

const maxAlertID = 128

// validAlertID reports whether id can name the topic alert/{id}: a
// wildcard or a slash there would make the broker drop the bridge.
func validAlertID(id string) bool {
	return id != "" && len(id) <= maxAlertID && !strings.ContainsAny(id, "/+#\x00")
}

// LaneResult handles lane/{lane}/command/result: an ok result resolves
// the alert; an error leaves it claimed and tells the pager.
func (d *Dispatcher) LaneResult(now time.Time, lane string, r protocol.CommandResult) (Effects, error) {
	var fx Effects
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
