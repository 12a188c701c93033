package attendant

import (
	"fmt"
	"slices"
	"time"

	"github.com/sco-project/sco/protocol"
)

// PagerCmd handles pager/{id}/cmd: claim, release or resolve. The error
// is for the log; the pager's answer is in the effects.
func (d *Dispatcher) PagerCmd(now time.Time, who string, c protocol.PagerCmd) (Effects, error) {
	var fx Effects
	key := who + "/" + c.ID
	if r, ok := d.results[key]; ok {
		// A duplicate delivery: the same answer again, nothing else.
		fx.Results = append(fx.Results, ResultOut{To: who, Result: r.Result})
		return fx, nil
	}
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
	at, ok := d.roster[who]
	if !ok {
		return reply(string(protocol.ErrUnknownAttendant), "")
	}
	a, open := d.alerts[c.Alert]
	if !open {
		if _, closed := d.closed[c.Alert]; closed {
			return reply(string(protocol.ErrAlertClosed), "")
		}
		return reply(string(protocol.ErrUnknownAlert), "")
	}
	if a.Pending != nil && a.Pending.PagerCmd == c.ID && a.Pending.By == who {
		return fx, nil // a duplicate of the resolution the lane has
	}
	if !slices.Contains(a.Paged, who) && a.ClaimedBy != who {
		return reply(string(protocol.ErrNotPaged), a.ClaimedBy)
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
	case protocol.PagerRelease:
		if a.Pending != nil {
			return reply(string(protocol.ErrPending), a.ClaimedBy)
		}
		if a.ClaimedBy == who {
			d.reopen(now, a, "released", &fx)
			return reply("", "")
		}
		// Declining a page nobody claimed.
		if !slices.Contains(a.Declined, who) {
			a.Declined = append(a.Declined, who)
		}
		if slices.Contains(a.Recipients, who) {
			fx.Pages = append(fx.Pages, d.withdrawal(now, a.Alert.ID, who, "released"))
			a.Recipients = slices.DeleteFunc(a.Recipients, func(s string) bool { return s == who })
			if len(a.Recipients) == 0 {
				d.escalateNow(now, a, &fx)
			}
		}
		return reply("", "")
	}
	// Resolve.
	if !protocol.Allowed(a.Alert.Kind, c.Resolution) {
		return reply(fmt.Sprintf("%s: %s for %s", protocol.ErrNotAllowed, c.Resolution, a.Alert.Kind), a.ClaimedBy)
	}
	if role := roleForAction(c.Resolution); !at.HasRole(role) && !(role == protocol.RoleAttendant && at.HasRole(protocol.RoleSupervisor)) {
		return reply(fmt.Sprintf("%s: %s needs %s", protocol.ErrRoleRequired, c.Resolution, role), a.ClaimedBy)
	}
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

// roleForAction is the role a resolution needs: age decisions need an age
// verifier; anything else an attendant (a supervisor counts).
func roleForAction(r protocol.Action) string {
	if r == protocol.ActionAgeOK || r == protocol.ActionAgeRefused {
		return protocol.RoleAgeVerifier
	}
	return protocol.RoleAttendant
}

func laneCmdID(alert, who, cmd string) string { return alert + ":" + who + ":" + cmd }

func (d *Dispatcher) command(now time.Time, a *AlertState) CommandOut {
	p := a.Pending
	return CommandOut{Lane: a.Alert.Lane, Command: protocol.Command{ID: p.LaneCmd, Alert: a.Alert.ID, Action: p.Resolution, By: p.By, TS: protocol.At(now)}}
}

func (d *Dispatcher) claim(now time.Time, a *AlertState, who string, fx *Effects) {
	fx.Changed = true
	a.Status = protocol.AlertClaimed
	a.ClaimedBy = who
	a.Claimed = now
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
