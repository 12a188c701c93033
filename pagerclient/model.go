package pagerclient

import (
	"fmt"
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
)

// Entry is one page on the screen. N is its number, stable for as long
// as the page is shown.
type Entry struct {
	N         int
	Page      protocol.Page
	Broadcast bool
	State     string
	ClaimedBy string
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
	// Bridge is the bridge's last known state: "online", "offline" or "".
	Bridge string

	next    int
	entries map[int]*Entry
	byAlert map[string]int
	cmds    map[string]int // command id -> entry number
}

// NewModel returns an empty screen for attendant id.
func NewModel(id, status string) *Model {
	return &Model{ID: id, Status: status, entries: map[int]*Entry{}, byAlert: map[string]int{}, cmds: map[string]int{}}
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

// Sent records a command the attendant sent for page n.
func (m *Model) Sent(n int, cmd protocol.PagerCmd) {
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
	}
}

// Apply updates the screen with ev and returns what to show.
func (m *Model) Apply(ev Event) []Line {
	switch ev.Kind {
	case EvConnected:
		m.Connected = true
		return []Line{{Text: fmt.Sprintf("connected as %s, presence %s", m.ID, m.Status)}}
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
		// The same alert again: a QoS 1 duplicate or a higher tier.
		e := m.entries[n]
		if p.Tier <= e.Page.Tier {
			return nil
		}
		e.Page.Tier = p.Tier
		return []Line{{Text: fmt.Sprintf("[%d] escalated to tier %d", n, p.Tier), Bell: true}}
	}
	m.next++
	e := &Entry{N: m.next, Page: p, Broadcast: ev.Broadcast, State: StatePaged}
	m.entries[e.N] = e
	m.byAlert[p.Alert] = e.N
	return []Line{{Text: Describe(*e), Bell: true}}
}

func (m *Model) result(ev Event) []Line {
	n, ok := m.cmds[ev.Result.ID]
	if !ok {
		return nil // not ours, or a duplicate already shown
	}
	delete(m.cmds, ev.Result.ID)
	e, ok := m.entries[n]
	if !ok {
		return nil // withdrawn meanwhile
	}
	r, cmd := ev.Result, ev.Cmd
	if !r.OK {
		if cmd.Action == protocol.PagerClaim && r.ClaimedBy != "" && r.ClaimedBy != m.ID {
			e.State, e.ClaimedBy = StateTaken, r.ClaimedBy
			return []Line{{Text: fmt.Sprintf("[%d] %s claimed it first", n, r.ClaimedBy)}}
		}
		if cmd.Action == protocol.PagerClaim {
			e.State = StatePaged
		} else {
			e.State = StateClaimed
		}
		return []Line{{Text: fmt.Sprintf("[%d] %s refused: %s", n, cmd.Action, r.Error)}}
	}
	switch cmd.Action {
	case protocol.PagerClaim:
		e.State, e.ClaimedBy = StateClaimed, m.ID
		return []Line{{Text: fmt.Sprintf("[%d] claimed: lane %s is yours; resolve with r %d <%s>", n, e.Page.Lane, n, actionList(e.Page.Kind))}}
	case protocol.PagerRelease:
		e.State, e.ClaimedBy = StatePaged, ""
		return []Line{{Text: fmt.Sprintf("[%d] released", n)}}
	case protocol.PagerResolve:
		m.remove(n)
		return []Line{{Text: fmt.Sprintf("[%d] resolved: %s", n, cmd.Resolution)}}
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

func actionList(k protocol.Kind) string {
	acts := protocol.ActionsFor(k)
	if len(acts) == 0 {
		acts = protocol.Actions
	}
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
	Op     string // status, claim, release, resolve, list, help, quit
	N      int    // page number for claim, release, resolve
	Status string
	Action protocol.Action
}

// Help lists the commands.
const Help = `commands:
  a | b | p        presence: available, busy, break
  c N              claim page N
  r N ACTION       resolve page N (approve, void, age_ok, age_refused, clear, out_of_service, in_service)
  l N              release page N
  ls               list pages
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
	case "c", "l":
		if err := arity(2); err != nil {
			return Command{}, err
		}
		n, err := num()
		op := "claim"
		if strings.ToLower(f[0]) == "l" {
			op = "release"
		}
		return Command{Op: op, N: n}, err
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
