package attendant

import (
	"time"

	"github.com/sco-project/sco/protocol"
)

// What an in-process view (the web app's snapshot, the console) reads
// from the dispatcher. Everything returned is a copy.

// Held are the pages an attendant holds now, as a re-sync sends them:
// the page of every open alert nobody claimed that they are paged for,
// and of every open alert they claimed, at its current tier.
func (d *Dispatcher) Held(now time.Time, id string) []protocol.Page {
	if _, ok := d.roster[id]; !ok {
		return nil
	}
	var fx Effects
	d.addHeld(now, id, &fx)
	out := make([]protocol.Page, 0, len(fx.Pages))
	for _, p := range fx.Pages {
		out = append(out, p.Page)
	}
	return out
}

// Alerts are the open alerts, by id.
func (d *Dispatcher) Alerts() []AlertState {
	out := make([]AlertState, 0, len(d.alerts))
	for _, id := range d.alertIDs() {
		out = append(out, d.alerts[id].clone())
	}
	return out
}

// Lanes are the last retained state of every lane the bridge has had one
// from (the will of an offline lane included), by lane; Basket is not
// kept.
func (d *Dispatcher) Lanes() []protocol.LaneState {
	out := make([]protocol.LaneState, 0, len(d.lanes))
	for _, lane := range sortedKeys(d.lanes) {
		out = append(out, d.lanes[lane])
	}
	return out
}

// AttendantStatus is one roster entry as a console shows it.
type AttendantStatus struct {
	ID, Name string
	// Zone is where the attendant is: the zone of the lane they last
	// arrived at, else their roster zone.
	Zone string
	// Status is their presence over all their devices: available, busy,
	// break or offline.
	Status string
	// Alerts are the open alerts they claimed, by id.
	Alerts []string
}

// Attendants is every roster entry with their presence, in roster order.
func (d *Dispatcher) Attendants() []AttendantStatus {
	out := make([]AttendantStatus, 0, len(d.cfg.Attendants))
	for _, a := range d.cfg.Attendants {
		st := AttendantStatus{ID: a.ID, Name: a.Name, Zone: d.zoneOf(a.ID), Status: d.status(a.ID)}
		for _, id := range d.alertIDs() {
			if d.alerts[id].ClaimedBy == a.ID {
				st.Alerts = append(st.Alerts, id)
			}
		}
		out = append(out, st)
	}
	return out
}
