package store

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/attendant/report"
	"github.com/sco-project/sco/protocol"
)

// Wait is the longest a stuck shopper should wait for a person; Result
// counts those who waited longer.
const Wait = 60 * time.Second

// Stats are percentiles of a set of durations.
type Stats struct {
	N                  int
	P50, P90, P95, Max time.Duration
}

func stats(ds []time.Duration) Stats {
	s := Stats{N: len(ds)}
	if len(ds) == 0 {
		return s
	}
	slices.Sort(ds)
	at := func(p float64) time.Duration { return report.Percentile(ds, p) }
	s.P50, s.P90, s.P95, s.Max = at(.5), at(.9), at(.95), ds[len(ds)-1]
	return s
}

// Result is one staffing level's run.
type Result struct {
	Attendants int
	// Routing is the tier-1 rule the run used.
	Routing attendant.Routing
	// Shifts is how many shifts the numbers pool.
	Shifts   int
	Troubles int
	// Claim, Arrival and Resolved count from the trouble: to the claim,
	// to the attendant at the lane (kinds resolved on site only), to the
	// lane's answer.
	Claim, Arrival, Resolved Stats
	// Unreached are troubles nobody resolved by the end of the run.
	Unreached int
	// WaitedOver is how many shoppers waited more than Wait for a person
	// (or, for remote kinds, for the resolution).
	WaitedOver int
	// Tier2 and Tier3 count alerts paged at tier 2 and at tier 3.
	Tier2, Tier3 int
	// Utilisation is the attendants' share of the shift spent on alerts
	// (walking and resolving), averaged over them.
	Utilisation float64
}

// event is something due at a virtual time.
type event struct {
	at  time.Time
	seq int
	do  func(now time.Time)
}

type queue []*event

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(*event)) }
func (q *queue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// trouble is one alert's timeline.
type trouble struct {
	lane, zone string
	kind       protocol.Kind
	raised     time.Time
	claimed    time.Time
	arrived    time.Time
	resolved   time.Time
	tier       int
}

// agent is an attendant: free, or busy with one alert.
type agent struct {
	id    string
	zone  string
	busy  string                   // the alert they hold
	pages map[string]protocol.Page // live pages
	since time.Time
	work  time.Duration
	seq   int
}

type sim struct {
	f        *Floor
	d        *attendant.Dispatcher
	cfg      *attendant.Config
	rng      *rand.Rand
	q        queue
	seq      int
	troubles map[string]*trouble
	agents   map[string]*agent
}

// RunShifts simulates shifts shifts of the floor staffed by its first n
// attendants (seeds seed, seed+1, ...), the dispatcher choosing tier 1
// by routing, and pools their troubles: one shift of a few hundred
// troubles leaves the tail percentiles to chance, twenty do not.
func RunShifts(f *Floor, n int, routing attendant.Routing, seed uint64, shifts int) (Result, error) {
	if n < 1 || n > len(f.Attendants) {
		return Result{}, fmt.Errorf("store: %d attendants: the floor lists %d", n, len(f.Attendants))
	}
	if shifts < 1 {
		return Result{}, fmt.Errorf("store: %d shifts: at least one", shifts)
	}
	var sims []*sim
	for i := range shifts {
		s, err := shift(f, n, routing, seed+uint64(i))
		if err != nil {
			return Result{}, err
		}
		sims = append(sims, s)
	}
	r := result(n, time.Duration(f.Hours*float64(time.Hour)), sims)
	r.Routing, r.Shifts = routing, shifts
	return r, nil
}

// shift plays one shift and returns its finished simulation.
func shift(f *Floor, n int, routing attendant.Routing, seed uint64) (*sim, error) {
	cfg, err := f.config(n)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	cfg.Routing = routing
	s := &sim{f: f, cfg: cfg, d: attendant.NewDispatcher(cfg), rng: rand.New(rand.NewPCG(seed, 0)),
		troubles: map[string]*trouble{}, agents: map[string]*agent{}}
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for _, at := range cfg.Attendants {
		s.agents[at.ID] = &agent{id: at.ID, zone: at.Zone, pages: map[string]protocol.Page{}}
		if _, err := s.d.Presence(t0, at.ID, protocol.Presence{Status: protocol.PresenceAvailable}); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	s.apply(t0, s.d.Start(t0))
	end := t0.Add(time.Duration(f.Hours * float64(time.Hour)))
	// Each lane's troubles of each kind arrive as a Poisson process.
	n0 := 0
	for _, l := range f.lanes() {
		for _, k := range protocol.Kinds {
			rate := f.ShoppersPerLaneHour * f.Trouble[k] / float64(time.Hour) // per ns
			if rate <= 0 {
				continue
			}
			for t := t0.Add(s.exp(rate)); t.Before(end); t = t.Add(s.exp(rate)) {
				n0++
				id := fmt.Sprintf("l%s-%d", l[0], n0)
				lane, zone, kind := l[0], l[1], k
				s.at(t, func(now time.Time) { s.raise(now, id, lane, zone, kind) })
			}
		}
	}
	// Run until every event is done and the dispatcher has nothing due
	// (the shift's troubles are all resolved, or stay open at tier 3).
	for {
		next, ok := s.d.NextDeadline()
		if s.q.Len() > 0 && (!ok || !s.q[0].at.After(next)) {
			e := heap.Pop(&s.q).(*event)
			e.do(e.at)
			continue
		}
		if !ok || next.After(end.Add(24*time.Hour)) {
			break
		}
		s.apply(next, s.d.Tick(next))
	}
	return s, nil
}

// exp draws an exponential gap for a rate per nanosecond.
func (s *sim) exp(rate float64) time.Duration {
	return time.Duration(s.rng.ExpFloat64() / rate)
}

func (s *sim) at(t time.Time, do func(time.Time)) {
	s.seq++
	heap.Push(&s.q, &event{at: t, seq: s.seq, do: do})
}

func (s *sim) raise(now time.Time, id, lane, zone string, kind protocol.Kind) {
	s.troubles[id] = &trouble{lane: lane, zone: zone, kind: kind, raised: now}
	fx, err := s.d.LaneAlert(now, lane, protocol.Alert{ID: id, Store: "sim", Lane: lane, Zone: zone, Kind: kind, Status: protocol.AlertOpen, TS: protocol.At(now)})
	if err == nil {
		s.apply(now, fx)
	}
}

// apply plays the dispatcher's effects: pages reach the agents, the lane
// answers every command at once.
func (s *sim) apply(now time.Time, fx attendant.Effects) {
	for _, p := range fx.Pages {
		a := s.agents[p.To]
		if p.Page.Withdrawn {
			delete(a.pages, p.Page.Alert)
			continue
		}
		if tr := s.troubles[p.Page.Alert]; tr != nil {
			tr.tier = max(tr.tier, p.Page.Tier)
		}
		a.pages[p.Page.Alert] = p.Page
		s.notice(now, a)
	}
	for _, c := range fx.Commands {
		cmd := c.Command
		s.at(now, func(now time.Time) {
			fx, err := s.d.LaneResult(now, c.Lane, protocol.CommandResult{ID: cmd.ID, OK: true, TS: protocol.At(now)})
			if err == nil {
				s.apply(now, fx)
			}
		})
	}
	for _, r := range fx.Records {
		if tr := s.troubles[r.Record.ID]; tr != nil && r.Record.Status == protocol.AlertResolved && tr.resolved.IsZero() {
			tr.resolved = now
			s.free(now, r.Record.ClaimedBy)
		}
	}
}

// notice has a free agent with a live page claim it after the notice
// delay (the page nearest by walk first).
func (s *sim) notice(now time.Time, a *agent) {
	if a.busy != "" || len(a.pages) == 0 {
		return
	}
	a.seq++
	seq := a.seq
	s.at(now.Add(s.f.Notice), func(now time.Time) {
		if a.busy != "" || a.seq != seq || len(a.pages) == 0 {
			return
		}
		ids := make([]string, 0, len(a.pages))
		for id := range a.pages {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool {
			wi, wj := s.cfg.Walk(a.zone, s.troubles[ids[i]].zone), s.cfg.Walk(a.zone, s.troubles[ids[j]].zone)
			if wi != wj {
				return wi < wj
			}
			return s.troubles[ids[i]].raised.Before(s.troubles[ids[j]].raised)
		})
		s.claim(now, a, ids[0])
	})
}

func (s *sim) cmd(now time.Time, a *agent, alert, action string, res protocol.Action) bool {
	a.seq++
	fx, err := s.d.PagerCmd(now, a.id, protocol.PagerCmd{ID: fmt.Sprintf("%s-%d", a.id, a.seq), Alert: alert, Action: action, Resolution: res, TS: protocol.At(now)})
	s.apply(now, fx)
	return err == nil
}

func (s *sim) claim(now time.Time, a *agent, id string) {
	page := a.pages[id]
	if !s.cmd(now, a, id, protocol.PagerClaim, "") {
		delete(a.pages, id)
		s.notice(now, a)
		return
	}
	tr := s.troubles[id]
	tr.claimed = now
	a.busy, a.since = id, now
	res := protocol.ActionClear
	for _, r := range page.Resolutions {
		if r != protocol.ActionOutOfService {
			res = r
			break
		}
	}
	resolve := func(now time.Time) { s.cmd(now, a, id, protocol.PagerResolve, res) }
	if slices.Contains(s.f.Remote, tr.kind) {
		s.at(now.Add(s.f.resolve(tr.kind)), resolve)
		return
	}
	s.at(now.Add(s.cfg.Walk(a.zone, tr.zone)), func(now time.Time) {
		tr.arrived = now
		a.zone = tr.zone
		s.cmd(now, a, id, protocol.PagerArrive, "")
		s.at(now.Add(s.f.resolve(tr.kind)), resolve)
	})
}

func (s *sim) free(now time.Time, who string) {
	a := s.agents[who]
	if a == nil || a.busy == "" {
		return
	}
	delete(a.pages, a.busy)
	a.busy = ""
	a.work += now.Sub(a.since)
	s.notice(now, a)
}

// result pools the shifts' troubles and the attendants' time.
func result(n int, shift time.Duration, sims []*sim) Result {
	r := Result{Attendants: n}
	var claim, arrival, resolved []time.Duration
	var work time.Duration
	for _, s := range sims {
		r.Troubles += len(s.troubles)
		for _, tr := range s.troubles {
			if !tr.claimed.IsZero() {
				claim = append(claim, tr.claimed.Sub(tr.raised))
			}
			if !tr.arrived.IsZero() {
				arrival = append(arrival, tr.arrived.Sub(tr.raised))
			}
			if tr.tier >= 2 {
				r.Tier2++
			}
			if tr.tier >= 3 {
				r.Tier3++
			}
			if tr.resolved.IsZero() {
				r.Unreached++
				r.WaitedOver++
				continue
			}
			resolved = append(resolved, tr.resolved.Sub(tr.raised))
			reached := tr.arrived
			if reached.IsZero() {
				reached = tr.resolved
			}
			if reached.Sub(tr.raised) > Wait {
				r.WaitedOver++
			}
		}
		for _, a := range s.agents {
			work += a.work
		}
	}
	r.Claim, r.Arrival, r.Resolved = stats(claim), stats(arrival), stats(resolved)
	r.Utilisation = float64(work) / float64(shift) / float64(n*len(sims))
	return r
}
