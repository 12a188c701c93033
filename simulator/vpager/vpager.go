package vpager

import (
	"fmt"
	"sync"
	"time"

	"github.com/sco-project/sco/pagerclient"
	"github.com/sco-project/sco/protocol"
)

// Behaviour is how a virtual attendant answers pages. The zero value
// claims every page at once and keeps the claim (the attendant walks over
// and the lane is served there).
type Behaviour struct {
	// Ignore leaves every page unanswered.
	Ignore bool
	// ClaimAfter is how long after a page the attendant claims it; 0
	// means at once.
	ClaimAfter time.Duration
	// GoOfflineAfter, when positive, makes the attendant's handheld drop
	// off the network this long after a page instead of claiming it (the
	// broker publishes the offline will). ComeBack brings it back.
	GoOfflineAfter time.Duration
	// Resolve is the action the attendant resolves a claimed alert with;
	// "" means they keep the claim without resolving.
	Resolve protocol.Action
	// ResolveByKind overrides Resolve for some alert kinds (age checks
	// resolved with age_ok, for instance).
	ResolveByKind map[protocol.Kind]protocol.Action
	// Release gives a claimed alert back instead of resolving it.
	Release bool
	// ResolveAfter is how long after a successful claim the attendant
	// resolves or releases; 0 means at once.
	ResolveAfter time.Duration
}

func (b Behaviour) resolution(k protocol.Kind) protocol.Action {
	if a, ok := b.ResolveByKind[k]; ok {
		return a
	}
	return b.Resolve
}

// Validate checks the behaviour and names the field at fault.
func (b Behaviour) Validate() error {
	if b.ClaimAfter < 0 || b.ResolveAfter < 0 || b.GoOfflineAfter < 0 {
		return fmt.Errorf("vpager: negative delay in behaviour %+v", b)
	}
	if b.Resolve != "" && !b.Resolve.Valid() {
		return fmt.Errorf("vpager: behaviour resolve: unknown action %q", b.Resolve)
	}
	for k, a := range b.ResolveByKind {
		if !k.Valid() {
			return fmt.Errorf("vpager: behaviour resolve_by_kind: unknown kind %q", k)
		}
		if !a.Valid() {
			return fmt.Errorf("vpager: behaviour resolve_by_kind[%s]: unknown action %q", k, a)
		}
	}
	return nil
}

// EventKind says what happened to a virtual attendant.
type EventKind string

// Event kinds.
const (
	Connected   EventKind = "connected"    // online, presence published
	Paged       EventKind = "paged"        // a new page arrived
	Withdrawn   EventKind = "withdrawn"    // the bridge withdrew a page
	ClaimSent   EventKind = "claim_sent"   // the attendant claimed
	Claimed     EventKind = "claimed"      // the bridge gave them the alert
	ClaimLost   EventKind = "claim_lost"   // someone else was first (ClaimedBy)
	Resolved    EventKind = "resolved"     // the bridge accepted the resolution
	Released    EventKind = "released"     // the bridge took the alert back
	Refused     EventKind = "refused"      // the bridge refused a resolve or release (Error)
	WentOffline EventKind = "went_offline" // the handheld dropped off the network
	Failed      EventKind = "failed"       // a command could not be sent, or a bad message (Error)
)

// Event is one thing that happened to a virtual attendant.
type Event struct {
	Attendant string
	Kind      EventKind
	Alert     string
	// Page is the page the event is about (its kind, lane, tier).
	Page protocol.Page
	// Action is the resolution for Resolved.
	Action protocol.Action
	// ClaimedBy names the winner for ClaimLost.
	ClaimedBy string
	// Error says why for Refused and Failed.
	Error string
	// At is when it happened; SincePage is how long after the page
	// arrived (0 when there was no page).
	At        time.Time
	SincePage time.Duration
}

// Opts configures a Pager: the connection (pagerclient.Opts, where Store
// and ID are required), the behaviour, and where events go.
type Opts struct {
	pagerclient.Opts
	Behaviour Behaviour
	// OnEvent receives every event, in order, from the pager's own
	// goroutine; nil drops them. It must not block for long.
	OnEvent func(Event)
}

// job is one alert the attendant was paged for.
type job struct {
	page    protocol.Page
	pagedAt time.Time
	timer   *time.Timer
	claimed bool
	// pending counts commands sent and not answered; a withdrawal that
	// overtakes their result (results and pages travel on different
	// topics) waits for it, so the attendant learns how it ended.
	pending   int
	withdrawn *protocol.Page
}

// Pager is a running virtual attendant.
type Pager struct {
	c       *pagerclient.Client
	now     func() time.Time
	onEvent func(Event)
	fire    chan func()
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once

	mu sync.Mutex
	b  Behaviour

	// owned by the loop goroutine
	jobs map[string]*job
	cmds map[string]string // command id -> alert
}

// Start connects a virtual attendant and starts answering pages.
func Start(o Opts) (*Pager, error) {
	if err := o.Behaviour.Validate(); err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ClientID == "" {
		o.ClientID = "vpager-" + o.Store + "-" + o.ID
	}
	c, err := pagerclient.Dial(o.Opts)
	if err != nil {
		return nil, fmt.Errorf("vpager: %w", err)
	}
	p := &Pager{
		c: c, now: o.Now, onEvent: o.OnEvent, b: o.Behaviour,
		fire: make(chan func(), 16), stop: make(chan struct{}), done: make(chan struct{}),
		jobs: map[string]*job{}, cmds: map[string]string{},
	}
	go p.loop()
	return p, nil
}

// ID is the attendant id.
func (p *Pager) ID() string { return p.c.ID() }

// SetBehaviour changes how later pages are answered.
func (p *Pager) SetBehaviour(b Behaviour) error {
	if err := b.Validate(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.b = b
	return nil
}

func (p *Pager) behaviour() Behaviour {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.b
}

// SetStatus publishes presence available, busy or break.
func (p *Pager) SetStatus(s string) error { return p.c.SetStatus(s) }

// GoOffline drops the handheld off the network (the broker publishes its
// offline will).
func (p *Pager) GoOffline() error {
	if err := p.c.Drop(); err != nil {
		return err
	}
	p.after(0, func() { p.emit(Event{Kind: WentOffline}, nil) })
	return nil
}

// ComeBack reconnects a handheld that went offline; presence is
// published again on connect.
func (p *Pager) ComeBack() error { return p.c.Restore() }

// Close takes the attendant off shift (presence offline) and stops the
// pager. Safe to call twice.
func (p *Pager) Close() error {
	var err error
	p.once.Do(func() {
		close(p.stop)
		<-p.done
		err = p.c.Close()
	})
	return err
}

// after runs f on the loop goroutine after d.
func (p *Pager) after(d time.Duration, f func()) *time.Timer {
	return time.AfterFunc(d, func() {
		select {
		case p.fire <- f:
		case <-p.stop:
		}
	})
}

func (p *Pager) loop() {
	defer close(p.done)
	defer func() {
		for _, j := range p.jobs {
			if j.timer != nil {
				j.timer.Stop()
			}
		}
	}()
	for {
		select {
		case <-p.stop:
			return
		case f := <-p.fire:
			f()
		case ev, ok := <-p.c.Events():
			if !ok {
				return
			}
			p.handle(ev)
		}
	}
}

func (p *Pager) emit(ev Event, j *job) {
	ev.Attendant = p.c.ID()
	if ev.At.IsZero() {
		ev.At = p.now()
	}
	if j != nil {
		ev.Page = j.page
		ev.Alert = j.page.Alert
		ev.SincePage = ev.At.Sub(j.pagedAt)
	}
	if p.onEvent != nil {
		p.onEvent(ev)
	}
}

func (p *Pager) handle(ev pagerclient.Event) {
	switch ev.Kind {
	case pagerclient.EvConnected:
		p.emit(Event{Kind: Connected, At: ev.At}, nil)
	case pagerclient.EvPage:
		p.paged(ev)
	case pagerclient.EvWithdrawn:
		j, ok := p.jobs[ev.Page.Alert]
		if !ok {
			return
		}
		if j.timer != nil {
			j.timer.Stop()
		}
		if j.pending > 0 {
			w := ev.Page
			j.withdrawn = &w
			return
		}
		p.finish(ev.Page.Alert, j)
		p.emit(Event{Kind: Withdrawn, At: ev.At, Error: ev.Page.Reason}, j)
	case pagerclient.EvResult:
		p.result(ev)
	case pagerclient.EvError:
		p.emit(Event{Kind: Failed, At: ev.At, Error: ev.Err.Error()}, nil)
	}
}

func (p *Pager) paged(ev pagerclient.Event) {
	alert := ev.Page.Alert
	if _, ok := p.jobs[alert]; ok {
		return // a duplicate or a higher tier of a page being handled
	}
	j := &job{page: ev.Page, pagedAt: ev.At}
	p.jobs[alert] = j
	p.emit(Event{Kind: Paged, At: ev.At}, j)
	b := p.behaviour()
	switch {
	case b.Ignore:
	case b.GoOfflineAfter > 0:
		j.timer = p.after(b.GoOfflineAfter, func() {
			if err := p.c.Drop(); err != nil {
				p.emit(Event{Kind: Failed, Error: err.Error()}, j)
				return
			}
			p.emit(Event{Kind: WentOffline}, j)
		})
	default:
		j.timer = p.after(b.ClaimAfter, func() { p.send(alert, protocol.PagerClaim, "") })
	}
}

// send sends a command for alert, if the attendant still has the page.
func (p *Pager) send(alert, action string, res protocol.Action) {
	j, ok := p.jobs[alert]
	if !ok || j.withdrawn != nil {
		return // withdrawn meanwhile
	}
	var cmd protocol.PagerCmd
	var err error
	switch action {
	case protocol.PagerClaim:
		cmd, err = p.c.Claim(alert)
	case protocol.PagerRelease:
		cmd, err = p.c.Release(alert)
	default:
		cmd, err = p.c.Resolve(alert, res)
	}
	if err != nil {
		p.emit(Event{Kind: Failed, Error: fmt.Sprintf("%s: %v", action, err)}, j)
		return
	}
	p.cmds[cmd.ID] = alert
	j.pending++
	if action == protocol.PagerClaim {
		p.emit(Event{Kind: ClaimSent}, j)
	}
}

func (p *Pager) result(ev pagerclient.Event) {
	alert, ok := p.cmds[ev.Result.ID]
	if !ok {
		return
	}
	delete(p.cmds, ev.Result.ID)
	j, ok := p.jobs[alert]
	if !ok {
		return
	}
	j.pending--
	r := ev.Result
	defer func() {
		// A withdrawal held back for this result ends the job now.
		if w := j.withdrawn; w != nil && j.pending == 0 && p.jobs[alert] == j {
			p.finish(alert, j)
			p.emit(Event{Kind: Withdrawn, At: ev.At, Error: w.Reason}, j)
		}
	}()
	switch ev.Cmd.Action {
	case protocol.PagerClaim:
		if !r.OK {
			p.finish(alert, j)
			p.emit(Event{Kind: ClaimLost, At: ev.At, ClaimedBy: r.ClaimedBy, Error: r.Error}, j)
			return
		}
		j.claimed = true
		p.emit(Event{Kind: Claimed, At: ev.At}, j)
		if j.withdrawn != nil {
			return
		}
		b := p.behaviour()
		if b.Release {
			j.timer = p.after(b.ResolveAfter, func() { p.send(alert, protocol.PagerRelease, "") })
		} else if a := b.resolution(j.page.Kind); a != "" {
			j.timer = p.after(b.ResolveAfter, func() { p.send(alert, protocol.PagerResolve, a) })
		}
	case protocol.PagerResolve, protocol.PagerRelease:
		if !r.OK {
			p.emit(Event{Kind: Refused, At: ev.At, Error: r.Error}, j)
			return
		}
		p.finish(alert, j)
		kind := Resolved
		if ev.Cmd.Action == protocol.PagerRelease {
			kind = Released
		}
		p.emit(Event{Kind: kind, At: ev.At, Action: ev.Cmd.Resolution}, j)
	}
}

// finish forgets alert.
func (p *Pager) finish(alert string, j *job) {
	if j.timer != nil {
		j.timer.Stop()
	}
	delete(p.jobs, alert)
}
