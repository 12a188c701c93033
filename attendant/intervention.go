package attendant

import (
	"slices"
	"time"

	"github.com/sco-project/sco/protocol"
)

// Intervention is the record of one alert from the moment the lane
// raised it to the moment it closed: who was paged at which tier and
// when, who claimed it, whether they went to the lane, and how it ended.
// The dispatcher builds it up in the alert's state (AlertState.Log, so it
// survives a restart) and emits it when the alert closes
// (Effects.Interventions); the bridge keeps it for history in data_dir,
// in the same transaction that closes the alert, and the store's report
// (package attendant/report) is computed from these records.
type Intervention struct {
	Alert    string            `json:"alert"`
	Lane     string            `json:"lane"`
	Zone     string            `json:"zone"`
	Kind     protocol.Kind     `json:"kind"`
	Severity string            `json:"severity"`
	Item     *protocol.ItemRef `json:"item"`
	Raised   time.Time         `json:"raised"`
	// Pages are the pages of the alert in order: each time it was
	// paged at a tier, who was paged (a tier that pages nobody is not
	// listed; the pages a re-sync sends again are not either).
	Pages []TierPage `json:"pages"`
	// Claims are the claims in order; a claim that is released or
	// expires ends, and the alert is paged again.
	Claims []Claim `json:"claims"`
	// Reopens counts the claims that expired (claim_timeout) before
	// the alert was resolved.
	Reopens int `json:"reopens"`
	// Depth is the highest tier the alert was paged at: 0 when nobody
	// could be paged, 1, 2 or 3.
	Depth int `json:"depth"`

	Closed time.Time `json:"closed"`
	// Outcome is resolved (an attendant's resolution, applied by the
	// lane) or cancelled (the lane cancelled it: the shopper fixed the
	// cause, or the lane no longer had it).
	Outcome string `json:"outcome"`
	// Resolution and ResolvedBy are the attendant's resolution, when
	// resolved.
	Resolution protocol.Action `json:"resolution"`
	ResolvedBy string          `json:"resolved_by"`
	// Remote is true when the alert was resolved without the resolver
	// saying arrive: from the handheld, not at the lane.
	Remote bool `json:"remote"`
	// Reason says why it closed: resolved, cancelled by lane, not open
	// on the lane.
	Reason string `json:"reason"`
}

// TierPage is one round of pages at a tier.
type TierPage struct {
	Tier  int       `json:"tier"`
	Round int       `json:"round"`
	At    time.Time `json:"at"`
	To    []string  `json:"to"`
}

// Claim is one attendant's claim of an alert.
type Claim struct {
	By string `json:"by"`
	// Paged is when By was last paged for the alert before claiming.
	Paged time.Time `json:"paged"`
	At    time.Time `json:"at"`
	// Arrived is when By said arrive (at the lane); zero when they
	// did not.
	Arrived time.Time `json:"arrived"`
	Ended   time.Time `json:"ended"`
	// End is how the claim ended: resolved, cancelled, released,
	// expired; "" while it holds.
	End string `json:"end"`
}

// Outcomes of an intervention.
const (
	OutcomeResolved  = "resolved"
	OutcomeCancelled = "cancelled"
)

// Who handled an alert (Intervention.Handling): the shopper (the lane
// cancelled it before any attendant arrived), an attendant remotely
// (resolved from the handheld, nobody at the lane), or an attendant at
// the lane (resolved, or cancelled, after they arrived).
const (
	HandledByShopper = "shopper"
	HandledRemotely  = "remote"
	HandledAtLane    = "at_lane"
)

// Handling says who handled the alert: HandledByShopper,
// HandledRemotely or HandledAtLane.
func (in Intervention) Handling() string {
	switch {
	case slices.ContainsFunc(in.Claims, func(c Claim) bool { return !c.Arrived.IsZero() }):
		return HandledAtLane
	case in.Outcome == OutcomeResolved:
		return HandledRemotely
	}
	return HandledByShopper
}

// How a claim ends (Claim.End) besides the alert's outcomes.
const (
	ClaimReleased = "released"
	ClaimExpired  = "expired"
)

// MaxLogEntries bounds the pages and claims an alert's log keeps: beyond
// it the second oldest is forgotten (the first page and the first claim
// are what the times to page and to claim are measured by). An alert
// that is claimed and released in a loop cannot grow the bridge.
const MaxLogEntries = 64

// AlertLog is what an open alert's Intervention is built from.
type AlertLog struct {
	Pages   []TierPage `json:"pages"`
	Claims  []Claim    `json:"claims"`
	Reopens int        `json:"reopens"`
}

func (l AlertLog) clone() AlertLog {
	c := AlertLog{Pages: slices.Clone(l.Pages), Claims: slices.Clone(l.Claims), Reopens: l.Reopens}
	for i := range c.Pages {
		c.Pages[i].To = slices.Clone(c.Pages[i].To)
	}
	return c
}

// logPage notes that who was paged at a's current tier: with the others
// paged at the same time, tier and round, or as a new entry.
func (a *AlertState) logPage(now time.Time, who string) {
	l := &a.Log
	if n := len(l.Pages); n > 0 {
		p := &l.Pages[n-1]
		if p.At.Equal(now) && p.Tier == a.Tier && p.Round == a.Round {
			if !slices.Contains(p.To, who) {
				p.To = append(p.To, who)
			}
			return
		}
	}
	l.Pages = bound(append(l.Pages, TierPage{Tier: a.Tier, Round: a.Round, At: now, To: []string{who}}))
}

// logClaim notes a new claim by who.
func (a *AlertState) logClaim(now time.Time, who string) {
	c := Claim{By: who, At: now}
	for i := len(a.Log.Pages) - 1; i >= 0; i-- {
		if p := a.Log.Pages[i]; slices.Contains(p.To, who) && !p.At.After(now) {
			c.Paged = p.At
			break
		}
	}
	a.Log.Claims = bound(append(a.Log.Claims, c))
}

// logArrive notes that the claimer is at the lane (the first arrive of
// the claim counts).
func (a *AlertState) logArrive(now time.Time) {
	if c := a.lastClaim(); c != nil && c.Arrived.IsZero() {
		c.Arrived = now
	}
}

// logClaimEnd ends the claim that holds, if any.
func (a *AlertState) logClaimEnd(now time.Time, end string) {
	if c := a.lastClaim(); c != nil {
		c.Ended, c.End = now, end
	}
}

// lastClaim is the claim that holds, or nil.
func (a *AlertState) lastClaim() *Claim {
	if n := len(a.Log.Claims); n > 0 && a.Log.Claims[n-1].End == "" {
		return &a.Log.Claims[n-1]
	}
	return nil
}

// bound keeps at most MaxLogEntries, forgetting the second oldest.
func bound[T any](s []T) []T {
	for len(s) > MaxLogEntries {
		s = slices.Delete(s, 1, 2)
	}
	return s
}

// intervention is a's record as it closes now with status.
func (a *AlertState) intervention(now time.Time, status string, resolution protocol.Action, reason string) Intervention {
	held := a.lastClaim()
	end := status
	a.logClaimEnd(now, end)
	l := a.Log.clone()
	in := Intervention{
		Alert:    a.Alert.ID,
		Lane:     a.Alert.Lane,
		Zone:     a.Alert.Zone,
		Kind:     a.Alert.Kind,
		Severity: severity(a),
		Raised:   a.Raised,
		Pages:    l.Pages,
		Claims:   l.Claims,
		Reopens:  l.Reopens,
		Closed:   now,
		Outcome:  status,
		Reason:   reason,
	}
	if a.Alert.Item != nil {
		it := *a.Alert.Item
		in.Item = &it
	}
	for _, p := range l.Pages {
		in.Depth = max(in.Depth, p.Tier)
	}
	if status == protocol.AlertResolved {
		in.Resolution = resolution
		in.ResolvedBy = a.ClaimedBy
		in.Remote = held == nil || held.Arrived.IsZero()
	}
	return in
}
