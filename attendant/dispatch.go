package attendant

import (
	"errors"
	"fmt"
	"maps"
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
// Commands, in that order.
type Effects struct {
	Changed  bool
	Results  []ResultOut
	Pages    []PageOut
	Records  []RecordOut
	Assists  []AssistOut
	Commands []CommandOut
}

func (fx *Effects) add(o Effects) {
	fx.Changed = fx.Changed || o.Changed
	fx.Results = append(fx.Results, o.Results...)
	fx.Pages = append(fx.Pages, o.Pages...)
	fx.Records = append(fx.Records, o.Records...)
	fx.Assists = append(fx.Assists, o.Assists...)
	fx.Commands = append(fx.Commands, o.Commands...)
}

// Dispatcher is the bridge's pure core: roster, presence, open alerts,
// the escalation ladder and claim arbitration. It does no I/O and starts
// no goroutines; every method takes the time of the event and returns the
// effects. It is not safe for concurrent use.
type Dispatcher struct {
	cfg      *Config
	roster   map[string]*Attendant
	index    map[string]int
	presence map[string]string // attendant -> presence status
	alerts   map[string]*AlertState
	closed   map[string]time.Time
	results  map[string]StoredResult
	last     map[string]time.Time
	started  bool

	// Closed ids and command answers set or forgotten since the last
	// Changes: they grow with the day's traffic, so a save writes only
	// these.
	dirtyClosed  map[string]struct{}
	dirtyResults map[string]struct{}
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
		alerts:   map[string]*AlertState{},
		closed:   map[string]time.Time{},
		results:  map[string]StoredResult{},
		last:     map[string]time.Time{},

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

// Changes is what the bridge saves after a batch of events (its
// Store.Apply): the open alerts and the paging history in full, since
// they are small, and the closed ids and command answers set or
// forgotten since the last Changes, since those grow with the day's
// traffic. In Closed and Results a zero value means the entry was
// forgotten.
type Changes struct {
	Alerts    []AlertState
	LastPaged map[string]time.Time
	Closed    map[string]time.Time
	Results   map[string]StoredResult
}

// Changes returns the state to save: a copy that shares no memory with
// the dispatcher, which the bridge saves on another goroutine while the
// dispatcher goes on. Each closed id and answer is in the Changes after
// it was set or forgotten, and in no later one.
func (d *Dispatcher) Changes() Changes {
	c := Changes{LastPaged: maps.Clone(d.last)}
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
// and every closed id and answer of both, n's where both have one. The
// bridge saves changes whose save failed this way, with the next ones.
func (c Changes) Then(n Changes) Changes {
	out := Changes{Alerts: n.Alerts, LastPaged: n.LastPaged, Closed: c.Closed, Results: c.Results}
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
// lane command is sent again (lanes are idempotent by command id).
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
	fx.add(d.Tick(now))
	return fx
}

// Started reports whether Start was called.
func (d *Dispatcher) Started() bool { return d.started }

// NextDeadline is the earliest time Tick has something to do.
func (d *Dispatcher) NextDeadline() (time.Time, bool) {
	var next time.Time
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
			d.reopen(now, a, "claim expired", &fx)
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
	if a.Tier >= 3 {
		if a.Round >= d.cfg.Escalation.Repeat {
			a.Deadline = time.Time{}
			return
		}
		a.Round++
		next = 1
	}
	d.dispatch(now, a, next, fx)
}

// reopen takes the claim back and runs the ladder again from tier 1.
func (d *Dispatcher) reopen(now time.Time, a *AlertState, reason string, fx *Effects) {
	who := a.ClaimedBy
	if !slices.Contains(a.Declined, who) {
		a.Declined = append(a.Declined, who)
	}
	fx.Pages = append(fx.Pages, d.withdrawal(now, a.Alert.ID, who, reason))
	a.Recipients = slices.DeleteFunc(a.Recipients, func(s string) bool { return s == who })
	a.ClaimedBy = ""
	a.Claimed = time.Time{}
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
	d.publish(now, a, fx)
}

func (d *Dispatcher) sendPage(now time.Time, a *AlertState, to string, fx *Effects) {
	fx.Pages = append(fx.Pages, PageOut{To: to, Page: protocol.Page{
		Alert:    a.Alert.ID,
		Lane:     a.Alert.Lane,
		Zone:     a.Alert.Zone,
		Kind:     a.Alert.Kind,
		Severity: severity(a),
		Text:     protocol.PageText(a.Alert),
		Tier:     a.Tier,
		TS:       protocol.At(now),
	}})
	if !slices.Contains(a.Recipients, to) {
		a.Recipients = append(a.Recipients, to)
	}
	if !slices.Contains(a.Paged, to) {
		a.Paged = append(a.Paged, to)
	}
	d.last[to] = now
}

func (d *Dispatcher) withdrawal(now time.Time, alert, to, reason string) PageOut {
	return PageOut{To: to, Page: protocol.Page{Alert: alert, Withdrawn: true, Reason: reason, TS: protocol.At(now)}}
}

// members lists who a tier pages, in roster order (tier 1: at most one).
func (d *Dispatcher) members(a *AlertState, tier int) []string {
	role := protocol.RoleFor(a.Alert.Kind)
	var out []string
	for _, at := range d.cfg.Attendants {
		st := d.presence[at.ID]
		available := st == protocol.PresenceAvailable
		onShift := available || st == protocol.PresenceBusy
		switch tier {
		case 1:
			if available && at.HasRole(role) && !slices.Contains(a.Declined, at.ID) {
				out = append(out, at.ID)
			}
		case 2:
			if available && at.HasRole(role) {
				out = append(out, at.ID)
			}
		case 3:
			if onShift && (at.HasRole(role) || at.HasRole(protocol.RoleSupervisor)) {
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

// nearer orders candidates for tier 1: nearest zone, then least recently
// paged, then roster order.
func (d *Dispatcher) nearer(zone, x, y string) bool {
	dx, dy := d.cfg.distance(zone, d.roster[x].Zone), d.cfg.distance(zone, d.roster[y].Zone)
	if dx != dy {
		return dx < dy
	}
	lx, ly := d.last[x], d.last[y]
	if !lx.Equal(ly) {
		return lx.Before(ly)
	}
	return d.index[x] < d.index[y]
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
	}
	return out
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

// close ends an alert: withdraws every live page, publishes the final
// record, clears the lane's assist and remembers the id.
func (d *Dispatcher) close(now time.Time, a *AlertState, status string, resolution protocol.Action, reason string, fx *Effects) {
	fx.Changed = true
	for _, r := range a.Recipients {
		fx.Pages = append(fx.Pages, d.withdrawal(now, a.Alert.ID, r, reason))
	}
	a.Status = status
	rec := d.record(a)
	if status == protocol.AlertResolved {
		rec.Resolved = protocol.At(now)
		rec.Resolution = string(resolution)
	}
	fx.Records = append(fx.Records, RecordOut{Record: rec, Closed: true})
	delete(d.alerts, a.Alert.ID)
	d.setClosed(a.Alert.ID, now)
	fx.Assists = append(fx.Assists, d.laneAssist(now, a.Alert.Lane))
}

// LaneAlert handles lane/{lane}/alert. An id already known keeps its
// state, and a closed id stays closed: lanes re-publish their open alerts
// whenever the bridge comes online.
func (d *Dispatcher) LaneAlert(now time.Time, lane string, m protocol.Alert) (Effects, error) {
	var fx Effects
	if m.Lane != lane {
		return fx, fmt.Errorf("attendant: alert %s says lane %q but came on lane %q's topic", m.ID, m.Lane, lane)
	}
	if m.Store != "" && m.Store != d.cfg.Store {
		return fx, fmt.Errorf("attendant: alert %s is for store %q, this bridge serves %q", m.ID, m.Store, d.cfg.Store)
	}
	if !validAlertID(m.ID) {
		return fx, fmt.Errorf("attendant: alert id %q cannot be a topic level (no /, +, #, at most %d bytes)", m.ID, maxAlertID)
	}
	if _, closed := d.closed[m.ID]; closed {
		return fx, nil
	}
	a, known := d.alerts[m.ID]
	switch m.Status {
	case protocol.AlertOpen:
		if known {
			// A lane re-publishes its open alerts after it restarts or
			// reconnects. A resolution sent to it meanwhile may be lost
			// (a broker can drop a message during a session takeover),
			// so the pending command goes again: lanes are idempotent by
			// command id.
			if a.Pending != nil && d.started {
				fx.Commands = append(fx.Commands, d.command(now, a))
			}
			return fx, nil
		}
		a = &AlertState{Alert: m, Status: protocol.AlertOpen, Round: 1, Raised: m.TS.Time}
		if a.Raised.IsZero() {
			a.Raised = now
		}
		d.alerts[m.ID] = a
		fx.Changed = true
		if d.started {
			d.dispatch(now, a, 1, &fx)
			for i := range fx.Pages {
				fx.Pages[i].First = true
			}
		}
	case protocol.AlertCancelled:
		if !known {
			d.setClosed(m.ID, now)
			fx.Changed = true
			return fx, nil
		}
		if a.Pending != nil {
			a.LaneCancelled = true
			fx.Changed = true
			return fx, nil
		}
		d.close(now, a, protocol.AlertCancelled, "", "cancelled by lane", &fx)
	}
	return fx, nil
}

const maxAlertID = 128

// validAlertID reports whether id can name the topic alert/{id}: a
// wildcard or a slash there would make the broker drop the bridge.
func validAlertID(id string) bool {
	return id != "" && len(id) <= maxAlertID && !strings.ContainsAny(id, "/+#\x00")
}

// Presence handles pager/{id}/presence. Zones come from the roster; the
// zone a pager reports is not used.
func (d *Dispatcher) Presence(now time.Time, id string, p protocol.Presence) (Effects, error) {
	var fx Effects
	if _, ok := d.roster[id]; !ok {
		return fx, fmt.Errorf("attendant: presence from %q, who is not on the roster", id)
	}
	old := d.presence[id]
	d.presence[id] = p.Status
	if old == p.Status || !d.started {
		return fx, nil
	}
	online := p.Status == protocol.PresenceAvailable || p.Status == protocol.PresenceBusy
	for _, aid := range d.alertIDs() {
		a := d.alerts[aid]
		if a.Status == protocol.AlertClaimed {
			continue // a claim stands until claim_timeout
		}
		if !online {
			if !slices.Contains(a.Recipients, id) {
				continue
			}
			fx.Changed = true
			a.Recipients = slices.DeleteFunc(a.Recipients, func(s string) bool { return s == id })
			if len(a.Recipients) == 0 {
				d.escalateNow(now, a, &fx)
			}
			continue
		}
		switch {
		case a.Status == protocol.AlertOpen && slices.Contains(d.members(a, 3), id):
			d.dispatch(now, a, 1, &fx)
		case a.Tier >= 2 && !slices.Contains(a.Recipients, id) && slices.Contains(d.members(a, a.Tier), id):
			fx.Changed = true
			d.sendPage(now, a, id, &fx)
		}
	}
	return fx, nil
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

// LaneResult handles lane/{lane}/command/result: an ok result resolves
// the alert; an error leaves it claimed and tells the pager.
func (d *Dispatcher) LaneResult(now time.Time, lane string, r protocol.CommandResult) (Effects, error) {
	var fx Effects
	var a *AlertState
	for _, id := range d.alertIDs() {
		if x := d.alerts[id]; x.Pending != nil && x.Pending.LaneCmd == r.ID && x.Alert.Lane == lane {
			a = x
		}
	}
	if a == nil {
		return fx, nil // a duplicate, or an answer to a command already settled
	}
	p := a.Pending
	a.Pending = nil
	fx.Changed = true
	res := protocol.PagerResult{ID: p.PagerCmd, OK: r.OK, ClaimedBy: p.By, TS: protocol.At(now)}
	var err error
	switch {
	case r.OK:
		d.close(now, a, protocol.AlertResolved, p.Resolution, "resolved", &fx)
	case a.LaneCancelled:
		res.Error = string(protocol.ErrCancelledByLane)
		d.close(now, a, protocol.AlertCancelled, "", "cancelled by lane", &fx)
	case strings.HasPrefix(r.Error, protocol.LaneErrUnknownAlert):
		// The lane raised it and died before its journal had it (it
		// publishes a new alert while journaling it): it came back
		// without the alert, so nobody can resolve it there.
		res.Error = string(protocol.ErrNotOnLane)
		d.close(now, a, protocol.AlertCancelled, "", "not open on the lane", &fx)
	default:
		res.Error = string(protocol.ErrLanePrefix) + r.Error
		err = errors.New("attendant: lane " + lane + " refused " + string(p.Resolution) + " on alert " + a.Alert.ID + ": " + r.Error)
	}
	d.setResult(p.By+"/"+p.PagerCmd, StoredResult{Result: res, At: now})
	fx.Results = append(fx.Results, ResultOut{To: p.By, Result: res})
	return fx, err
}

// Describe is a one-line summary of an alert's state, for logs and tests.
func (a AlertState) Describe() string {
	return fmt.Sprintf("%s %s tier %d round %d claimed_by=%q recipients=%s", a.Alert.ID, a.Status, a.Tier, a.Round, a.ClaimedBy, strings.Join(a.Recipients, ","))
}
