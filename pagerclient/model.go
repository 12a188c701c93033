package pagerclient

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/sco-project/sco/protocol"
)

// Page states on the pager's screen.
const (
	StatePaged     = "paged"     // waiting for someone to claim it
	StateClaiming  = "claiming"  // claim sent, no answer yet
	StateClaimed   = "claimed"   // ours
	StateTaken     = "taken"     // someone else claimed it first
	StateResolving = "resolving" // resolve sent
	StateReleasing = "releasing" // release sent
	StateArriving  = "arriving"  // arrive sent
)

// Entry is one page on the screen. N is its number, stable for as long
// as the page is shown.
type Entry struct {
	N         int
	Page      protocol.Page
	Broadcast bool
	State     string
	ClaimedBy string
	// Offered are the resolutions the screen offers for the page: the
	// page's own (the bridge says what this attendant may use), else
	// the profile's for its kind, else every one the kind allows.
	Offered []protocol.Action
	// unconfirmed: shown before the last connect and not sent again
	// since; dropped at EvSynced.
	unconfirmed bool
}

// Line is one line the pager shows; Bell asks for the terminal bell.
type Line struct {
	Text string
	Bell bool
}

// Model is the pure state of a pager screen: the pages shown, each with a
// stable number, and what the attendant has asked for. It does no I/O;
// UI feeds it the Client's events and the attendant's commands.
type Model struct {
	ID        string
	Status    string
	Connected bool
	// Store names the store in what the screen says ("" leaves it out).
	Store string
	// Bridge is the bridge's last known state: "online", "offline" or "".
	Bridge string
	// Profile is the bridge's profile of the attendant; nil: none (yet).
	Profile *protocol.Profile

	next     int
	entries  map[int]*Entry
	byAlert  map[string]int
	cmds     map[string]int    // command id -> entry number
	laneCmds map[string]string // lane command id -> lane
	claims   map[string]string // alert -> who holds it, from the alert records
	warned   bool              // the not-on-the-roster warning is showing
}

// NewModel returns an empty screen for attendant id.
func NewModel(id, status string) *Model {
	return &Model{ID: id, Status: status, entries: map[int]*Entry{}, byAlert: map[string]int{}, cmds: map[string]int{},
		laneCmds: map[string]string{}, claims: map[string]string{}}
}

// Pages returns the pages shown, by number.
func (m *Model) Pages() []Entry {
	out := make([]Entry, 0, len(m.entries))
	for _, e := range m.entries {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].N < out[j].N })
	return out
}

// Lookup returns page n, or an error naming n.
func (m *Model) Lookup(n int) (*Entry, error) {
	e, ok := m.entries[n]
	if !ok {
		return nil, fmt.Errorf("no page %d (type ls to list pages)", n)
	}
	return e, nil
}

// Sent records a command the attendant sent for page n (0 for a lane
// command).
func (m *Model) Sent(n int, cmd protocol.PagerCmd) {
	if cmd.Action == protocol.PagerLane {
		m.laneCmds[cmd.ID] = cmd.Lane
		return
	}
	e, ok := m.entries[n]
	if !ok {
		return
	}
	m.cmds[cmd.ID] = n
	switch cmd.Action {
	case protocol.PagerClaim:
		e.State = StateClaiming
	case protocol.PagerRelease:
		e.State = StateReleasing
	case protocol.PagerResolve:
		e.State = StateResolving
	case protocol.PagerArrive:
		e.State = StateArriving
	}
}

// offered is what the screen offers for page p: see Entry.Offered.
func (m *Model) offered(p protocol.Page) []protocol.Action {
	if len(p.Resolutions) > 0 {
		return p.Resolutions
	}
	if m.Profile != nil {
		if acts, ok := m.Profile.Resolutions[p.Kind]; ok {
			return acts
		}
	}
	if acts := protocol.ActionsFor(p.Kind); len(acts) > 0 {
		return acts
	}
	return protocol.Actions
}

// Offers reports whether page n offers resolution a.
func (e *Entry) Offers(a protocol.Action) bool { return slices.Contains(e.Offered, a) }

// Apply updates the screen with ev and returns what to show.
func (m *Model) Apply(ev Event) []Line {
	switch ev.Kind {
	case EvConnected:
		m.Connected = true
		// The bridge sends every page the attendant still holds again
		// in answer to the presence that follows; EvSynced drops the
		// others (withdrawn while the pager was away).
		for _, e := range m.entries {
			e.unconfirmed = !e.Broadcast
		}
		return []Line{{Text: fmt.Sprintf("connected as %s, presence %s", m.ID, m.Status)}}
	case EvProfile:
		return m.profile(ev.Profile)
	case EvSynced:
		return m.synced(ev.Profiled)
	case EvRecord:
		return m.record(ev)
	case EvResent:
		if n, ok := m.cmds[ev.Cmd.ID]; ok {
			return []Line{{Text: fmt.Sprintf("[%d] %s sent again after the reconnect", n, ev.Cmd.Action)}}
		}
		return nil
	case EvConnLost:
		m.Connected = false
		return []Line{{Text: fmt.Sprintf("connection lost (%v); reconnecting", ev.Err)}}
	case EvBridge:
		old := m.Bridge
		m.Bridge = "offline"
		if ev.Online {
			m.Bridge = "online"
		}
		if old == m.Bridge {
			return nil
		}
		if ev.Online {
			// Lanes re-publish their alerts to the bridge, which pages
			// them again: broadcast pages are dropped.
			out := []Line{{Text: "bridge online"}}
			for _, e := range m.Pages() {
				if e.Broadcast {
					m.remove(e.N)
					out = append(out, Line{Text: fmt.Sprintf("[%d] broadcast page dropped: the bridge pages again", e.N)})
				}
			}
			return out
		}
		return []Line{{Text: "bridge OFFLINE: lanes page everyone directly; claims wait for the bridge"}}
	case EvPage:
		return m.page(ev)
	case EvWithdrawn:
		n, ok := m.byAlert[ev.Page.Alert]
		if !ok {
			return nil
		}
		m.remove(n)
		why := ev.Page.Reason
		if why == "" {
			why = "no longer needed"
		}
		return []Line{{Text: fmt.Sprintf("[%d] withdrawn: %s", n, why)}}
	case EvResult:
		return m.result(ev)
	case EvError:
		return []Line{{Text: fmt.Sprintf("error: %v", ev.Err)}}
	case EvConnFailed:
		m.Connected = false
		return []Line{{Text: ev.Err.Error()}}
	}
	return nil
}

func (m *Model) page(ev Event) []Line {
	p := ev.Page
	if n, ok := m.byAlert[p.Alert]; ok {
		// The same alert again: a QoS 1 duplicate, a re-sync or a
		// higher tier.
		e := m.entries[n]
		e.unconfirmed = false
		if len(p.Resolutions) > 0 {
			e.Page.Resolutions = p.Resolutions
			e.Offered = m.offered(e.Page)
		}
		if p.Tier <= e.Page.Tier {
			return nil
		}
		e.Page.Tier = p.Tier
		return []Line{{Text: fmt.Sprintf("[%d] escalated to tier %d", n, p.Tier), Bell: true}}
	}
	m.next++
	e := &Entry{N: m.next, Page: p, Broadcast: ev.Broadcast, State: StatePaged, Offered: m.offered(p)}
	if m.claims[p.Alert] == m.ID {
		// A page sent again of an alert this attendant claimed (the
		// pager restarted): it is still theirs.
		e.State, e.ClaimedBy = StateClaimed, m.ID
	}
	m.entries[e.N] = e
	m.byAlert[p.Alert] = e.N
	return []Line{{Text: Describe(*e), Bell: true}}
}

func (m *Model) result(ev Event) []Line {
	r, cmd := ev.Result, ev.Cmd
	if lane, ok := m.laneCmds[r.ID]; ok {
		delete(m.laneCmds, r.ID)
		if r.OK {
			return []Line{{Text: fmt.Sprintf("lane %s: %s done", lane, cmd.Resolution)}}
		}
		return []Line{{Text: fmt.Sprintf("lane %s: %s refused: %s%s", lane, cmd.Resolution, r.Error, m.advice(r.Error))}}
	}
	n, ok := m.cmds[r.ID]
	if !ok {
		return nil // not ours, or a duplicate already shown
	}
	delete(m.cmds, r.ID)
	e, ok := m.entries[n]
	if !ok {
		return nil // withdrawn meanwhile
	}
	if !r.OK {
		return m.refused(e, cmd, r)
	}
	switch cmd.Action {
	case protocol.PagerClaim:
		e.State, e.ClaimedBy = StateClaimed, m.ID
		return []Line{{Text: fmt.Sprintf("[%d] claimed: lane %s is yours; resolve with r %d <%s>", n, e.Page.Lane, n, joinActions(e.Offered))}}
	case protocol.PagerArrive:
		e.State, e.ClaimedBy = StateClaimed, m.ID
		return []Line{{Text: fmt.Sprintf("[%d] arrived at lane %s", n, e.Page.Lane)}}
	case protocol.PagerRelease:
		// The bridge withdraws the page (reason released): a claim given
		// back or a page declined is no longer the attendant's.
		m.remove(n)
		return []Line{{Text: fmt.Sprintf("[%d] released", n)}}
	case protocol.PagerResolve:
		m.remove(n)
		return []Line{{Text: fmt.Sprintf("[%d] resolved: %s", n, cmd.Resolution)}}
	}
	return nil
}

// refused shows a refused command and does what docs/protocol.md,
// "Errors", says an app should do about it.
func (m *Model) refused(e *Entry, cmd protocol.PagerCmd, r protocol.PagerResult) []Line {
	n := e.N
	back := func() {
		if e.ClaimedBy == m.ID {
			e.State = StateClaimed
		} else {
			e.State = StatePaged
		}
	}
	switch {
	case r.Error == string(protocol.ErrAlreadyClaimed) && r.ClaimedBy != "" && r.ClaimedBy != m.ID:
		e.State, e.ClaimedBy = StateTaken, r.ClaimedBy
		return []Line{{Text: fmt.Sprintf("[%d] %s claimed it first", n, r.ClaimedBy)}}
	case dropOn(r.Error):
		m.remove(n)
		return []Line{{Text: fmt.Sprintf("[%d] %s refused: %s; page dropped", n, cmd.Action, r.Error)}}
	}
	back()
	return []Line{{Text: fmt.Sprintf("[%d] %s refused: %s%s", n, cmd.Action, r.Error, m.advice(r.Error))}}
}

// dropOn lists the errors after which a page is no longer the
// attendant's to act on.
func dropOn(err string) bool {
	switch protocol.PagerError(err) {
	case protocol.ErrUnknownAlert, protocol.ErrAlertClosed, protocol.ErrNotPaged, protocol.ErrCancelledByLane, protocol.ErrNotOnLane:
		return true
	}
	return false
}

// advice is what the attendant can do about a refusal, after "; ".
func (m *Model) advice(err string) string {
	switch {
	case err == string(protocol.ErrStale):
		return "; it reached the bridge too late and changed nothing: look at the page again and retry"
	case err == string(protocol.ErrRateLimited):
		return "; too many commands at once: try again in a moment"
	case err == string(protocol.ErrUnknownAttendant):
		return "; " + m.notOnRoster()
	case err == string(protocol.ErrPending):
		return "; wait for the answer to the first"
	case strings.HasPrefix(err, string(protocol.ErrBadCommand)), err == string(protocol.ErrBadID):
		return "; this pager sent a malformed command (a bug)"
	}
	return ""
}

// notOnRoster is the warning of a pager the bridge has no profile for.
func (m *Model) notOnRoster() string {
	store := ""
	if m.Store != "" {
		store = " of store " + m.Store
	}
	return fmt.Sprintf("NOT ON THE ROSTER%s: the bridge has no profile for %s, so %s is never paged and every command is refused — ask store IT", store, m.ID, m.ID)
}

func (m *Model) profile(p *protocol.Profile) []Line {
	if p == nil {
		m.Profile = nil
		m.warned = true
		return []Line{{Text: m.notOnRoster(), Bell: true}}
	}
	same := m.Profile != nil && sameProfile(*m.Profile, *p)
	m.Profile = p
	m.warned = false
	for _, e := range m.entries {
		e.Offered = m.offered(e.Page)
	}
	if same {
		return nil // the bridge publishes it on every connect
	}
	return ProfileLines(*p)
}

func sameProfile(a, b protocol.Profile) bool {
	a.TS, b.TS = protocol.Time{}, protocol.Time{}
	return string(protocol.Encode(a)) == string(protocol.Encode(b))
}

// ProfileLines show a profile: who the bridge takes the attendant to be
// and what they may resolve.
func ProfileLines(p protocol.Profile) []Line {
	out := []Line{{Text: fmt.Sprintf("on the roster of store %s as %s (%s), zone %s, roles %s", p.Store, p.Name, p.ID, p.Zone, strings.Join(p.Roles, ", "))}}
	kinds := make([]string, 0, len(p.Resolutions))
	for k := range p.Resolutions {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	var may []string
	for _, k := range kinds {
		if acts := p.Resolutions[protocol.Kind(k)]; len(acts) > 0 {
			may = append(may, k+" "+joinActions(acts))
		}
	}
	if len(may) == 0 {
		may = []string{"nothing"}
	}
	return append(out, Line{Text: "may resolve: " + strings.Join(may, "; ")})
}

func (m *Model) synced(profiled bool) []Line {
	var out []Line
	if !profiled && m.Profile == nil && !m.warned {
		m.warned = true
		out = append(out, Line{Text: m.notOnRoster(), Bell: true})
	}
	for _, e := range m.Pages() {
		if !m.entries[e.N].unconfirmed || m.hasCmd(e.N) {
			continue
		}
		m.remove(e.N)
		out = append(out, Line{Text: fmt.Sprintf("[%d] dropped: the bridge did not send it again after the reconnect (it was withdrawn meanwhile)", e.N)})
	}
	return out
}

// hasCmd reports whether a command for page n awaits its answer.
func (m *Model) hasCmd(n int) bool {
	for _, k := range m.cmds {
		if k == n {
			return true
		}
	}
	return false
}

// record keeps who holds each open alert, from alert/{id}: a page the
// bridge sends again after a restart of this pager then shows as the
// attendant's own when it is.
func (m *Model) record(ev Event) []Line {
	r := ev.Record
	if ev.Cleared || r.Status == protocol.AlertResolved || r.Status == protocol.AlertCancelled {
		delete(m.claims, r.ID)
		return nil
	}
	if r.ClaimedBy == "" {
		delete(m.claims, r.ID)
	} else {
		m.claims[r.ID] = r.ClaimedBy
	}
	if n, ok := m.byAlert[r.ID]; ok && r.ClaimedBy == m.ID {
		if e := m.entries[n]; e.State == StatePaged {
			e.State, e.ClaimedBy = StateClaimed, m.ID
		}
	}
	return nil
}

func (m *Model) remove(n int) {
	if e, ok := m.entries[n]; ok {
		delete(m.byAlert, e.Page.Alert)
		delete(m.entries, n)
	}
	for id, k := range m.cmds {
		if k == n {
			delete(m.cmds, id)
		}
	}
}

func joinActions(acts []protocol.Action) string {
	s := make([]string, len(acts))
	for i, a := range acts {
		s[i] = string(a)
	}
	return strings.Join(s, "|")
}

// Describe is the one-line view of a page.
func Describe(e Entry) string {
	p := e.Page
	var b strings.Builder
	fmt.Fprintf(&b, "[%d] ", e.N)
	if e.Broadcast {
		b.WriteString("BROADCAST ")
	}
	fmt.Fprintf(&b, "lane %s", p.Lane)
	if p.Zone != "" {
		fmt.Fprintf(&b, " (%s)", p.Zone)
	}
	fmt.Fprintf(&b, ": %s", p.Kind)
	if p.Severity != "" {
		fmt.Fprintf(&b, ", %s", p.Severity)
	}
	if p.Tier > 0 {
		fmt.Fprintf(&b, ", tier %d", p.Tier)
	}
	if p.Text != "" {
		fmt.Fprintf(&b, " - %s", p.Text)
	}
	switch e.State {
	case StatePaged:
		fmt.Fprintf(&b, " [c %d to claim]", e.N)
	case StateTaken:
		fmt.Fprintf(&b, " [claimed by %s]", e.ClaimedBy)
	default:
		fmt.Fprintf(&b, " [%s]", e.State)
	}
	return b.String()
}

// Command is one thing the attendant typed.
type Command struct {
	Op     string // status, claim, release, resolve, arrive, lane, list, me, help, quit
	N      int    // page number for claim, release, resolve, arrive
	Status string
	Action protocol.Action
	Lane   string // lane
}

// Help lists the commands.
const Help = `commands:
  a | b | p        presence: available, busy, break
  c N              claim page N
  r N ACTION       resolve page N with one of the actions it offers
  l N              release page N (a claimed one goes back; one not claimed is declined)
  at N             arrive: you are at the lane of page N
  lane L out|in    take lane L out of service or put it back (supervisors)
  ls               list pages
  me               who the bridge takes you to be (your profile)
  h                this help
  q                quit (presence goes offline)`

// ParseCommand parses one line the attendant typed.
func ParseCommand(line string) (Command, error) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return Command{Op: "list"}, nil
	}
	arity := func(n int) error {
		if len(f) != n {
			return fmt.Errorf("%q: wrong number of arguments (type h for help)", line)
		}
		return nil
	}
	num := func() (int, error) {
		n, err := strconv.Atoi(f[1])
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%q: page number %q is not a positive number", line, f[1])
		}
		return n, nil
	}
	switch strings.ToLower(f[0]) {
	case "a", "b", "p":
		st := map[string]string{"a": protocol.PresenceAvailable, "b": protocol.PresenceBusy, "p": protocol.PresenceBreak}[strings.ToLower(f[0])]
		return Command{Op: "status", Status: st}, arity(1)
	case "c", "l", "at":
		if err := arity(2); err != nil {
			return Command{}, err
		}
		n, err := num()
		op := map[string]string{"c": "claim", "l": "release", "at": "arrive"}[strings.ToLower(f[0])]
		return Command{Op: op, N: n}, err
	case "lane":
		if err := arity(3); err != nil {
			return Command{}, err
		}
		if !protocol.ValidID(f[1]) {
			return Command{}, fmt.Errorf("%q: lane %q must match [a-z0-9-]+", line, f[1])
		}
		a, ok := map[string]protocol.Action{"out": protocol.ActionOutOfService, "out_of_service": protocol.ActionOutOfService,
			"in": protocol.ActionInService, "in_service": protocol.ActionInService}[strings.ToLower(f[2])]
		if !ok {
			return Command{}, fmt.Errorf("%q: a lane goes out or in, not %q", line, f[2])
		}
		return Command{Op: "lane", Lane: f[1], Action: a}, nil
	case "me":
		return Command{Op: "me"}, arity(1)
	case "r":
		if err := arity(3); err != nil {
			return Command{}, err
		}
		n, err := num()
		if err != nil {
			return Command{}, err
		}
		a := protocol.Action(strings.ToLower(f[2]))
		if !a.Valid() {
			return Command{}, fmt.Errorf("%q: unknown action %q", line, f[2])
		}
		return Command{Op: "resolve", N: n, Action: a}, nil
	case "ls":
		return Command{Op: "list"}, arity(1)
	case "h", "?", "help":
		return Command{Op: "help"}, nil
	case "q", "quit", "exit":
		return Command{Op: "quit"}, nil
	}
	return Command{}, fmt.Errorf("%q: unknown command (type h for help)", line)
}
