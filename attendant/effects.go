package attendant

import (
	"time"

	"github.com/sco-project/sco/protocol"
)

// PageOut is a page (or withdrawal) for one attendant.
type PageOut struct {
	To   string
	Page protocol.Page
	// First marks the first pages of an alert the lane has just raised:
	// nothing else about the alert has been published, and a crash that
	// forgets them is repaired by the lane, which publishes the alert
	// again when the bridge is back. The bridge sends them before its
	// state is on disk; every other effect waits for the save.
	First bool
}

// ResultOut answers a pager command.
type ResultOut struct {
	To     string
	Result protocol.PagerResult
}

// CommandOut is a command for a lane.
type CommandOut struct {
	Lane    string
	Command protocol.Command
}

// RecordOut is the retained alert/{id} record. When Closed, the bridge
// publishes the record once and then clears the retained message.
type RecordOut struct {
	Record protocol.AlertRecord
	Closed bool
}

// AssistOut is the retained lane/{lane}/assist message; a nil Assist
// clears it.
type AssistOut struct {
	Lane   string
	Assist *protocol.Assist
}

// Effects is what the bridge must do after an event: persist Changes()
// when Changed, then publish Results, Pages, Records, Assists and
// Commands, in that order. Interventions are the records of the alerts
// the event closed, and Checkouts the lanes' finished sessions; Changes
// holds them too, so that the bridge keeps them in the same save that
// closes the alerts.
type Effects struct {
	Changed       bool
	Results       []ResultOut
	Pages         []PageOut
	Records       []RecordOut
	Assists       []AssistOut
	Commands      []CommandOut
	Interventions []Intervention
	Checkouts     []Checkout
}

func (fx *Effects) add(o Effects) {
	fx.Changed = fx.Changed || o.Changed
	fx.Results = append(fx.Results, o.Results...)
	fx.Pages = append(fx.Pages, o.Pages...)
	fx.Records = append(fx.Records, o.Records...)
	fx.Assists = append(fx.Assists, o.Assists...)
	fx.Commands = append(fx.Commands, o.Commands...)
	fx.Interventions = append(fx.Interventions, o.Interventions...)
	fx.Checkouts = append(fx.Checkouts, o.Checkouts...)
}

func (d *Dispatcher) withdrawal(now time.Time, alert, to, reason string) PageOut {
	return PageOut{To: to, Page: protocol.Page{Alert: alert, Withdrawn: true, Reason: reason, TS: protocol.At(now)}}
}

func severity(a *AlertState) string {
	if a.Alert.Severity != "" {
		return a.Alert.Severity
	}
	return protocol.SeverityOf(a.Alert.Kind)
}

// publish emits the alert record and the lane's assist message.
func (d *Dispatcher) publish(now time.Time, a *AlertState, fx *Effects) {
	fx.Records = append(fx.Records, RecordOut{Record: d.record(a)})
	fx.Assists = append(fx.Assists, d.laneAssist(now, a.Alert.Lane))
}

// laneAssist is what a lane's shopper should see when the lane has
// several open alerts: someone who claimed one (the earliest claim),
// else the alert paged the widest (then the oldest); nil when the lane
// has no open alert.
func (d *Dispatcher) laneAssist(now time.Time, lane string) AssistOut {
	var best *AlertState
	better := func(x, y *AlertState) bool {
		if (x.ClaimedBy != "") != (y.ClaimedBy != "") {
			return x.ClaimedBy != ""
		}
		if x.ClaimedBy != "" && !x.Claimed.Equal(y.Claimed) {
			return x.Claimed.Before(y.Claimed)
		}
		if x.Tier != y.Tier {
			return x.Tier > y.Tier
		}
		return x.Raised.Before(y.Raised)
	}
	for _, id := range d.alertIDs() {
		a := d.alerts[id]
		if a.Alert.Lane == lane && (best == nil || better(a, best)) {
			best = a
		}
	}
	out := AssistOut{Lane: lane}
	if best == nil {
		return out
	}
	out.Assist = &protocol.Assist{Alert: best.Alert.ID, Status: best.Status, Tier: best.Tier, TS: protocol.At(now)}
	if best.ClaimedBy != "" {
		out.Assist.Attendant = best.ClaimedBy
		out.Assist.Name = d.roster[best.ClaimedBy].Name
		if !best.Arrived.IsZero() {
			out.Assist.Status = protocol.AssistArrived
		} else {
			eta := d.eta(now, best)
			out.Assist.EtaS = &eta
		}
	}
	return out
}

// eta is how many seconds a's claimer still has to walk at now: the walk
// from where they are to the lane's zone, less the time since they
// claimed, rounded up, never below 0.
func (d *Dispatcher) eta(now time.Time, a *AlertState) int {
	left := d.cfg.walk(d.zoneOf(a.ClaimedBy), a.Alert.Zone) - now.Sub(a.Claimed)
	if left <= 0 {
		return 0
	}
	return int((left + time.Second - 1) / time.Second)
}

func (d *Dispatcher) record(a *AlertState) protocol.AlertRecord {
	return protocol.AlertRecord{
		ID:        a.Alert.ID,
		Lane:      a.Alert.Lane,
		Kind:      a.Alert.Kind,
		Severity:  severity(a),
		Status:    a.Status,
		Tier:      a.Tier,
		ClaimedBy: a.ClaimedBy,
		Raised:    protocol.At(a.Raised),
		Claimed:   protocol.At(a.Claimed),
	}
}
