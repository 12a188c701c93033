package attendant

import (
	"sort"
	"time"

	"github.com/sco-project/sco/protocol"
)

// Dispatcher is the bridge's pure core: roster, presence, open alerts,
// the escalation ladder and claim arbitration. It does no I/O and starts
// no goroutines; every method takes the time of the event and returns the
// effects. It is not safe for concurrent use.
//
// Its code is split by concern: state.go (what survives a restart),
// changes.go (what a save writes), ladder.go (tiers and deadlines),
// presence.go (who is there, on which devices), claims.go (pager commands), lane.go (a lane's alerts and
// command results), effects.go (what the bridge publishes) and handle.go
// (an MQTT message by its topic).
type Dispatcher struct {
	cfg      *Config
	roster   map[string]*Attendant
	index    map[string]int
	presence map[string]string             // attendant -> presence status, over all devices
	devices  map[string]map[string]*device // attendant -> device -> its last presence
	alerts   map[string]*AlertState
	closed   map[string]time.Time
	results  map[string]StoredResult
	last     map[string]time.Time
	zoneAt   map[string]string             // attendant -> zone of the lane they last arrived at
	buckets  map[string]*bucket            // roster id ("" for anyone else) -> rate limit
	laneOps  map[string]*LaneOp            // lane command id -> a supervisor's lane command
	lanes    map[string]protocol.LaneState // lane -> its last retained state
	started  bool

	// Keys of the closed ids by lane and of the answers by attendant,
	// oldest first, so that a lane or a pager cannot grow either past
	// MaxClosedPerLane or MaxResultsPerAttendant.
	closedOrder map[string][]string
	resultOrder map[string][]string
	closedIDs   map[string]int // alert id -> lanes it is closed on

	// Closed ids and command answers set or forgotten since the last
	// Changes: they grow with the day's traffic, so a save writes only
	// these.
	dirtyClosed  map[string]struct{}
	dirtyResults map[string]struct{}
	// The records of the alerts closed, and the checkouts received,
	// since the last Changes.
	closedLog []Intervention
	checkouts []Checkout
}

// NewDispatcher returns a dispatcher for a validated config. It records
// alerts but pages nobody until Start, so that the bridge can first learn
// who is present from the retained presence messages.
func NewDispatcher(cfg *Config) *Dispatcher {
	d := &Dispatcher{
		cfg:      cfg,
		roster:   map[string]*Attendant{},
		index:    map[string]int{},
		presence: map[string]string{},
		devices:  map[string]map[string]*device{},
		alerts:   map[string]*AlertState{},
		closed:   map[string]time.Time{},
		results:  map[string]StoredResult{},
		last:     map[string]time.Time{},
		zoneAt:   map[string]string{},
		buckets:  map[string]*bucket{},
		laneOps:  map[string]*LaneOp{},
		lanes:    map[string]protocol.LaneState{},

		closedOrder: map[string][]string{},
		resultOrder: map[string][]string{},
		closedIDs:   map[string]int{},

		dirtyClosed:  map[string]struct{}{},
		dirtyResults: map[string]struct{}{},
	}
	for i := range cfg.Attendants {
		a := &cfg.Attendants[i]
		d.roster[a.ID] = a
		d.index[a.ID] = i
	}
	return d
}

// Alert returns a copy of an open alert's state.
func (d *Dispatcher) Alert(id string) (AlertState, bool) {
	a, ok := d.alerts[id]
	if !ok {
		return AlertState{}, false
	}
	return a.clone(), true
}

func (d *Dispatcher) alertIDs() []string {
	ids := make([]string, 0, len(d.alerts))
	for id := range d.alerts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Start begins paging: every open alert not claimed is paged again from
// its current tier (tier 1 when it was never paged), and every pending
// lane command is sent again, a supervisor's too (lanes are idempotent
// by command id).
func (d *Dispatcher) Start(now time.Time) Effects {
	var fx Effects
	d.started = true
	for _, id := range d.alertIDs() {
		a := d.alerts[id]
		switch {
		case a.Status == protocol.AlertClaimed:
			if a.Pending != nil {
				fx.Commands = append(fx.Commands, d.command(now, a))
			}
		default:
			if a.Round == 0 {
				a.Round = 1
			}
			tier := max(a.Tier, 1)
			a.Recipients = nil
			d.dispatch(now, a, tier, &fx)
		}
	}
	for _, op := range d.laneOpList() {
		fx.Commands = append(fx.Commands, laneOpCommand(now, &op))
	}
	fx.add(d.Tick(now))
	return fx
}

// Started reports whether Start was called.
func (d *Dispatcher) Started() bool { return d.started }
