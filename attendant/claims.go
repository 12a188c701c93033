package attendant

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/sco-project/sco/protocol"
)

// PagerCmd handles pager/{id}/cmd: claim, release, resolve, arrive or
// lane. The error is for the log; the pager's answer is in the effects.
// An in-process device (the web app) calls it for its commands.
//
// The checks run in the contract's order, and the first that fails
// answers: bad command, bad id, rate limited, stale, unknown attendant, unknown alert, alert
// closed, not paged for this alert, role required (with resolution not
// allowed for this alert just before it), already claimed, resolution
// pending; a resolve is answered when the lane is (LaneResult). Every
// command with a valid id is answered exactly once, and a duplicate gets
// the same answer again; claimed_by is whoever holds the alert ("" when
// nobody does or the alert is not open).
func (d *Dispatcher) PagerCmd(now time.Time, who string, c protocol.PagerCmd) (Effects, error) {
	var fx Effects
	if err := c.Validate(); err != nil {
		return d.refuse(now, who, c.ID, c.Alert, string(protocol.ErrBadCommand)+": "+err.Error())
	}
	if !protocol.ValidMsgID(c.ID) || (c.Alert != "" && !protocol.ValidMsgID(c.Alert)) {
		return d.refuse(now, who, c.ID, c.Alert, string(protocol.ErrBadID))
	}
	allowed := d.allow(now, who)
	key := who + "/" + c.ID
	if r, ok := d.results[key]; ok {
		// A duplicate delivery: the same answer again, nothing else. It
		// takes a token too, but is answered even without one.
		fx.Results = append(fx.Results, ResultOut{To: who, Result: r.Result})
		return fx, nil
	}
	if !allowed {
		return d.refuse(now, who, c.ID, c.Alert, string(protocol.ErrRateLimited))
	}
	if !c.TS.IsZero() && now.Sub(c.TS.Time) > d.cfg.Limits.CmdMaxAge {
		// Sent long ago (a handheld that was away, a queue replayed): what
		// the attendant saw then may no longer hold. No ts: accepted.
		return d.refuse(now, who, c.ID, c.Alert, string(protocol.ErrStale))
	}
	if d.inFlight(who, c.ID) {
		return fx, nil // a duplicate of a command the lane has: answered when the lane answers
	}
	at, ok := d.roster[who]
	if !ok {
		return d.refuse(now, who, c.ID, c.Alert, string(protocol.ErrUnknownAttendant))
	}
	if c.Action == protocol.PagerLane {
		return d.laneOp(now, at, c)
	}
	// reply answers the command and remembers the answer.
	reply := func(errText, claimedBy string) (Effects, error) {
		r := protocol.PagerResult{ID: c.ID, OK: errText == "", Error: errText, ClaimedBy: claimedBy, TS: protocol.At(now)}
		d.setResult(key, StoredResult{Result: r, At: now})
		fx.Changed = true
		fx.Results = append(fx.Results, ResultOut{To: who, Result: r})
		if errText != "" {
			return fx, fmt.Errorf("attendant: %s %s %s on alert %s: %s", who, c.Action, c.Resolution, c.Alert, errText)
		}
		return fx, nil
	}
	a, open := d.alerts[c.Alert]
	if !open {
		if d.isClosed(c.Alert) {
			return reply(string(protocol.ErrAlertClosed), "")
		}
		return reply(string(protocol.ErrUnknownAlert), "")
	}
	if !slices.Contains(a.Paged, who) && a.ClaimedBy != who {
		return reply(string(protocol.ErrNotPaged), a.ClaimedBy)
	}
	if c.Action == protocol.PagerResolve {
		if !protocol.Allowed(a.Alert.Kind, c.Resolution) {
			return reply(fmt.Sprintf("%s: %s for %s", protocol.ErrNotAllowed, c.Resolution, a.Alert.Kind), a.ClaimedBy)
		}
		if role := roleForAction(c.Resolution); !mayUse(at, c.Resolution) {
			return reply(fmt.Sprintf("%s: %s needs %s", protocol.ErrRoleRequired, c.Resolution, role), a.ClaimedBy)
		}
	}
	if a.ClaimedBy != "" && a.ClaimedBy != who {
		return reply(string(protocol.ErrAlreadyClaimed), a.ClaimedBy)
	}
	switch c.Action {
	case protocol.PagerClaim:
		if a.ClaimedBy != who {
			d.claim(now, a, who, &fx)
		}
		return reply("", who)
	case protocol.PagerArrive:
		// Arriving at an alert nobody holds claims it, as a resolve does.
		if a.ClaimedBy != who {
			d.claim(now, a, who, &fx)
		}
		a.Arrived = now
		a.logArrive(now)
		d.zoneAt[who] = a.Alert.Zone
		fx.Changed = true
		// The shopper is told she is here.
		fx.Assists = append(fx.Assists, d.laneAssist(now, a.Alert.Lane))
		return reply("", who)
	case protocol.PagerRelease:
		if a.Pending != nil {
			return reply(string(protocol.ErrPending), a.ClaimedBy)
		}
		if a.ClaimedBy == who {
			d.reopen(now, a, "released", &fx)
			return reply("", "")
		}
		d.decline(now, a, who, &fx)
		return reply("", "")
	}
	// Resolve.
	if a.Pending != nil {
		return reply(string(protocol.ErrPending), a.ClaimedBy)
	}
	if a.ClaimedBy != who {
		d.claim(now, a, who, &fx)
	}
	a.Pending = &Pending{LaneCmd: laneCmdID(a.Alert.ID, who, c.ID), PagerCmd: c.ID, By: who, Resolution: c.Resolution, At: now}
	fx.Changed = true
	fx.Commands = append(fx.Commands, d.command(now, a))
	return fx, nil
}

// inFlight reports whether who's command id is with a lane: a duplicate
// of a resolution or lane command, answered when the lane answers.
func (d *Dispatcher) inFlight(who, id string) bool {
	for _, a := range d.alerts {
		if p := a.Pending; p != nil && p.PagerCmd == id && p.By == who {
			return true
		}
	}
	for _, op := range d.laneOps {
		if op.PagerCmd == id && op.By == who {
			return true
		}
	}
	return false
}

// refuse answers a command that changes nothing and is not remembered
// (a duplicate is checked again and gets the same answer): when its id
// can be echoed (1 to 128 bytes), else it is only logged. claimed_by is
// whoever holds the alert the command names, when it is open.
func (d *Dispatcher) refuse(now time.Time, who, id, alert, errText string) (Effects, error) {
	var fx Effects
	if id != "" && len(id) <= protocol.MaxMsgID {
		var claimedBy string
		if a := d.alerts[alert]; a != nil {
			claimedBy = a.ClaimedBy
		}
		fx.Results = append(fx.Results, ResultOut{To: who, Result: protocol.PagerResult{ID: id, Error: errText, ClaimedBy: claimedBy, TS: protocol.At(now)}})
	}
	return fx, fmt.Errorf("attendant: %s pager command %q: %s", who, clip(id), errText)
}

// decline takes who's page of an alert nobody claimed off their screen.
func (d *Dispatcher) decline(now time.Time, a *AlertState, who string, fx *Effects) {
	if !slices.Contains(a.Declined, who) {
		a.Declined = append(a.Declined, who)
	}
	fx.Changed = true
	if slices.Contains(a.Recipients, who) {
		fx.Pages = append(fx.Pages, d.withdrawal(now, a.Alert.ID, who, "released"))
		a.Recipients = slices.DeleteFunc(a.Recipients, func(s string) bool { return s == who })
		if len(a.Recipients) == 0 {
			d.escalateNow(now, a, fx)
		}
	}
}

// mayUse reports whether an attendant's roles allow a resolution.
func mayUse(at *Attendant, r protocol.Action) bool {
	role := roleForAction(r)
	return at.HasRole(role) || (role == protocol.RoleAttendant && at.HasRole(protocol.RoleSupervisor))
}

// roleForAction is the role a resolution needs: age decisions need an age
// verifier; anything else an attendant (a supervisor counts).
func roleForAction(r protocol.Action) string {
	if r == protocol.ActionAgeOK || r == protocol.ActionAgeRefused {
		return protocol.RoleAgeVerifier
	}
	return protocol.RoleAttendant
}

// laneCmdID is the id of the lane command that carries who's resolution
// cmd of alert: "{alert}:{who}:{cmd}" when that is a valid id, else
// "{who}:" and a hash of the three (the same every time, so a command
// sent again keeps its id).
func laneCmdID(alert, who, cmd string) string {
	id := alert + ":" + who + ":" + cmd
	if protocol.ValidMsgID(id) {
		return id
	}
	h := sha256.Sum256([]byte(id))
	return who + ":" + hex.EncodeToString(h[:20])
}

func (d *Dispatcher) command(now time.Time, a *AlertState) CommandOut {
	p := a.Pending
	return CommandOut{Lane: a.Alert.Lane, Command: protocol.Command{ID: p.LaneCmd, Alert: a.Alert.ID, Action: p.Resolution, By: p.By, TS: protocol.At(now)}}
}

func (d *Dispatcher) claim(now time.Time, a *AlertState, who string, fx *Effects) {
	fx.Changed = true
	a.Status = protocol.AlertClaimed
	a.ClaimedBy = who
	a.Claimed = now
	a.logClaim(now, who)
	a.Deadline = now.Add(d.cfg.Escalation.ClaimTimeout)
	for _, r := range a.Recipients {
		if r != who {
			fx.Pages = append(fx.Pages, d.withdrawal(now, a.Alert.ID, r, "claimed by "+who))
		}
	}
	if slices.Contains(a.Recipients, who) {
		a.Recipients = []string{who}
	} else {
		a.Recipients = nil
	}
	d.publish(now, a, fx)
}
