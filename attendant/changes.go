package attendant

import (
	"maps"
	"slices"
	"time"
)

// Changes is what the bridge saves after a batch of events (its
// Store.Apply): the open alerts, the paging history and the pending lane
// commands in full, since they are small, and the closed ids and command answers set or
// forgotten since the last Changes, since those grow with the day's
// traffic. In Closed and Results a zero value means the entry was
// forgotten. Interventions are the records of the alerts closed since
// the last Changes, for the bridge's history: saved with the closing of
// their alerts, they are never lost nor kept twice. Checkouts are the
// lanes' checkouts received since the last Changes (a lane may deliver
// one twice: the history keeps one per lane and session).
type Changes struct {
	Alerts        []AlertState
	LastPaged     map[string]time.Time
	Closed        map[string]time.Time
	Results       map[string]StoredResult
	LaneOps       []LaneOp // in full: a few at most
	Interventions []Intervention
	Checkouts     []Checkout
}

// Changes returns the state to save: a copy that shares no memory with
// the dispatcher, which the bridge saves on another goroutine while the
// dispatcher goes on. Each closed id and answer is in the Changes after
// it was set or forgotten, and in no later one.
func (d *Dispatcher) Changes() Changes {
	c := Changes{LastPaged: maps.Clone(d.last), LaneOps: d.laneOpList(), Interventions: d.closedLog, Checkouts: d.checkouts}
	d.closedLog, d.checkouts = nil, nil
	for _, id := range d.alertIDs() {
		c.Alerts = append(c.Alerts, d.alerts[id].clone())
	}
	if len(d.dirtyClosed) > 0 {
		c.Closed = make(map[string]time.Time, len(d.dirtyClosed))
		for id := range d.dirtyClosed {
			c.Closed[id] = d.closed[id] // zero when forgotten
		}
		clear(d.dirtyClosed)
	}
	if len(d.dirtyResults) > 0 {
		c.Results = make(map[string]StoredResult, len(d.dirtyResults))
		for k := range d.dirtyResults {
			c.Results[k] = d.results[k] // zero when forgotten
		}
		clear(d.dirtyResults)
	}
	return c
}

// Then is c followed by the later changes n: n's alerts and history,
// every closed id and answer of both, n's where both have one, and the
// records and checkouts of both, c's first. The bridge saves changes
// whose save failed this way, with the next ones.
func (c Changes) Then(n Changes) Changes {
	out := Changes{Alerts: n.Alerts, LastPaged: n.LastPaged, LaneOps: n.LaneOps, Closed: c.Closed, Results: c.Results,
		Interventions: append(slices.Clip(c.Interventions), n.Interventions...),
		Checkouts:     append(slices.Clip(c.Checkouts), n.Checkouts...)}
	if len(n.Closed) > 0 {
		out.Closed = maps.Clone(c.Closed)
		if out.Closed == nil {
			out.Closed = map[string]time.Time{}
		}
		maps.Copy(out.Closed, n.Closed)
	}
	if len(n.Results) > 0 {
		out.Results = maps.Clone(c.Results)
		if out.Results == nil {
			out.Results = map[string]StoredResult{}
		}
		maps.Copy(out.Results, n.Results)
	}
	return out
}
