package attendant

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sco-project/sco/protocol"
)

// ClosedTTL is how long the dispatcher remembers a closed alert id, so a
// lane re-publishing it does not open it again.
const ClosedTTL = 24 * time.Hour

// ResultTTL is how long the dispatcher remembers the answer to a pager
// command, so a duplicate delivery gets the same answer.
const ResultTTL = time.Hour

// MaxResultsPerAttendant bounds the answers remembered for one pager:
// beyond it the oldest is forgotten first. At the default rate limit a
// pager cannot send more than about 18,000 commands within ResultTTL;
// one that does loses idempotency for its oldest, nobody else's.
const MaxResultsPerAttendant = 1000

// MaxClosedPerLane bounds the closed alert ids remembered for one lane:
// beyond it the oldest is forgotten first.
const MaxClosedPerLane = 5000

// AlertState is the bridge's state of one open alert. It is what is kept
// in data_dir across restarts.
type AlertState struct {
	Alert      protocol.Alert `json:"alert"`
	Status     string         `json:"status"` // open, paged, claimed
	Tier       int            `json:"tier"`   // 0 while nobody could be paged
	Round      int            `json:"round"`  // 1..repeat: which run of the ladder
	Recipients []string       `json:"recipients"`
	Paged      []string       `json:"paged"` // everyone ever paged: they may act on it
	// Declined released a page they had not claimed: not paged for
	// the alert again, at any tier, until the ladder repeats.
	Declined []string `json:"declined"`
	// Returned released their claim or let it expire: not picked for
	// tier 1.
	Returned  []string  `json:"returned"`
	ClaimedBy string    `json:"claimed_by"`
	Raised    time.Time `json:"raised"`
	Claimed   time.Time `json:"claimed"`
	Arrived   time.Time `json:"arrived"`  // the claimer said arrive; zero: not yet
	Deadline  time.Time `json:"deadline"` // next tier, or claim expiry; zero: none
	Pending   *Pending  `json:"pending"`
	// LaneCancelled: the lane cancelled the alert while a resolution was
	// pending; the lane's command result decides how it closes.
	LaneCancelled bool `json:"lane_cancelled"`
	// Log is what the alert's Intervention record is built from.
	Log AlertLog `json:"log"`
}

// clone is a copy of a that shares no memory with it.
func (a *AlertState) clone() AlertState {
	c := *a
	c.Recipients = slices.Clone(a.Recipients)
	c.Paged = slices.Clone(a.Paged)
	c.Declined = slices.Clone(a.Declined)
	c.Returned = slices.Clone(a.Returned)
	c.Log = a.Log.clone()
	if a.Pending != nil {
		p := *a.Pending
		c.Pending = &p
	}
	if a.Alert.Item != nil {
		it := *a.Alert.Item
		c.Alert.Item = &it
	}
	return c
}

// Describe is a one-line summary of an alert's state, for logs and tests.
func (a AlertState) Describe() string {
	return fmt.Sprintf("%s %s tier %d round %d claimed_by=%q recipients=%s", a.Alert.ID, a.Status, a.Tier, a.Round, a.ClaimedBy, strings.Join(a.Recipients, ","))
}

// Pending is a resolution forwarded to the lane and not yet answered.
type Pending struct {
	LaneCmd    string          `json:"lane_cmd"`
	PagerCmd   string          `json:"pager_cmd"`
	By         string          `json:"by"`
	Resolution protocol.Action `json:"resolution"`
	At         time.Time       `json:"at"`
}

// LaneOp is a supervisor's lane command (pager action "lane": take a lane
// out of service or put it back) sent to the lane and not yet answered.
type LaneOp struct {
	Lane     string          `json:"lane"`
	LaneCmd  string          `json:"lane_cmd"`
	PagerCmd string          `json:"pager_cmd"`
	By       string          `json:"by"`
	Action   protocol.Action `json:"action"`
	At       time.Time       `json:"at"`
}

// LaneOpTimeout is how long the bridge waits for a lane to answer a lane
// command before it answers the supervisor "lane: no answer".
const LaneOpTimeout = time.Minute

// StoredResult is the answer given to one pager command, kept for
// idempotency.
type StoredResult struct {
	Result protocol.PagerResult `json:"result"`
	At     time.Time            `json:"at"`
}

// State is everything the dispatcher persists.
type State struct {
	Alerts []AlertState         `json:"alerts"`
	Closed map[string]time.Time `json:"closed"` // key: lane/alert id

	Results   map[string]StoredResult `json:"results"` // key: attendant/cmd id
	LastPaged map[string]time.Time    `json:"last_paged"`
	LaneOps   []LaneOp                `json:"lane_ops"`
}

// Restore loads persisted state. Call it before Start.
func (d *Dispatcher) Restore(s State) {
	for i := range s.Alerts {
		a := s.Alerts[i]
		d.alerts[a.Alert.ID] = &a
	}
	for _, k := range byTime(s.Closed, func(t time.Time) time.Time { return t }) {
		d.addClosed(k, s.Closed[k])
	}
	for _, k := range byTime(s.Results, func(r StoredResult) time.Time { return r.At }) {
		d.addResult(k, s.Results[k])
	}
	for k, v := range s.LastPaged {
		d.last[k] = v
	}
	for _, op := range s.LaneOps {
		d.laneOps[op.LaneCmd] = &op
	}
}

// State returns the whole state (what the bridge's Store.Load reads
// back): a deep copy.
func (d *Dispatcher) State() State {
	s := State{Closed: make(map[string]time.Time, len(d.closed)), Results: make(map[string]StoredResult, len(d.results)), LastPaged: make(map[string]time.Time, len(d.last))}
	for _, id := range d.alertIDs() {
		s.Alerts = append(s.Alerts, d.alerts[id].clone())
	}
	for k, v := range d.closed {
		s.Closed[k] = v
	}
	for k, v := range d.results {
		s.Results[k] = v
	}
	for k, v := range d.last {
		s.LastPaged[k] = v
	}
	s.LaneOps = d.laneOpList()
	return s
}

// closedKey is the key of a closed id: lane/id. Ids are scoped by lane:
// one lane cannot close, or keep closed, another's alert.
func closedKey(lane, id string) string { return lane + "/" + id }

func (d *Dispatcher) setClosed(lane, id string, t time.Time) {
	k := closedKey(lane, id)
	d.addClosed(k, t)
	d.dirtyClosed[k] = struct{}{}
}

// addClosed remembers a closed key, forgetting the lane's oldest beyond
// MaxClosedPerLane.
func (d *Dispatcher) addClosed(k string, t time.Time) {
	if _, ok := d.closed[k]; !ok {
		lane, id := splitKey(k)
		d.closedIDs[id]++
		pushBounded(d.closedOrder, lane, k, MaxClosedPerLane, func(k string) {
			if _, ok := d.closed[k]; ok {
				d.forgetClosed(k)
			}
		})
	}
	d.closed[k] = t
}

func (d *Dispatcher) forgetClosed(k string) {
	if _, ok := d.closed[k]; !ok {
		return
	}
	delete(d.closed, k)
	_, id := splitKey(k)
	if d.closedIDs[id]--; d.closedIDs[id] <= 0 {
		delete(d.closedIDs, id)
	}
	d.dirtyClosed[k] = struct{}{}
}

// closedOn reports whether lane closed id within ClosedTTL. Keys saved
// before ids were scoped by lane have no lane and match every lane.
func (d *Dispatcher) closedOn(lane, id string) bool {
	if _, ok := d.closed[closedKey(lane, id)]; ok {
		return true
	}
	_, ok := d.closed[id]
	return ok
}

// isClosed reports whether an alert id was closed, on any lane, within
// ClosedTTL.
func (d *Dispatcher) isClosed(id string) bool { return d.closedIDs[id] > 0 }

// splitKey splits lane/id (or attendant/command id); a key without a
// slash is all id.
func splitKey(k string) (string, string) {
	if i := strings.IndexByte(k, '/'); i >= 0 {
		return k[:i], k[i+1:]
	}
	return "", k
}

func (d *Dispatcher) setResult(key string, r StoredResult) {
	d.addResult(key, r)
	d.dirtyResults[key] = struct{}{}
}

// addResult remembers an answer, forgetting the attendant's oldest beyond
// MaxResultsPerAttendant.
func (d *Dispatcher) addResult(key string, r StoredResult) {
	if _, ok := d.results[key]; !ok {
		who, _ := splitKey(key)
		pushBounded(d.resultOrder, who, key, MaxResultsPerAttendant, func(k string) {
			if _, ok := d.results[k]; ok {
				d.forgetResult(k)
			}
		})
	}
	d.results[key] = r
}

// pushBounded appends key to owner's keys, oldest first, and hands those
// beyond limit to forget, oldest first (a key may have been forgotten
// already, by age).
func pushBounded(order map[string][]string, owner, key string, limit int, forget func(string)) {
	q := append(order[owner], key)
	for len(q) > limit {
		forget(q[0])
		q = q[1:]
	}
	order[owner] = q
}

func (d *Dispatcher) forgetResult(key string) {
	delete(d.results, key)
	d.dirtyResults[key] = struct{}{}
}

// byTime lists m's keys oldest first (then by key).
func byTime[V any](m map[string]V, at func(V) time.Time) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		ti, tj := at(m[keys[i]]), at(m[keys[j]])
		if !ti.Equal(tj) {
			return ti.Before(tj)
		}
		return keys[i] < keys[j]
	})
	return keys
}

// laneOpList is a copy of the pending lane commands, oldest first.
func (d *Dispatcher) laneOpList() []LaneOp {
	var out []LaneOp
	for _, k := range byTime(d.laneOps, func(op *LaneOp) time.Time { return op.At }) {
		out = append(out, *d.laneOps[k])
	}
	return out
}
