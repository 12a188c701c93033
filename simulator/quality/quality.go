package quality

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/sco-project/sco/kiosk"
	"github.com/sco-project/sco/protocol"
)

// Opts configures a quality run. The zero value runs 5000 clean
// checkouts (a week of four busy lanes) and 100 of each planted fault on
// 4 lanes with the default policy, seed 1.
type Opts struct {
	// Checkouts is the number of clean checkouts; 0 means 5000.
	Checkouts int
	// Faults is how many times each fault is planted; 0 means 100,
	// negative none.
	Faults int
	// Lanes share the checkouts; each learns on its own. 0 means 4.
	Lanes int
	// Seed makes the run repeatable; 0 means 1.
	Seed uint64
	// Policy is the lane policy (defaults applied).
	Policy kiosk.Policy
	// NoButtons runs shoppers on a lane without the own-bag and
	// skip-bagging buttons (the v1 shopper screen): heavy items stay in
	// the trolley and bags go down anyway.
	NoButtons bool
	// NoLearning forgets learned weights after every checkout.
	NoLearning bool
	// Trace, when set, receives the story of every clean checkout that
	// raised a false alert, and of every planted fault not caught by its
	// alert: what the shopper did and what the lane said, in virtual
	// time. Lanes then run one after the other.
	Trace io.Writer

	// everyReading feeds the engine every poll, also the repeats
	// readScale skips (tests check that it changes nothing).
	everyReading bool
}

func (o *Opts) defaults() {
	if o.Checkouts == 0 {
		o.Checkouts = 5000
	}
	if o.Faults == 0 {
		o.Faults = 100
	}
	if o.Lanes <= 0 {
		o.Lanes = 4
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	o.Policy = o.Policy.WithDefaults()
}

// Targets of the quality run (issue 14): at most this many false alerts
// per 100 clean checkouts, and every planted fault caught by its alert.
const MaxFalsePer100 = 1.0

// Report is what a quality run measured.
type Report struct {
	Opts Opts
	// Clean checkouts: how many, their items, how many never finished
	// (a simulator or lane bug: must be 0).
	Clean, Items, Stuck int
	// False counts the alerts clean checkouts raised, by kind (age_check
	// is not counted: it is the rule, not a false alarm); AgeChecks
	// counts those.
	False     map[protocol.Kind]int
	AgeChecks int
	// Learning counts the false alerts on the products whose catalogue
	// weight is wrong (5-10% off): the price of learning them, two
	// attendant approves per lane and product (a few more when the
	// product comes with quick hands), after which they are quiet. It is
	// part of False.
	Learning int
	// WrongWeights is how many products have a wrong catalogue weight.
	WrongWeights int
	// WithFalse is the number of clean checkouts that raised any.
	WithFalse int
	// Faults holds one result per planted fault, in Faults order.
	Faults []FaultResult
	// Engine events handled, virtual time simulated, wall time taken.
	Events  int
	Virtual time.Duration
	Wall    time.Duration
}

// FaultResult says how often a planted fault raised its alert.
type FaultResult struct {
	Fault
	Planted, Caught, Missed int
	// Other counts the faults that raised another alert first, by kind.
	Other map[protocol.Kind]int
}

// FalsePer100 is the false alerts per 100 clean checkouts.
func (r *Report) FalsePer100() float64 {
	if r.Clean == 0 {
		return 0
	}
	n := 0
	for _, c := range r.False {
		n += c
	}
	return 100 * float64(n) / float64(r.Clean)
}

// Check returns an error naming every target the run missed.
func (r *Report) Check() error {
	var errs []error
	if f := r.FalsePer100(); f > MaxFalsePer100 {
		errs = append(errs, fmt.Errorf("%.2f false alerts per 100 clean checkouts, target at most %.0f", f, MaxFalsePer100))
	}
	if r.Stuck > 0 {
		errs = append(errs, fmt.Errorf("%d clean checkouts never finished", r.Stuck))
	}
	for _, f := range r.Faults {
		if f.Caught < f.Planted {
			errs = append(errs, fmt.Errorf("%s: %d of %d raised %s", f.Name, f.Caught, f.Planted, f.Want))
		}
	}
	return errors.Join(errs...)
}

// job is one checkout: clean (fault -1) or with a planted fault.
type job struct{ fault int }

// Run runs the quality simulation. Lanes run in parallel, each on its own
// seeded random source, so the report depends on Opts alone.
func Run(o Opts) (*Report, error) {
	o.defaults()
	start := time.Now()
	ps := shelf()
	cat, err := kiosk.ParseCatalog(strings.NewReader(catalogCSV(ps)), "quality-catalog.csv", nil, o.Policy.DefaultToleranceG)
	if err != nil {
		return nil, fmt.Errorf("quality: %w", err)
	}
	idx := indexShelf(ps, o.Policy)
	var jobs []job
	for range o.Checkouts {
		jobs = append(jobs, job{fault: -1})
	}
	for f := range Faults {
		for range max(o.Faults, 0) {
			jobs = append(jobs, job{fault: f})
		}
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x5157))
	rng.Shuffle(len(jobs), func(i, j int) { jobs[i], jobs[j] = jobs[j], jobs[i] })

	parts := make([]*Report, o.Lanes)
	var wg sync.WaitGroup
	t0 := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	for n := range o.Lanes {
		var mine []job
		for i := n; i < len(jobs); i += o.Lanes {
			mine = append(mine, jobs[i])
		}
		play := func() {
			l := newLane(n+1, o.Seed*1000+uint64(n), t0, o.Policy, cat, !o.NoLearning)
			l.everyReading = o.everyReading
			parts[n] = l.run(mine, idx, o)
		}
		if o.Trace != nil {
			play() // one story at a time
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			play()
		}()
	}
	wg.Wait()

	r := &Report{Opts: o, False: map[protocol.Kind]int{}}
	for _, p := range ps {
		if p.off() {
			r.WrongWeights++
		}
	}
	for f := range Faults {
		r.Faults = append(r.Faults, FaultResult{Fault: Faults[f], Other: map[protocol.Kind]int{}})
	}
	for _, p := range parts {
		r.Clean += p.Clean
		r.Items += p.Items
		r.Stuck += p.Stuck
		r.AgeChecks += p.AgeChecks
		r.Learning += p.Learning
		r.WithFalse += p.WithFalse
		r.Events += p.Events
		r.Virtual += p.Virtual
		for k, n := range p.False {
			r.False[k] += n
		}
		for i, f := range p.Faults {
			r.Faults[i].Planted += f.Planted
			r.Faults[i].Caught += f.Caught
			r.Faults[i].Missed += f.Missed
			for k, n := range f.Other {
				r.Faults[i].Other[k] += n
			}
		}
	}
	r.Wall = time.Since(start)
	return r, nil
}

// run plays one lane's checkouts.
func (l *lane) run(jobs []job, idx *shelfIndex, o Opts) *Report {
	start := l.now
	r := &Report{False: map[protocol.Kind]int{}}
	for f := range Faults {
		r.Faults = append(r.Faults, FaultResult{Fault: Faults[f], Other: map[protocol.Kind]int{}})
	}
	for _, j := range jobs {
		basket := l.basket(idx)
		if o.Trace != nil {
			l.story = &strings.Builder{}
			l.lastPrompt = ""
		}
		if j.fault >= 0 {
			fr := &r.Faults[j.fault]
			fr.Planted++
			l.note("lane %d, planted fault: %s; basket of %d", l.id, fr.Name, len(basket))
			a := l.faultCheckout(basket, j.fault, idx)
			switch {
			case a == nil:
				fr.Missed++
			case a.Kind == fr.Want:
				fr.Caught++
			default:
				fr.Other[a.Kind]++
			}
			if o.Trace != nil && (a == nil || a.Kind != fr.Want) {
				fmt.Fprintf(o.Trace, "planted fault not caught by %s:\n%s\n", fr.Want, l.story)
			}
			l.story = nil
			continue
		}
		h := l.habits(!o.NoButtons)
		l.note("lane %d, shopper %+v, basket of %d", l.id, h, len(basket))
		res := l.cleanCheckout(basket, h)
		r.Clean++
		r.Items += res.items
		if res.stuck {
			r.Stuck++
			if o.Trace != nil {
				fmt.Fprintf(o.Trace, "checkout never finished:\n%s\n", l.story)
			}
		}
		falses := 0
		for _, a := range res.alerts {
			if a.Kind == protocol.KindAgeCheck {
				r.AgeChecks++
				continue
			}
			r.False[a.Kind]++
			falses++
			if a.Item != nil && idx.off[a.Item.GTIN] {
				r.Learning++
			}
		}
		if falses > 0 {
			r.WithFalse++
			if o.Trace != nil {
				fmt.Fprintf(o.Trace, "checkout with %d false alerts:\n%s\n", falses, l.story)
			}
		}
		l.story = nil
	}
	r.Events = l.events
	r.Virtual = l.now.Sub(start)
	return r
}

// basket is a random shopper's basket: 3 to 20 everyday items, sometimes
// a bottle (age check), a heavy pack or two, a loaf, a garden chair.
func (l *lane) basket(idx *shelfIndex) []*product {
	var b []*product
	for _, p := range idx.all {
		if !p.heavy && !p.noBag && !p.age {
			b = append(b, p)
		}
	}
	n := 3 + l.rng.IntN(18)
	out := make([]*product, 0, n+3)
	for range n {
		out = append(out, b[l.rng.IntN(len(b))])
	}
	extra := func(p float64, from func(*product) bool) {
		if !l.chance(p) {
			return
		}
		var c []*product
		for _, x := range idx.all {
			if from(x) {
				c = append(c, x)
			}
		}
		out = append(out, c[l.rng.IntN(len(c))])
	}
	extra(0.1, func(p *product) bool { return p.age })
	extra(0.2, func(p *product) bool { return p.heavy })
	extra(0.05, func(p *product) bool { return p.heavy })
	extra(0.03, func(p *product) bool { return p.noBag })
	l.rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// habits draws a clean shopper: a third have quick hands, one in ten
// puts items down two at a time, a third bring their own bag.
func (l *lane) habits(buttons bool) habits {
	h := habits{buttons: buttons}
	if l.chance(0.35) {
		h.quick = 0.5
	}
	if l.chance(0.1) {
		h.twos = 0.4
	}
	if l.chance(0.35) {
		h.bag = []bagMode{bagAtIdle, bagAnnounced, bagPrompted}[l.rng.IntN(3)]
	}
	return h
}

// WriteText prints the report as the tables of docs/benchmarks.md.
func (r *Report) WriteText(w io.Writer) error {
	o := r.Opts
	fmt.Fprintf(w, "kiosk-sim quality: seed %d, %d lanes, %d clean checkouts (%d items), %d planted faults of each kind\n",
		o.Seed, o.Lanes, r.Clean, r.Items, max(o.Faults, 0))
	var off []string
	if o.NoButtons {
		off = append(off, "no own-bag or skip-bagging buttons")
	}
	if o.NoLearning {
		off = append(off, "no learned weights")
	}
	if len(off) > 0 {
		fmt.Fprintf(w, "lane without: %s\n", strings.Join(off, ", "))
	}
	fmt.Fprintf(w, "%d engine events, %s of shopping simulated in %s\n\n", r.Events, r.Virtual.Round(time.Second), r.Wall.Round(time.Millisecond))

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "false alerts (clean checkouts)\talerts\tper 100 checkouts\t")
	total := 0
	for _, k := range protocol.Kinds {
		if k == protocol.KindAgeCheck {
			continue
		}
		n := r.False[k]
		total += n
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t\n", k, n, per100(n, r.Clean))
	}
	fmt.Fprintf(tw, "total\t%d\t%.2f\t\n", total, per100(total, r.Clean))
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "of these, on the %d products whose catalogue weight is 5-10%% off (the price of learning them): %d (%.2f per 100)\n", r.WrongWeights, r.Learning, per100(r.Learning, r.Clean))
	fmt.Fprintf(w, "checkouts with a false alert: %d of %d; age checks (not false): %d; never finished: %d\n\n", r.WithFalse, r.Clean, r.AgeChecks, r.Stuck)

	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "planted fault\twant\tplanted\tcaught\tshare\tother alert\tno alert\t")
	for _, f := range r.Faults {
		var other []string
		for _, k := range protocol.Kinds {
			if n := f.Other[k]; n > 0 {
				other = append(other, fmt.Sprintf("%s %d", k, n))
			}
		}
		o := "0"
		if len(other) > 0 {
			o = strings.Join(other, ", ")
		}
		share := 0.0
		if f.Planted > 0 {
			share = 100 * float64(f.Caught) / float64(f.Planted)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.0f%%\t%s\t%d\t\n", f.Name, f.Want, f.Planted, f.Caught, share, o, f.Missed)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verdict := "targets met: at most 1 false alert per 100 clean checkouts, every planted fault caught by its alert"
	if err := r.Check(); err != nil {
		verdict = "targets missed: " + strings.ReplaceAll(err.Error(), "\n", "; ")
	}
	_, err := fmt.Fprintf(w, "\n%s\n", verdict)
	return err
}

func per100(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}
