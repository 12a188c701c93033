package demo

import (
	"context"

	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/protocol"
	"github.com/sco-project/sco/simulator/harness"
	"github.com/sco-project/sco/simulator/shopper"
	"github.com/sco-project/sco/simulator/vpager"
)

// Opts configures the demo. The zero value runs four lanes on an embedded
// broker until ctx ends.
type Opts struct {
	Broker string       // "" starts an embedded broker
	MQTT   mqttc.Config // credentials and TLS for Broker
	Lanes  int          // 0 means 4
	Seed   uint64       // random shoppers' seed; 0 means 1
	// Rates of trouble; zero means shopper.DefaultRates scaled up so that
	// something happens every few seconds.
	Rates *shopper.Rates
	// Out receives the live log; Logger the components' own logs (nil
	// discards them).
	Out    io.Writer
	Logger *slog.Logger
	// Ready, if not nil, is called once the store is up.
	Ready func(*harness.Store)
}

// DemoRates make a demo lively: trouble every basket or two.
var DemoRates = shopper.Rates{NoBag: 0.08, WrongItem: 0.05, BadScan: 0.05, Unexpected: 0.06, Removed: 0.04, AgeItem: 0.3, Help: 0.1, SelfFix: 0.4}

// Staff behaviour: Ana is quick, Ben slower, Sue (the supervisor) only
// steps in when the ladder reaches her.
var staff = []struct {
	id string
	b  vpager.Behaviour
}{
	{"ana", vpager.Behaviour{ClaimAfter: 1500 * time.Millisecond, ResolveAfter: 1500 * time.Millisecond}},
	{"ben", vpager.Behaviour{ClaimAfter: 2500 * time.Millisecond, ResolveAfter: 2 * time.Second}},
	{"sue", vpager.Behaviour{ClaimAfter: 1 * time.Second, ResolveAfter: time.Second}},
}

// resolutions is what an attendant does for each kind, from the handheld.
var resolutions = map[protocol.Kind]protocol.Action{
	protocol.KindUnknownItem:    protocol.ActionClear,
	protocol.KindBagTimeout:     protocol.ActionApprove,
	protocol.KindWeightMismatch: protocol.ActionApprove,
	protocol.KindUnexpectedItem: protocol.ActionApprove,
	protocol.KindItemRemoved:    protocol.ActionVoid,
	protocol.KindAgeCheck:       protocol.ActionAgeOK,
	protocol.KindHelp:           protocol.ActionClear,
	protocol.KindDeviceFault:    protocol.ActionClear,
	protocol.KindSkipBag:        protocol.ActionApprove,
}

// ensureDefaults fills in the fields of o whose zero value means a
// default. A nil Logger stays nil: the harness discards.
func (o *Opts) ensureDefaults() {
	if o.Lanes <= 0 {
		o.Lanes = 4
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Rates == nil {
		o.Rates = &DemoRates
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
}

// Run runs the demo until ctx ends, then stops everything and prints a
// summary.
func Run(ctx context.Context, o Opts) error {
	o.ensureDefaults()
	rates := *o.Rates
	specs := make([]harness.LaneSpec, o.Lanes)
	zones := []string{"front", "front", "back", "back"}
	for i := range specs {
		specs[i] = harness.LaneSpec{
			Zone: zones[i%len(zones)],
			Policy: map[string]string{"bag_timeout": "4s", "bag_prompts": "1", "unexpected_grace": "3s",
				"removed_grace": "3s", "device_grace": "2s"},
			Scale: []string{"nci", "toledo", "sics"}[i%3],
		}
	}
	fmt.Fprintf(o.Out, "kiosk-sim demo: starting a store with %d lanes...\n", o.Lanes)
	s, err := harness.Start(ctx, harness.Opts{Broker: o.Broker, MQTT: o.MQTT, Lanes: specs, Logger: o.Logger,
		Escalation: attendant.Escalation{AckTimeout: 5 * time.Second, ClaimTimeout: 30 * time.Second, Repeat: 2}})
	if err != nil {
		return err
	}
	defer s.Close()
	log := newLive(o.Out, s)
	feed := s.Observer.Subscribe()
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		for ev := range feed {
			log.event(ev)
		}
	}()
	for _, st := range staff {
		b := st.b
		b.ResolveByKind = resolutions
		if _, err := s.StartPager(st.id, "", b, nil); err != nil {
			return err
		}
	}
	fmt.Fprintf(o.Out, "broker %s, bridge online, attendants: %s\n", s.BrokerURL, roster(s))
	fmt.Fprintln(o.Out, "shopper screens:")
	for _, l := range s.Lanes {
		fmt.Fprintf(o.Out, "  lane %s (%s, %s scale): %s\n", l.ID, l.Zone, l.Config.Scale.Protocol, l.URL)
	}
	fmt.Fprintln(o.Out, "press Ctrl-C to stop")
	if o.Ready != nil {
		o.Ready(s)
	}

	var wg sync.WaitGroup
	for i, l := range s.Lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := uint64(0); ctx.Err() == nil; n++ {
				sh := shopper.New(s, l, o.Seed*1000+uint64(i)*100+n, shopper.Opts{Rates: rates, Patience: time.Minute})
				if err := sh.Checkout(ctx); err != nil && ctx.Err() == nil {
					fmt.Fprintf(o.Out, "%s lane %-3s %v\n", stamp(time.Now()), l.ID, err)
				}
			}
		}()
	}
	<-ctx.Done()
	wg.Wait()
	fmt.Fprintln(o.Out, "stopping...")
	s.Close()
	<-logDone
	log.summary()
	return nil
}

func roster(s *harness.Store) string {
	var p []string
	for _, a := range s.Roster {
		p = append(p, fmt.Sprintf("%s (%s; %s)", a.Name, a.Zone, strings.Join(a.Roles, ", ")))
	}
	return strings.Join(p, ", ")
}

func stamp(t time.Time) string { return t.Format("15:04:05.000") }

// live prints the store's traffic as a person wants to read it.
type live struct {
	out    io.Writer
	s      *harness.Store
	alerts map[string]*tracked
	paged  map[string]map[string]bool
	stats  map[protocol.Kind]*kindStats
	lanes  map[string]protocol.LaneState
	paid   int
}

type tracked struct {
	kind   protocol.Kind
	lane   string
	raised time.Time
	done   bool
}

type kindStats struct {
	raised, cancelled, resolved int
	toClaim, toResolve          []time.Duration
}

func newLive(out io.Writer, s *harness.Store) *live {
	return &live{out: out, s: s, alerts: map[string]*tracked{}, paged: map[string]map[string]bool{}, stats: map[protocol.Kind]*kindStats{}, lanes: map[string]protocol.LaneState{}}
}

func (l *live) kind(k protocol.Kind) *kindStats {
	if l.stats[k] == nil {
		l.stats[k] = &kindStats{}
	}
	return l.stats[k]
}

func (l *live) printf(at time.Time, lane, format string, args ...any) {
	fmt.Fprintf(l.out, "%s lane %-3s %s\n", stamp(at), lane, fmt.Sprintf(format, args...))
}

func (l *live) name(id string) string {
	if a, ok := l.s.Attendant(id); ok {
		return a.Name
	}
	return id
}

func (l *live) event(ev harness.Event) {
	switch {
	case ev.Alert != nil && ev.Alert.Status == protocol.AlertOpen:
		if l.alerts[ev.Alert.ID] != nil {
			return // re-published when the bridge came back
		}
		l.alerts[ev.Alert.ID] = &tracked{kind: ev.Alert.Kind, lane: ev.Alert.Lane, raised: ev.At}
		l.kind(ev.Alert.Kind).raised++
		what := string(ev.Alert.Kind)
		if ev.Alert.Item != nil {
			what += " (" + ev.Alert.Item.Name + ")"
		}
		l.printf(ev.At, ev.Alert.Lane, "ALERT %s [%s]", what, ev.Alert.Severity)
	case ev.Alert != nil && ev.Alert.Status == protocol.AlertCancelled:
		if a := l.alerts[ev.Alert.ID]; a != nil && !a.done {
			a.done = true
			l.kind(a.kind).cancelled++
			l.printf(ev.At, a.lane, "cancelled %s: the shopper fixed it after %s", a.kind, dur(ev.At.Sub(a.raised)))
		}
	case ev.Page != nil && ev.Topic.Kind == protocol.TPage && !ev.Page.Withdrawn:
		a := l.alerts[ev.Page.Alert]
		if a == nil {
			return
		}
		if l.paged[ev.Page.Alert] == nil {
			l.paged[ev.Page.Alert] = map[string]bool{}
		}
		if l.paged[ev.Page.Alert][ev.Topic.ID] {
			return
		}
		l.paged[ev.Page.Alert][ev.Topic.ID] = true
		l.printf(ev.At, a.lane, "  paged %s (tier %d) %s after the alert", l.name(ev.Topic.ID), ev.Page.Tier, dur(ev.At.Sub(a.raised)))
	case ev.Page != nil && ev.Topic.Kind == protocol.TBroadcastPage:
		l.printf(ev.At, ev.Page.Lane, "  BROADCAST page (bridge offline): %s", ev.Page.Text)
	case ev.Record != nil && ev.Record.Status == protocol.AlertClaimed:
		if a := l.alerts[ev.Record.ID]; a != nil {
			d := ev.At.Sub(a.raised)
			l.kind(a.kind).toClaim = append(l.kind(a.kind).toClaim, d)
			l.printf(ev.At, a.lane, "  %s claimed %s after %s: \"%s is on the way\"", l.name(ev.Record.ClaimedBy), a.kind, dur(d), l.name(ev.Record.ClaimedBy))
		}
	case ev.Record != nil && ev.Record.Status == protocol.AlertResolved:
		if a := l.alerts[ev.Record.ID]; a != nil && !a.done {
			a.done = true
			d := ev.At.Sub(a.raised)
			l.kind(a.kind).resolved++
			l.kind(a.kind).toResolve = append(l.kind(a.kind).toResolve, d)
			l.printf(ev.At, a.lane, "  resolved %s by %s (%s) after %s", a.kind, l.name(ev.Record.ClaimedBy), ev.Record.Resolution, dur(d))
		}
	case ev.State != nil:
		prev, seen := l.lanes[ev.Topic.ID]
		l.lanes[ev.Topic.ID] = *ev.State
		if seen && prev.Session != "" && ev.State.Session == "" && strings.HasPrefix(ev.State.Prompt, "Thank you") {
			l.paid++
			l.printf(ev.At, ev.Topic.ID, "shopper paid: %d items, %s", prev.Items, money(prev.TotalCents))
		}
	}
}

func (l *live) summary() {
	fmt.Fprintf(l.out, "\n%d checkouts paid\n", l.paid)
	fmt.Fprintln(l.out, "summary by kind: raised, fixed by the shopper, resolved by staff, median time to claim, median time to resolve")
	kinds := make([]string, 0, len(l.stats))
	for k := range l.stats {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		st := l.stats[protocol.Kind(k)]
		fmt.Fprintf(l.out, "  %-16s %3d %3d %3d  %8s  %8s\n", k, st.raised, st.cancelled, st.resolved, median(st.toClaim), median(st.toResolve))
	}
}

func median(d []time.Duration) string {
	if len(d) == 0 {
		return "-"
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return dur(s[len(s)/2])
}

func dur(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}

func money(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }
