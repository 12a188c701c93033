package attendant

import (
	"fmt"
	"time"

	"github.com/sco-project/sco/protocol"
)

// laneOp handles the pager action "lane": a supervisor takes a lane out
// of service or puts it back. The lane is sent a command without an
// alert; the supervisor is answered when the lane answers (LaneResult),
// or "lane: no answer" after LaneOpTimeout.
func (d *Dispatcher) laneOp(now time.Time, at *Attendant, c protocol.PagerCmd) (Effects, error) {
	var fx Effects
	reply := func(errText string) (Effects, error) {
		r := protocol.PagerResult{ID: c.ID, Error: errText, TS: protocol.At(now)}
		d.setResult(at.ID+"/"+c.ID, StoredResult{Result: r, At: now})
		fx.Changed = true
		fx.Results = append(fx.Results, ResultOut{To: at.ID, Result: r})
		return fx, fmt.Errorf("attendant: %s lane %s %s: %s", at.ID, c.Lane, c.Resolution, errText)
	}
	if !at.HasRole(protocol.RoleSupervisor) {
		return reply(fmt.Sprintf("%s: lane needs %s", protocol.ErrRoleRequired, protocol.RoleSupervisor))
	}
	if _, seen := d.lanes[c.Lane]; !seen {
		return reply(string(protocol.ErrUnknownLane))
	}
	for _, op := range d.laneOps {
		if op.Lane == c.Lane {
			return reply(string(protocol.ErrPending))
		}
	}
	op := &LaneOp{Lane: c.Lane, LaneCmd: laneCmdID("lane."+c.Lane, at.ID, c.ID), PagerCmd: c.ID, By: at.ID, Action: c.Resolution, At: now}
	d.laneOps[op.LaneCmd] = op
	fx.Changed = true
	fx.Commands = append(fx.Commands, laneOpCommand(now, op))
	return fx, nil
}

// laneOpCommand is the lane command of a lane op: no alert.
func laneOpCommand(now time.Time, op *LaneOp) CommandOut {
	return CommandOut{Lane: op.Lane, Command: protocol.Command{ID: op.LaneCmd, Action: op.Action, By: op.By, TS: protocol.At(now)}}
}

// laneOpResult answers the supervisor of the lane op a lane's result is
// for; false when it is for none.
func (d *Dispatcher) laneOpResult(now time.Time, lane string, r protocol.CommandResult, fx *Effects) bool {
	op, ok := d.laneOps[r.ID]
	if !ok || op.Lane != lane {
		return false
	}
	errText := ""
	if !r.OK {
		errText = string(protocol.ErrLanePrefix) + r.Error
	}
	d.answerLaneOp(now, op, errText, fx)
	return true
}

func (d *Dispatcher) answerLaneOp(now time.Time, op *LaneOp, errText string, fx *Effects) {
	delete(d.laneOps, op.LaneCmd)
	res := protocol.PagerResult{ID: op.PagerCmd, OK: errText == "", Error: errText, TS: protocol.At(now)}
	d.setResult(op.By+"/"+op.PagerCmd, StoredResult{Result: res, At: now})
	fx.Changed = true
	fx.Results = append(fx.Results, ResultOut{To: op.By, Result: res})
}

// expireLaneOps answers the lane ops no lane answered in time.
func (d *Dispatcher) expireLaneOps(now time.Time, fx *Effects) {
	for _, op := range d.laneOpList() {
		if now.Sub(op.At) >= LaneOpTimeout {
			d.answerLaneOp(now, d.laneOps[op.LaneCmd], string(protocol.ErrLanePrefix)+"no answer", fx)
		}
	}
}

// nextLaneOpExpiry is when the oldest lane op times out.
func (d *Dispatcher) nextLaneOpExpiry() time.Time {
	var next time.Time
	for _, op := range d.laneOps {
		if t := op.At.Add(LaneOpTimeout); next.IsZero() || t.Before(next) {
			next = t
		}
	}
	return next
}

// EscalateNow is the store console's "escalate now": a supervisor moves
// an alert nobody claimed to its next tier at once (at tier 3, pages
// tier 3 again). The error, for the console to show, wraps the
// protocol.PagerError that applies: unknown attendant, unknown alert,
// alert closed, role required, already claimed.
func (d *Dispatcher) EscalateNow(now time.Time, who, alert string) (Effects, error) {
	var fx Effects
	at, ok := d.roster[who]
	switch {
	case !ok:
		return fx, fmt.Errorf("attendant: escalate %s by %s: %w", alert, who, protocol.ErrUnknownAttendant)
	case d.alerts[alert] == nil && d.isClosed(alert):
		return fx, fmt.Errorf("attendant: escalate %s by %s: %w", alert, who, protocol.ErrAlertClosed)
	case d.alerts[alert] == nil:
		return fx, fmt.Errorf("attendant: escalate %s by %s: %w", alert, who, protocol.ErrUnknownAlert)
	case !at.HasRole(protocol.RoleSupervisor):
		return fx, fmt.Errorf("attendant: escalate %s by %s: %w: escalate needs %s", alert, who, protocol.ErrRoleRequired, protocol.RoleSupervisor)
	}
	a := d.alerts[alert]
	if a.ClaimedBy != "" {
		return fx, fmt.Errorf("attendant: escalate %s by %s: %w by %s", alert, who, protocol.ErrAlreadyClaimed, a.ClaimedBy)
	}
	if !d.started {
		return fx, fmt.Errorf("attendant: escalate %s by %s: the bridge is not paging yet", alert, who)
	}
	d.dispatch(now, a, min(a.Tier+1, 3), &fx)
	return fx, nil
}
