package quality

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/devices/scale"
	"github.com/sco-project/sco/kiosk"
	"github.com/sco-project/sco/protocol"
	"github.com/sco-project/sco/simulator/vdev"
)

// lane is one self-checkout lane in virtual time: the real lane engine,
// fed the readings the real NCI parser makes of what a virtual NCI scale
// (vdev) answers to each poll, and an attendant who comes when called.
// Everything happens on one goroutine; the clock only moves when the
// shopper waits.
type lane struct {
	id       int
	rng      *rand.Rand
	pol      kiosk.Policy
	cat      kiosk.Catalog
	now      time.Time
	poll     time.Duration
	nextPoll time.Time
	scale    vdev.ScaleModel
	eng      *kiosk.Engine
	learned  []kiosk.Learned // carried from checkout to checkout
	keep     bool            // keep what the lane learned
	ids      int
	// everyReading: feed every poll (Opts.everyReading).
	everyReading bool

	// The attendant comes at attendAt (zero: nobody called) and resolves
	// every open alert with what decide says.
	attendAt time.Time
	decide   func(protocol.Alert) protocol.Action
	away     bool // the attendant does not come (a planted fault is being watched)

	// What the current checkout raised, in order (status open).
	raised []protocol.Alert

	// The shopper's side: what lies in the bagging area, and the units
	// scanned so far in the session, by basket line number.
	onScale []*unit
	scanned []*unit
	events  int
	// last is the last reading fed to the engine and same how many
	// times in a row it came (see readScale).
	last devices.Reading
	same int

	// story is what happened in the current checkout, kept when the run
	// is traced (Opts.Trace); lastPrompt is the last prompt noted in it.
	story      *strings.Builder
	lastPrompt string
}

// note adds a line to the checkout's story when the run is traced.
func (l *lane) note(format string, a ...any) {
	if l.story == nil {
		return
	}
	fmt.Fprintf(l.story, "  %s  %s\n", l.now.Format("15:04:05.000"), fmt.Sprintf(format, a...))
}

// unit is one physical thing the shopper handles.
type unit struct {
	p     *product // nil for the shopper's own bag
	grams int
	line  int // basket line (-1: never scanned)
}

func (u *unit) String() string {
	if u.p == nil {
		return fmt.Sprintf("own bag %dg", u.grams)
	}
	return fmt.Sprintf("%s %dg", u.p.name, u.grams)
}

// Scale and lane timings of the quality run.
var physics = vdev.PhysicsOpts{
	Settle: 200 * time.Millisecond, SettleMax: 900 * time.Millisecond,
	Noise: 30, Division: 2, StableNoise: 2, Capacity: 30000,
}

func newLane(id int, seed uint64, start time.Time, pol kiosk.Policy, cat kiosk.Catalog, keep bool) *lane {
	po := physics
	po.Seed = seed
	l := &lane{
		id: id, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), pol: pol, cat: cat,
		now: start, poll: scale.DefaultPollInterval, nextPoll: start,
		scale: vdev.ScaleModel{Protocol: vdev.NCI, Units: vdev.KG, Phys: vdev.NewPhysics(po, start)},
		keep:  keep,
	}
	l.begin()
	return l
}

// begin starts a checkout on a fresh engine (as a lane restarted between
// shoppers would be: EvStart first), with what the lane has learned so
// far. The bagging area is empty.
func (l *lane) begin() {
	if l.eng != nil && l.keep {
		l.learned = l.eng.Learned()
	}
	l.eng = kiosk.NewEngine(kiosk.EngineConfig{Store: "q", Lane: fmt.Sprint(l.id), Zone: "front", Policy: l.pol, NewID: l.newID}, l.cat)
	l.eng.SetLearned(l.learned)
	l.same = 0 // the new engine has seen no reading
	l.raised, l.onScale, l.scanned = nil, nil, nil
	l.attendAt, l.away = time.Time{}, false
	l.handle(kiosk.Event{Kind: kiosk.EvStart}) // as the daemon starts it
}

func (l *lane) newID() string {
	l.ids++
	return fmt.Sprintf("%d-%d", l.id, l.ids)
}

// handle feeds one event at the lane's clock and notes what it raised.
func (l *lane) handle(ev kiosk.Event) kiosk.Effects {
	ev.At = l.now
	eff := l.eng.Handle(ev)
	l.events++
	if l.story != nil && eff.Changed {
		if st := l.eng.State(); st.Prompt != l.lastPrompt {
			l.lastPrompt = st.Prompt
			l.note("lane %s: %q", st.State, st.Prompt)
		}
	}
	for _, a := range eff.Alerts {
		l.note("ALERT %s %s %s", a.Kind, a.Status, a.Detail)
		if a.Status != protocol.AlertOpen {
			continue
		}
		l.raised = append(l.raised, a)
		if l.attendAt.IsZero() && !l.away {
			l.attendAt = l.now.Add(l.between(20*time.Second, 60*time.Second))
		}
	}
	return eff
}

// readScale polls the scale: the virtual NCI scale's answer to W, through
// the real driver's parser. A weight that repeats, once the engine has
// had it settle_readings times and more, is not fed again: the engine
// would do nothing with it (its deadlines come as ticks, and the same
// settled weight is judged the same way), and skipping it makes the run
// three times as fast.
func (l *lane) readScale() {
	r, err := scale.NCI{}.Parse(l.scale.Answer("W", l.now))
	if err != nil {
		r = devices.Reading{Status: devices.StatusNotReady, Detail: "garbled reply"}
	}
	if r.Stable() && r.Status == l.last.Status && r.Grams == l.last.Grams {
		l.same++
	} else {
		l.same = 0
	}
	l.last = r
	if l.same > l.pol.SettleReadings && !l.everyReading {
		return
	}
	r.At = l.now
	l.handle(kiosk.Event{Kind: kiosk.EvReading, Reading: r})
}

// wait lets d pass: scale polls, engine timers and the attendant, in time
// order.
func (l *lane) wait(d time.Duration) { l.advance(l.now.Add(d)) }

func (l *lane) advance(to time.Time) {
	for {
		next := l.nextPoll
		if d := l.eng.NextDeadline(); !d.IsZero() && d.Before(next) {
			next = d
		}
		if !l.attendAt.IsZero() && l.attendAt.Before(next) {
			next = l.attendAt
		}
		if next.After(to) {
			break
		}
		l.now = next
		switch {
		case next.Equal(l.attendAt):
			l.attend()
		case next.Equal(l.nextPoll):
			l.readScale()
			l.nextPoll = l.nextPoll.Add(l.poll)
		default:
			l.handle(kiosk.Event{Kind: kiosk.EvTick})
		}
	}
	l.now = to
}

// attend: the attendant is at the lane and resolves what is open.
func (l *lane) attend() {
	l.attendAt = time.Time{}
	for i, a := range l.eng.OpenAlerts() {
		l.note("attendant: %s %s", l.decide(a), a.Kind)
		l.handle(kiosk.Event{Kind: kiosk.EvCommand, Command: protocol.Command{
			ID: fmt.Sprintf("%s-c%d", a.ID, i), Alert: a.ID, Action: l.decide(a), By: "ana", TS: protocol.At(l.now),
		}})
	}
}

// between is a random duration in [lo, hi].
func (l *lane) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(l.rng.Int64N(int64(hi-lo)+1))
}

func (l *lane) chance(p float64) bool { return p > 0 && l.rng.Float64() < p }

// ---- the shopper's hands ----

// unit takes a unit of p off the shelf: its own true weight.
func (l *lane) unit(p *product) *unit {
	g := p.mean + l.rng.NormFloat64()*p.sd
	return &unit{p: p, grams: max(int(g+0.5), 1), line: -1}
}

// scan scans u; false when the lane refused the scan.
func (l *lane) scan(u *unit) bool {
	eff := l.handle(kiosk.Event{Kind: kiosk.EvScan, Scan: devices.Scan{Data: u.p.gtin, AIM: "]E0", At: l.now}})
	if eff.Refused != "" {
		l.note("scans %s: refused, %s", u, eff.Refused)
		return false
	}
	l.note("scans %s", u)
	u.line = len(l.scanned)
	l.scanned = append(l.scanned, u)
	return true
}

func (l *lane) place(u *unit) {
	l.note("puts down %s", u)
	l.scale.Phys.Place(u.grams, l.now)
	l.onScale = append(l.onScale, u)
}

func (l *lane) lift(u *unit) {
	if i := slices.Index(l.onScale, u); i >= 0 {
		l.note("lifts %s", u)
		l.scale.Phys.Remove(u.grams, l.now)
		l.onScale = slices.Delete(l.onScale, i, i+1)
	}
}

func (l *lane) has(u *unit) bool { return slices.Contains(l.onScale, u) }

// press sends a shopper button (own bag, skip bagging, finish, help) and
// returns the lane's refusal, if any.
func (l *lane) press(k kiosk.EventKind) string {
	r := l.handle(kiosk.Event{Kind: k}).Refused
	l.note("presses %s %s", buttonName[k], r)
	return r
}

var buttonName = map[kiosk.EventKind]string{kiosk.EvOwnBag: "own bag", kiosk.EvSkipBag: "skip bagging", kiosk.EvFinish: "finish"}

// takeAll: the shopper leaves with everything; the bagging area is
// empty.
func (l *lane) takeAll() {
	l.scale.Phys.Set(0, l.now)
	l.onScale = nil
}

// ---- what the shopper sees ----

// accounted says whether the lane has accepted u (bagged or skipped).
func (l *lane) accounted(s *kiosk.Snapshot, u *unit) bool {
	if u.line < 0 {
		return false
	}
	for _, ln := range s.Basket {
		if ln.N == u.line {
			return ln.Bagged || ln.Skipped
		}
	}
	return false
}

// blocked: an alert other than age_check is open; the shopper waits for
// the attendant.
func (l *lane) blocked() bool {
	return slices.ContainsFunc(l.eng.OpenAlerts(), func(a protocol.Alert) bool { return kiosk.Blocking(a.Kind) })
}

// calm: the lane has had time to weigh what the shopper did last (the
// scale came to rest and settle_readings polls followed), nothing waits
// for its weight, the bagging area matches, no blocking alert.
func (l *lane) calm() bool {
	settled := l.scale.Phys.RestsAt().Add(time.Duration(l.pol.SettleReadings) * l.poll)
	if l.now.Before(settled) {
		return false
	}
	s := l.eng.Snapshot()
	return s.Sensors.Settled && s.Pending == nil && s.Held == nil && s.Anomaly == nil && !l.blocked()
}

// raisedSince is the alerts raised since the i-th.
func (l *lane) raisedSince(i int) []protocol.Alert { return l.raised[i:] }
