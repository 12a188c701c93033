package attendant

import (
	"fmt"
	"slices"
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

// AlertState is the bridge's state of one open alert. It is what is kept
// in data_dir across restarts.
type AlertState struct {
	Alert      protocol.Alert `json:"alert"`
	Status     string         `json:"status"` // open, paged, claimed
	Tier       int            `json:"tier"`   // 0 while nobody could be paged
	Round      int            `json:"round"`  // 1..repeat: which run of the ladder
	Recipients []string       `json:"recipients"`
	Paged      []string       `json:"paged"`    // everyone ever paged: they may act on it
	Declined   []string       `json:"declined"` // released or let the claim expire: not picked for tier 1
	ClaimedBy  string         `json:"claimed_by"`
	Raised     time.Time      `json:"raised"`
	Claimed    time.Time      `json:"claimed"`
	Deadline   time.Time      `json:"deadline"` // next tier, or claim expiry; zero: none
	Pending    *Pending       `json:"pending"`
	// LaneCancelled: the lane cancelled the alert while a resolution was
	// pending; the lane's command result decides how it closes.
	LaneCancelled bool `json:"lane_cancelled"`
}

// clone is a copy of a that shares no memory with it.
func (a *AlertState) clone() AlertState {
	c := *a
	c.Recipients = slices.Clone(a.Recipients)
	c.Paged = slices.Clone(a.Paged)
	c.Declined = slices.Clone(a.Declined)
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

// StoredResult is the answer given to one pager command, kept for
// idempotency.
type StoredResult struct {
	Result protocol.PagerResult `json:"result"`
	At     time.Time            `json:"at"`
}

// State is everything the dispatcher persists.
type State struct {
	Alerts    []AlertState            `json:"alerts"`
	Closed    map[string]time.Time    `json:"closed"`
	Results   map[string]StoredResult `json:"results"` // key: attendant/cmd id
	LastPaged map[string]time.Time    `json:"last_paged"`
}

// Restore loads persisted state. Call it before Start.
func (d *Dispatcher) Restore(s State) {
	for i := range s.Alerts {
		a := s.Alerts[i]
		d.alerts[a.Alert.ID] = &a
	}
	for k, v := range s.Closed {
		d.closed[k] = v
	}
	for k, v := range s.Results {
		d.results[k] = v
	}
	for k, v := range s.LastPaged {
		d.last[k] = v
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
	return s
}

func (d *Dispatcher) setClosed(id string, t time.Time) {
	d.closed[id] = t
	d.dirtyClosed[id] = struct{}{}
}

func (d *Dispatcher) forgetClosed(id string) {
	delete(d.closed, id)
	d.dirtyClosed[id] = struct{}{}
}

func (d *Dispatcher) setResult(key string, r StoredResult) {
	d.results[key] = r
	d.dirtyResults[key] = struct{}{}
}

func (d *Dispatcher) forgetResult(key string) {
	delete(d.results, key)
	d.dirtyResults[key] = struct{}{}
}
