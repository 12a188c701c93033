package attendant

import (
	"slices"
	"sort"
	"time"

	"github.com/sco-project/sco/protocol"
)

// NextDeadline is the earliest time Tick has something to do.
func (d *Dispatcher) NextDeadline() (time.Time, bool) {
	next := d.nextLaneOpExpiry()
	for _, a := range d.alerts {
		if !a.Deadline.IsZero() && (next.IsZero() || a.Deadline.Before(next)) {
			next = a.Deadline
		}
	}
	return next, !next.IsZero()
}

// Tick fires every deadline due at now: escalation to the next tier, and
// claims that expired. It also forgets closed ids older than ClosedTTL
// and command answers older than ResultTTL.
func (d *Dispatcher) Tick(now time.Time) Effects {
	var fx Effects
	for id, t := range d.closed {
		if now.Sub(t) > ClosedTTL {
			d.forgetClosed(id)
			fx.Changed = true
		}
	}
	for k, r := range d.results {
		if now.Sub(r.At) > ResultTTL {
			d.forgetResult(k)
			fx.Changed = true
		}
	}
	d.expireLaneOps(now, &fx)
	if !d.started {
		return fx
	}
	for _, id := range d.alertIDs() {
		a := d.alerts[id]
		if a.Deadline.IsZero() || now.Before(a.Deadline) {
			continue
		}
		fx.Changed = true
		switch a.Status {
		case protocol.AlertClaimed:
			if a.Pending != nil {
				// The lane has the resolution; wait for its answer.
				a.Deadline = now.Add(d.cfg.Escalation.ClaimTimeout)
				continue
			}
			d.reopen(now, a, reasonExpired, &fx)
		default:
			d.escalate(now, a, &fx)
		}
	}
	return fx
}

// escalate moves an unclaimed alert to the next tier (or the next run of
// the ladder).
func (d *Dispatcher) escalate(now time.Time, a *AlertState, fx *Effects) {
	next := a.Tier + 1
	switch {
	case a.Tier == 0:
		// Nobody could be paged but some had declined: the ladder
		// repeats for them.
		a.Declined = nil
	case a.Tier >= 3:
		if a.Round >= d.cfg.Escalation.Repeat {
			a.Deadline = time.Time{}
			return
		}
		a.Round++
		a.Declined = nil // the ladder repeats: a decline holds until then
		next = 1
	}
	d.dispatch(now, a, next, fx)
}

// reasonExpired is the withdrawal reason of a claim that expired.
const reasonExpired = "claim expired"

// reopen takes the claim back and runs the ladder again from tier 1.
func (d *Dispatcher) reopen(now time.Time, a *AlertState, reason string, fx *Effects) {
	who := a.ClaimedBy
	if reason == reasonExpired {
		a.logClaimEnd(now, ClaimExpired)
		a.Log.Reopens++
	} else {
		a.logClaimEnd(now, ClaimReleased)
	}
	if !slices.Contains(a.Returned, who) {
		a.Returned = append(a.Returned, who)
	}
	fx.Pages = append(fx.Pages, d.withdrawal(now, a.Alert.ID, who, reason))
	a.Recipients = slices.DeleteFunc(a.Recipients, func(s string) bool { return s == who })
	a.ClaimedBy = ""
	a.Claimed = time.Time{}
	a.Arrived = time.Time{}
	a.Round = 1
	d.dispatch(now, a, 1, fx)
}

// dispatch pages the first non-empty tier from tier up. When no tier has
// anybody the alert stays open (tier 0) until someone becomes present.
func (d *Dispatcher) dispatch(now time.Time, a *AlertState, tier int, fx *Effects) {
	fx.Changed = true
	for t := tier; t <= 3; t++ {
		members := d.members(a, t)
		if len(members) == 0 {
			continue
		}
		a.Status = protocol.AlertPaged
		a.Tier = t
		for _, m := range members {
			d.sendPage(now, a, m, fx)
		}
		a.Deadline = now.Add(d.cfg.Escalation.AckTimeout)
		if t == 3 && a.Round >= d.cfg.Escalation.Repeat {
			a.Deadline = time.Time{}
		}
		d.publish(now, a, fx)
		return
	}
	a.Status = protocol.AlertOpen
	a.Tier = 0
	a.Deadline = time.Time{}
	if len(a.Declined) > 0 {
		// Only those who declined could be paged: ask them again when
		// the tier would have timed out, rather than never.
		a.Deadline = now.Add(d.cfg.Escalation.AckTimeout)
	}
	d.publish(now, a, fx)
}

func (d *Dispatcher) sendPage(now time.Time, a *AlertState, to string, fx *Effects) {
	fx.Pages = append(fx.Pages, PageOut{To: to, Page: d.page(now, a, to)})
	a.logPage(now, to)
	if !slices.Contains(a.Recipients, to) {
		a.Recipients = append(a.Recipients, to)
	}
	if !slices.Contains(a.Paged, to) {
		a.Paged = append(a.Paged, to)
	}
	d.last[to] = now
}

// page is alert a's page for attendant to.
func (d *Dispatcher) page(now time.Time, a *AlertState, to string) protocol.Page {
	return protocol.Page{
		Alert:    a.Alert.ID,
		Lane:     a.Alert.Lane,
		Zone:     a.Alert.Zone,
		Kind:     a.Alert.Kind,
		Severity: severity(a),
		Text:     protocol.PageText(a.Alert),
		Tier:     a.Tier,
		// Every page goes to someone on the roster.
		Resolutions: resolutions(d.roster[to], a.Alert.Kind),
		TS:          protocol.At(now),
	}
}

// members lists who a tier pages, in roster order (tier 1: at most one,
// and, but under zone-only routing, never someone who holds a claim they
// have not resolved).
func (d *Dispatcher) members(a *AlertState, tier int) []string {
	role := protocol.RoleFor(a.Alert.Kind)
	var out []string
	for _, at := range d.cfg.Attendants {
		st := d.presence[at.ID]
		available := st == protocol.PresenceAvailable
		onShift := available || st == protocol.PresenceBusy
		if slices.Contains(a.Declined, at.ID) {
			continue
		}
		switch tier {
		case 1:
			// Someone holding a claim is on their way elsewhere: tier 2
			// will ask them, tier 1 does not (zone-only routing does not
			// know).
			busy := d.cfg.Routing == RouteWalk && d.openClaims(at.ID) > 0
			if available && at.HasRole(role) && !slices.Contains(a.Returned, at.ID) && !busy {
				out = append(out, at.ID)
			}
		case 2:
			if available && at.HasRole(role) {
				out = append(out, at.ID)
			}
		case 3:
			// Everyone on shift with the role, busy or not, and every
			// supervisor who has a device on (a supervisor on break is
			// still reachable; offline has nothing to ring).
			reachable := onShift || st == protocol.PresenceBreak
			if onShift && at.HasRole(role) || reachable && at.HasRole(protocol.RoleSupervisor) {
				out = append(out, at.ID)
			}
		}
	}
	if tier == 1 && len(out) > 1 {
		sort.SliceStable(out, func(i, j int) bool { return d.nearer(a.Alert.Zone, out[i], out[j]) })
		out = out[:1]
	}
	return out
}

// nearer orders candidates for tier 1: the shortest walk to the lane's
// zone (from where each is: the zone of the lane they last arrived at,
// else their roster zone), then fewer open claims (the contract's tie
// rule; while tier 1 skips claimers every candidate holds none), then
// least recently paged, then roster order. Under zone-only routing
// (RouteZone) those whose roster zone is the lane's come first, then
// least recently paged, then roster order.
func (d *Dispatcher) nearer(zone, x, y string) bool {
	if d.cfg.Routing == RouteZone {
		if zx, zy := d.roster[x].Zone == zone, d.roster[y].Zone == zone; zx != zy {
			return zx
		}
	} else {
		if wx, wy := d.cfg.walk(d.zoneOf(x), zone), d.cfg.walk(d.zoneOf(y), zone); wx != wy {
			return wx < wy
		}
		if cx, cy := d.openClaims(x), d.openClaims(y); cx != cy {
			return cx < cy
		}
	}
	lx, ly := d.last[x], d.last[y]
	if !lx.Equal(ly) {
		return lx.Before(ly)
	}
	return d.index[x] < d.index[y]
}

// escalateNow moves an alert whose pages all went away to the next tier
// at once; at the last tier of the last run it pages from tier 1 again.
func (d *Dispatcher) escalateNow(now time.Time, a *AlertState, fx *Effects) {
	if a.Tier >= 3 && a.Round >= d.cfg.Escalation.Repeat {
		d.dispatch(now, a, 1, fx)
		return
	}
	d.escalate(now, a, fx)
}

// zoneOf is where an attendant is: the zone of the lane they last
// arrived at, else their roster zone.
func (d *Dispatcher) zoneOf(id string) string {
	if z, ok := d.zoneAt[id]; ok {
		return z
	}
	return d.roster[id].Zone
}

// openClaims counts the open alerts id holds.
func (d *Dispatcher) openClaims(id string) int {
	n := 0
	for _, a := range d.alerts {
		if a.ClaimedBy == id {
			n++
		}
	}
	return n
}
