// Package webtest is a fake web.Backend: a small in-memory bridge with
// first-claim-wins arbitration, the contract's errors, lanes and
// attendants, for the app's tests. Tests drive it (Raise, Cancel,
// SetLane, Answer) and read what the app told it (PresenceOf, Commands).
//
// It also holds what every browser test of the app uses, against the fake
// or the real bridge: headless Chromium driven with chromedp (Browser,
// Person, Do, WaitText, WaitGone, SignInAs) and a signed-in session's
// cookies for a plain HTTP client (Cookies).
package webtest

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sco-project/sco/attendant/web"
	"github.com/sco-project/sco/protocol"
)

// Hash is a bcrypt hash of pin at the lowest cost, quick enough for tests
// under the race detector.
func Hash(pin string) string {
	h, err := bcrypt.GenerateFromPassword([]byte(pin), bcrypt.MinCost)
	if err != nil {
		panic("webtest: " + err.Error())
	}
	return string(h)
}

// Call is one command the app sent.
type Call struct {
	Attendant string
	Cmd       protocol.PagerCmd
	Result    protocol.PagerResult
}

// Fake is a fake bridge. Its methods are safe for concurrent use; events
// go to subscribers in order, with the lock held, as the real bridge
// publishes them from its one goroutine.
type Fake struct {
	mu       sync.Mutex
	now      func() time.Time
	roster   []web.Attendant
	alerts   map[string]*alert
	closed   map[string]bool
	lanes    map[string]protocol.LaneState
	assists  map[string]protocol.Assist
	presence map[string]map[string]protocol.Presence // attendant -> device -> last
	zones    map[string]string                       // attendant -> zone now
	status   map[string]string                       // attendant -> last status published
	results  map[string]protocol.PagerResult         // attendant/id
	calls    []Call
	subs     map[int]func(web.Event)
	nextSub  int
	hold     bool
	held     map[string]*held // alert id -> resolution waiting for Answer
	gate     chan struct{}    // non-nil: commands wait at it (Gate)
	gated    int              // commands waiting at the gate
	changed  chan struct{}    // closed and replaced on every change
}

type alert struct {
	web.Alert
	alert      protocol.Alert
	recipients []string
	paged      []string
	pages      map[string]protocol.Page
}

type held struct {
	who  string
	cmd  protocol.PagerCmd
	done chan protocol.PagerResult
}

var _ web.Backend = (*Fake)(nil)

// New returns a fake bridge for a roster; now nil means time.Now.
func New(roster []web.Attendant, now func() time.Time) *Fake {
	if now == nil {
		now = time.Now
	}
	return &Fake{
		now:      now,
		roster:   roster,
		alerts:   map[string]*alert{},
		closed:   map[string]bool{},
		lanes:    map[string]protocol.LaneState{},
		assists:  map[string]protocol.Assist{},
		presence: map[string]map[string]protocol.Presence{},
		zones:    map[string]string{},
		status:   map[string]string{},
		results:  map[string]protocol.PagerResult{},
		subs:     map[int]func(web.Event){},
		held:     map[string]*held{},
		changed:  make(chan struct{}),
	}
}

// Roster is the lookup web.New takes.
func (f *Fake) Roster() web.Roster {
	return func(id string) (web.Attendant, bool) {
		for _, a := range f.roster {
			if a.ID == id {
				return a, true
			}
		}
		return web.Attendant{}, false
	}
}

func (f *Fake) attendant(id string) (web.Attendant, bool) { return f.Roster()(id) }

// Changed is closed at the next change of the fake's state (an event, a
// presence, a command): a test waits on it instead of sleeping.
func (f *Fake) Changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}

// WaitFor waits until cond holds, or ctx ends; it reports whether cond
// held. cond may call the fake's methods; it is checked again after every
// change.
func (f *Fake) WaitFor(ctx context.Context, cond func() bool) bool {
	for {
		ch := f.Changed()
		if cond() {
			return true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

func (f *Fake) touch() {
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *Fake) emit(ev web.Event) {
	for _, fn := range f.subs {
		fn(ev)
	}
}

// HoldResolutions makes resolutions wait for Answer, as a lane that takes
// its time would.
func (f *Fake) HoldResolutions(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hold = on
}

// SetLane sets a lane's retained state.
func (f *Fake) SetLane(st protocol.LaneState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lanes[st.Lane] = st
	f.emit(web.Event{Kind: web.EventLane, Lane: st})
	f.touch()
}

// LaneState returns a lane's state.
func (f *Fake) LaneState(id string) protocol.LaneState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lanes[id]
}

// Raise opens an alert raised at raised and pages the attendants to at
// tier (none: nobody is paged, tier 0).
func (f *Fake) Raise(a protocol.Alert, raised time.Time, tier int, to ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if a.Severity == "" {
		a.Severity = protocol.SeverityOf(a.Kind)
	}
	x := &alert{alert: a, pages: map[string]protocol.Page{}}
	x.Alert = web.Alert{
		AlertRecord: protocol.AlertRecord{ID: a.ID, Lane: a.Lane, Kind: a.Kind, Severity: a.Severity, Status: protocol.AlertOpen, Raised: protocol.At(raised)},
		Zone:        a.Zone, Item: a.Item, Detail: a.Detail,
	}
	f.alerts[a.ID] = x
	if len(to) > 0 {
		x.Status = protocol.AlertPaged
		x.Tier = tier
		for _, t := range to {
			f.page(x, t)
		}
	}
	f.publish(x)
	if st, ok := f.lanes[a.Lane]; ok {
		st.State = protocol.StateAssist
		st.Light = "red_flash"
		st.Alerts = append(slices.Clone(st.Alerts), a.ID)
		f.lanes[a.Lane] = st
		f.emit(web.Event{Kind: web.EventLane, Lane: st})
	}
	f.touch()
}

// Cancel closes an alert as the lane cancelling it would.
func (f *Fake) Cancel(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if x, ok := f.alerts[id]; ok {
		f.close(x, protocol.AlertCancelled, "", "cancelled by lane")
		f.touch()
	}
}

// Answer answers a held resolution of an alert: ok when errText is "",
// else the lane's refusal ("lane: " errText). It reports whether one was
// held.
func (f *Fake) Answer(alertID, errText string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	h, ok := f.held[alertID]
	if !ok {
		return false
	}
	delete(f.held, alertID)
	x := f.alerts[alertID]
	res := protocol.PagerResult{ID: h.cmd.ID, OK: errText == "", ClaimedBy: h.who, TS: protocol.At(f.now())}
	if errText != "" {
		res.Error = string(protocol.ErrLanePrefix) + errText
	} else if x != nil {
		f.resolved(x, h.cmd.Resolution)
	}
	f.answer(h.who, res)
	h.done <- res
	f.touch()
	return true
}

// Held reports whether a resolution of the alert waits for Answer.
func (f *Fake) Held(alertID string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.held[alertID]
	return ok
}

// PresenceOf is the last presence the app gave for a device ("" none).
func (f *Fake) PresenceOf(attendant, device string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.presence[attendant][device].Status
}

// Devices lists the devices the app gave a presence for, per attendant.
func (f *Fake) Devices(attendant string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for d := range f.presence[attendant] {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// Commands lists the commands the app sent, with their answers.
func (f *Fake) Commands() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Open reports whether an alert is open.
func (f *Fake) Open(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.alerts[id]
	return ok
}

// ClaimedBy is who claimed an open alert.
func (f *Fake) ClaimedBy(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if x, ok := f.alerts[id]; ok {
		return x.ClaimedBy
	}
	return ""
}

// ---- web.Backend

// Presence implements web.Backend.
func (f *Fake) Presence(attendant, device string, p protocol.Presence) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.presence[attendant] == nil {
		f.presence[attendant] = map[string]protocol.Presence{}
	}
	if old, ok := f.presence[attendant][device]; ok && p.Seq <= old.Seq {
		f.touch()
		return nil // an older seq is ignored, as the contract says
	}
	f.presence[attendant][device] = p
	f.publishAttendant(attendant)
	f.touch()
	return nil
}

func (f *Fake) statusOf(id string) string {
	best := protocol.PresenceOffline
	rank := map[string]int{protocol.PresenceOffline: 0, protocol.PresenceBreak: 1, protocol.PresenceBusy: 2, protocol.PresenceAvailable: 3}
	for _, p := range f.presence[id] {
		if rank[p.Status] > rank[best] {
			best = p.Status
		}
	}
	return best
}

func (f *Fake) attendantStatus(a web.Attendant) web.AttendantStatus {
	zone := f.zones[a.ID]
	if zone == "" {
		zone = a.Zone
	}
	st := web.AttendantStatus{ID: a.ID, Name: a.Name, Zone: zone, Status: f.statusOf(a.ID)}
	for _, id := range f.alertIDs() {
		if f.alerts[id].ClaimedBy == a.ID {
			st.Alert = id
		}
	}
	return st
}

func (f *Fake) publishAttendant(id string) {
	if a, ok := f.attendant(id); ok {
		f.emit(web.Event{Kind: web.EventAttendant, Attendant: f.attendantStatus(a)})
	}
}

func (f *Fake) alertIDs() []string {
	ids := make([]string, 0, len(f.alerts))
	for id := range f.alerts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Gate makes commands wait until open is called, so that a test can have
// several arrive before any is decided (a race for a claim).
func (f *Fake) Gate() (open func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := make(chan struct{})
	f.gate = g
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			f.gate = nil
			f.mu.Unlock()
			close(g)
		})
	}
}

// Gated is how many commands wait at the gate.
func (f *Fake) Gated() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gated
}

// Command implements web.Backend.
func (f *Fake) Command(ctx context.Context, who string, c protocol.PagerCmd) (protocol.PagerResult, error) {
	f.mu.Lock()
	if g := f.gate; g != nil {
		f.gated++
		f.touch()
		f.mu.Unlock()
		select {
		case <-g:
		case <-ctx.Done():
			return protocol.PagerResult{}, ctx.Err()
		}
		f.mu.Lock()
		f.gated--
	}
	res, wait := f.command(who, c)
	f.calls = append(f.calls, Call{Attendant: who, Cmd: c, Result: res})
	f.touch()
	f.mu.Unlock()
	if wait == nil {
		return res, nil
	}
	select {
	case r := <-wait:
		return r, nil
	case <-ctx.Done():
		return protocol.PagerResult{}, ctx.Err()
	}
}

func (f *Fake) command(who string, c protocol.PagerCmd) (protocol.PagerResult, chan protocol.PagerResult) {
	key := who + "/" + c.ID
	if r, ok := f.results[key]; ok {
		return r, nil
	}
	reply := func(err protocol.PagerError, claimedBy string) (protocol.PagerResult, chan protocol.PagerResult) {
		r := protocol.PagerResult{ID: c.ID, OK: err == "", Error: string(err), ClaimedBy: claimedBy, TS: protocol.At(f.now())}
		f.results[key] = r
		f.answer(who, r)
		return r, nil
	}
	at, ok := f.attendant(who)
	if !ok {
		return reply(protocol.ErrUnknownAttendant, "")
	}
	x, open := f.alerts[c.Alert]
	if !open {
		if f.closed[c.Alert] {
			return reply(protocol.ErrAlertClosed, "")
		}
		return reply(protocol.ErrUnknownAlert, "")
	}
	if !slices.Contains(x.paged, who) && x.ClaimedBy != who {
		return reply(protocol.ErrNotPaged, x.ClaimedBy)
	}
	if x.ClaimedBy != "" && x.ClaimedBy != who {
		return reply(protocol.ErrAlreadyClaimed, x.ClaimedBy)
	}
	if _, pending := f.held[x.ID]; pending && c.Action != protocol.PagerClaim && c.Action != protocol.PagerArrive {
		return reply(protocol.ErrPending, x.ClaimedBy)
	}
	switch c.Action {
	case protocol.PagerClaim:
		if x.ClaimedBy != who {
			f.claim(x, who)
		}
		return reply("", who)
	case protocol.PagerArrive:
		if x.ClaimedBy != who {
			f.claim(x, who)
		}
		x.Arrived = protocol.At(f.now())
		f.zones[who] = x.Zone
		f.publish(x)
		f.publishAttendant(who)
		return reply("", who)
	case protocol.PagerRelease:
		if x.ClaimedBy == who {
			x.ClaimedBy, x.Claimed, x.Arrived = "", protocol.Time{}, protocol.Time{}
			x.Status = protocol.AlertPaged
			f.withdraw(x, who, "released")
			for _, p := range x.paged {
				if p != who {
					f.page(x, p)
				}
			}
			f.publish(x)
			f.publishAttendant(who)
			return reply("", "")
		}
		if slices.Contains(x.recipients, who) {
			f.withdraw(x, who, "released")
		}
		return reply("", "")
	case protocol.PagerResolve:
		if !protocol.Allowed(x.Kind, c.Resolution) {
			return reply(protocol.PagerError(string(protocol.ErrNotAllowed)+": "+string(c.Resolution)+" for "+string(x.Kind)), x.ClaimedBy)
		}
		if ok, role := mayUse(at, c.Resolution); !ok {
			return reply(protocol.PagerError(string(protocol.ErrRoleRequired)+": "+string(c.Resolution)+" needs "+role), x.ClaimedBy)
		}
		if x.ClaimedBy != who {
			f.claim(x, who)
		}
		if f.hold {
			h := &held{who: who, cmd: c, done: make(chan protocol.PagerResult, 1)}
			f.held[x.ID] = h
			return protocol.PagerResult{}, h.done
		}
		f.resolved(x, c.Resolution)
		return reply("", who)
	}
	return reply("bad command", "")
}

func (f *Fake) answer(who string, r protocol.PagerResult) {
	f.emit(web.Event{Kind: web.EventResult, To: who, Result: r})
}

// mayUse reports whether an attendant may resolve with r, and the role it
// takes: age decisions need age_verifier, the others attendant (a
// supervisor counts), as the bridge checks them.
func mayUse(at web.Attendant, r protocol.Action) (bool, string) {
	role := protocol.RoleAttendant
	if r == protocol.ActionAgeOK || r == protocol.ActionAgeRefused {
		role = protocol.RoleAgeVerifier
	}
	return at.HasRole(role) || (role == protocol.RoleAttendant && at.HasRole(protocol.RoleSupervisor)), role
}

// pageOf is the page of x for attendant to, with the resolutions they may
// use, as the bridge makes it.
func (f *Fake) pageOf(x *alert, to string) protocol.Page {
	p := protocol.Page{Alert: x.ID, Lane: x.Lane, Zone: x.Zone, Kind: x.Kind, Severity: x.Severity, Text: protocol.PageText(x.alert), Tier: x.Tier, TS: protocol.At(f.now())}
	at, _ := f.attendant(to)
	for _, r := range protocol.ActionsFor(x.Kind) {
		if ok, _ := mayUse(at, r); ok {
			p.Resolutions = append(p.Resolutions, r)
		}
	}
	return p
}

func (f *Fake) page(x *alert, to string) {
	p := f.pageOf(x, to)
	x.pages[to] = p
	if !slices.Contains(x.recipients, to) {
		x.recipients = append(x.recipients, to)
	}
	if !slices.Contains(x.paged, to) {
		x.paged = append(x.paged, to)
	}
	f.emit(web.Event{Kind: web.EventPage, To: to, Page: p})
}

func (f *Fake) withdraw(x *alert, to, reason string) {
	x.recipients = slices.DeleteFunc(x.recipients, func(s string) bool { return s == to })
	delete(x.pages, to)
	f.emit(web.Event{Kind: web.EventPage, To: to, Page: protocol.Page{Alert: x.ID, Withdrawn: true, Reason: reason, TS: protocol.At(f.now())}})
}

func (f *Fake) claim(x *alert, who string) {
	x.ClaimedBy = who
	x.Claimed = protocol.At(f.now())
	x.Status = protocol.AlertClaimed
	for _, r := range slices.Clone(x.recipients) {
		if r != who {
			f.withdraw(x, r, "claimed by "+who)
		}
	}
	f.publish(x)
	f.publishAttendant(who)
}

// publish emits the alert's record and its lane's assist.
func (f *Fake) publish(x *alert) {
	f.emit(web.Event{Kind: web.EventAlert, Alert: x.Alert})
	f.publishAssist(x.Lane)
}

func (f *Fake) publishAssist(lane string) {
	var best *alert
	for _, id := range f.alertIDs() {
		x := f.alerts[id]
		if x.Lane != lane {
			continue
		}
		if best == nil || (x.ClaimedBy != "" && best.ClaimedBy == "") {
			best = x
		}
	}
	if best == nil {
		delete(f.assists, lane)
		f.emit(web.Event{Kind: web.EventAssist, AssistLane: lane})
		return
	}
	as := protocol.Assist{Alert: best.ID, Status: best.Status, Tier: best.Tier, TS: protocol.At(f.now())}
	if best.ClaimedBy != "" {
		as.Attendant = best.ClaimedBy
		if a, ok := f.attendant(best.ClaimedBy); ok {
			as.Name = a.Name
		}
	}
	f.assists[lane] = as
	f.emit(web.Event{Kind: web.EventAssist, AssistLane: lane, Assist: &as})
}

func (f *Fake) resolved(x *alert, r protocol.Action) {
	who := x.ClaimedBy
	f.close(x, protocol.AlertResolved, r, "resolved")
	if st, ok := f.lanes[x.Lane]; ok {
		if r == protocol.ActionVoid && st.Items > 0 {
			st.Items--
		}
		f.lanes[x.Lane] = st
		f.emit(web.Event{Kind: web.EventLane, Lane: st})
	}
	if who != "" {
		f.publishAttendant(who)
	}
}

func (f *Fake) close(x *alert, status string, r protocol.Action, reason string) {
	for _, to := range slices.Clone(x.recipients) {
		f.withdraw(x, to, reason)
	}
	delete(f.alerts, x.ID)
	f.closed[x.ID] = true
	x.Status = status
	if status == protocol.AlertResolved {
		x.Resolved = protocol.At(f.now())
		x.Resolution = string(r)
	}
	f.emit(web.Event{Kind: web.EventAlert, Alert: x.Alert, Closed: true})
	f.publishAssist(x.Lane)
	if st, ok := f.lanes[x.Lane]; ok {
		st.Alerts = slices.DeleteFunc(slices.Clone(st.Alerts), func(s string) bool { return s == x.ID })
		if len(st.Alerts) == 0 && st.State == protocol.StateAssist {
			st.State, st.Light = protocol.StateShopping, "green"
		}
		f.lanes[x.Lane] = st
		f.emit(web.Event{Kind: web.EventLane, Lane: st})
	}
}

// supervisor is the error of a supervisor's action by who, "" when they
// may.
func (f *Fake) supervisor(who, action string) string {
	at, ok := f.attendant(who)
	switch {
	case !ok:
		return string(protocol.ErrUnknownAttendant)
	case !at.HasRole(protocol.RoleSupervisor):
		return string(protocol.ErrRoleRequired) + ": " + action + " needs supervisor"
	}
	return ""
}

// Lane implements web.Backend.
func (f *Fake) Lane(_ context.Context, who, id, lane string, action protocol.Action) (protocol.PagerResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	defer f.touch()
	r := protocol.PagerResult{ID: id, TS: protocol.At(f.now()), Error: f.supervisor(who, "lane")}
	st, known := f.lanes[lane]
	switch {
	case r.Error != "":
	case !known:
		r.Error = string(web.ErrUnknownLane)
	default:
		r.OK = true
		if action == protocol.ActionOutOfService {
			st.State, st.Light = protocol.StateOutOfService, "red"
		} else {
			st.State, st.Light = protocol.StateIdle, "green"
		}
		f.lanes[lane] = st
		f.emit(web.Event{Kind: web.EventLane, Lane: st})
	}
	f.calls = append(f.calls, Call{Attendant: who, Cmd: protocol.PagerCmd{ID: id, Action: protocol.PagerLane, Resolution: action}, Result: r})
	f.answer(who, r)
	return r, nil
}

// Escalate implements web.Backend: the next tier is everyone on shift
// with the role the kind needs, and the supervisors.
func (f *Fake) Escalate(_ context.Context, who, id, alertID string) (protocol.PagerResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	defer f.touch()
	r := protocol.PagerResult{ID: id, TS: protocol.At(f.now()), Error: f.supervisor(who, "escalate")}
	x, open := f.alerts[alertID]
	switch {
	case r.Error != "":
	case !open && f.closed[alertID]:
		r.Error = string(protocol.ErrAlertClosed)
	case !open:
		r.Error = string(protocol.ErrUnknownAlert)
	case x.ClaimedBy != "":
		r.Error, r.ClaimedBy = string(protocol.ErrAlreadyClaimed), x.ClaimedBy
	default:
		r.OK = true
		x.Tier = min(x.Tier+1, 3)
		x.Status = protocol.AlertPaged
		role := protocol.RoleFor(x.Kind)
		for _, a := range f.roster {
			s := f.statusOf(a.ID)
			if (s == protocol.PresenceAvailable || s == protocol.PresenceBusy) && (a.HasRole(role) || a.HasRole(protocol.RoleSupervisor)) {
				f.page(x, a.ID)
			}
		}
		f.publish(x)
	}
	f.calls = append(f.calls, Call{Attendant: who, Cmd: protocol.PagerCmd{ID: id, Alert: alertID, Action: "escalate"}, Result: r})
	f.answer(who, r)
	return r, nil
}

// Snapshot implements web.Backend.
func (f *Fake) Snapshot(_ context.Context, who string) (web.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := web.Snapshot{Assists: map[string]protocol.Assist{}}
	for _, id := range f.alertIDs() {
		x := f.alerts[id]
		s.Alerts = append(s.Alerts, x.Alert)
		if p, ok := x.pages[who]; ok {
			s.Pages = append(s.Pages, p)
		} else if x.ClaimedBy == who {
			s.Pages = append(s.Pages, f.pageOf(x, who))
		}
	}
	lanes := make([]string, 0, len(f.lanes))
	for l := range f.lanes {
		lanes = append(lanes, l)
	}
	sort.Strings(lanes)
	for _, l := range lanes {
		s.Lanes = append(s.Lanes, f.lanes[l])
	}
	for l, a := range f.assists {
		s.Assists[l] = a
	}
	for _, a := range f.roster {
		s.Attendants = append(s.Attendants, f.attendantStatus(a))
	}
	return s, nil
}

// Subscribe implements web.Backend.
func (f *Fake) Subscribe(fn func(web.Event)) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.nextSub
	f.nextSub++
	f.subs[id] = fn
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.subs, id)
	}
}
