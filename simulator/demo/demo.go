package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/attendant/report"
	"github.com/sco-project/sco/attendant/web"
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
	// Web is where the bridge serves the attendant app (host:port;
	// 127.0.0.1:0 picks a free port); "" serves none.
	Web string
	// Extra are roster entries that no virtual attendant plays: a person
	// joins the demo as them, from the app or a pager (ParseAttendant).
	Extra []attendant.Attendant
	// ACL runs the store on a real Mosquitto that enforces the shipped
	// ACL and passwords (scripts/mosquitto), started and stopped by the
	// demo: every part logs in as itself, and the demo prints a login
	// and password for every roster entry, each of Logins and a
	// read-only watcher (WatchLogin). Not with Broker.
	ACL bool
	// Logins are pager logins (usernames) the bridge does not know: with
	// ACL, an app logging in as one meets "unknown attendant" and has no
	// profile.
	Logins []string
}

// store is the demo store's id.
const store = "s1"

// PIN is the demo's PIN of the nth roster entry (from 0): 1111, 2222,
// ... 9999, then 1010, 1011, ... It is printed at start; the demo is not
// a store.
func PIN(n int) string {
	if n < 9 {
		return strings.Repeat(strconv.Itoa(n+1), 4)
	}
	return strconv.Itoa(1010 + n - 9)
}

// ParseAttendant parses a roster entry that no virtual attendant plays:
// id:zone:role[,role] (zoe:front:attendant,age_verifier). Its name is
// the id with a capital.
func ParseAttendant(s string) (attendant.Attendant, error) {
	p := strings.Split(s, ":")
	if len(p) != 3 || p[0] == "" || p[1] == "" || p[2] == "" {
		return attendant.Attendant{}, fmt.Errorf("attendant %q: want id:zone:role[,role] (zoe:front:attendant)", s)
	}
	roles := strings.Split(p[2], ",")
	for _, r := range roles {
		switch r {
		case protocol.RoleAttendant, protocol.RoleAgeVerifier, protocol.RoleSupervisor:
		default:
			return attendant.Attendant{}, fmt.Errorf("attendant %q: role %q is not attendant, age_verifier or supervisor", s, r)
		}
	}
	return attendant.Attendant{ID: p[0], Name: strings.ToUpper(p[0][:1]) + p[0][1:], Zone: p[1], Roles: roles}, nil
}

// roster is the demo's staff (harness.DefaultRoster) and the extra
// entries, each with the hash of its PIN.
func roster(extra []attendant.Attendant) ([]attendant.Attendant, error) {
	out := slices.Clone(harness.DefaultRoster)
	for _, a := range extra {
		if slices.ContainsFunc(out, func(b attendant.Attendant) bool { return b.ID == a.ID }) {
			return nil, fmt.Errorf("attendant %s is on the roster already", a.ID)
		}
		out = append(out, a)
	}
	for i := range out {
		// The lowest cost: these PINs are printed for anyone to use.
		h, err := bcrypt.GenerateFromPassword([]byte(PIN(i)), bcrypt.MinCost)
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		out[i].PinHash = string(h)
	}
	return out, nil
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
	staffRoster, err := roster(o.Extra)
	if err != nil {
		return err
	}
	var webCfg *web.Config
	if o.Web != "" {
		webCfg = &web.Config{Listen: o.Web}
	}
	var ab *aclBroker
	var logins map[string]string
	switch {
	case o.ACL && o.Broker != "":
		return errors.New("demo: -acl runs its own broker, not -broker")
	case !o.ACL && len(o.Logins) > 0:
		return errors.New("demo: -login needs -acl (the embedded broker takes anyone)")
	case o.ACL:
		if err := checkLogins(staffRoster, o.Logins); err != nil {
			return err
		}
		fmt.Fprintf(o.Out, "kiosk-sim demo: setting up Mosquitto with the shipped ACL and passwords...\n")
		blog := slog.New(slog.DiscardHandler)
		if o.Logger != nil {
			blog = o.Logger.With("component", "broker")
		}
		if ab, err = startACLBroker(ctx, storeLogins(len(specs), staffRoster, len(harness.DefaultRoster), o.Logins), blog); err != nil {
			return err
		}
		// Deferred before the store's Close: the broker stops last.
		defer func() {
			if err := ab.Close(); err != nil {
				fmt.Fprintf(o.Out, "the broker did not stop cleanly: %v\n", err)
			}
		}()
		o.Broker, logins = ab.URL(), ab.passwords
	}
	fmt.Fprintf(o.Out, "kiosk-sim demo: starting a store with %d lanes...\n", o.Lanes)
	began := time.Now()
	s, err := harness.Start(ctx, harness.Opts{Store: store, Broker: o.Broker, MQTT: o.MQTT, Logins: logins, Lanes: specs, Logger: o.Logger, Roster: staffRoster, Web: webCfg,
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
	broker := s.BrokerURL
	if ab != nil {
		broker += fmt.Sprintf(" (Mosquitto, pid %d, with the shipped ACL and passwords)", ab.Pid())
	}
	fmt.Fprintf(o.Out, "broker %s, bridge online, attendants: %s\n", broker, describe(s.Roster))
	fmt.Fprintln(o.Out, "shopper screens:")
	for _, l := range s.Lanes {
		fmt.Fprintf(o.Out, "  lane %s (%s, %s scale): %s\n", l.ID, l.Zone, l.Config.Scale.Protocol, l.URL)
	}
	printJoin(o.Out, s, len(harness.DefaultRoster), ab != nil)
	if ab != nil {
		printLogins(o.Out, ab, s, len(harness.DefaultRoster), o.Logins)
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
	// What is open now is what the summary lists; what the stop itself
	// causes (the lanes paging on broadcast while the bridge is away) is
	// not the store's traffic.
	stopped := time.Now()
	open := log.stop(stopped)
	// The bridge first: pagers stopping after it leave wills that escalate
	// nothing.
	if err := s.StopBridge(); err != nil {
		fmt.Fprintf(o.Out, "the bridge did not stop cleanly: %v\n", err)
	}
	// The summary is the store's report over the records the bridge kept,
	// read from its data_dir before Close removes it.
	hctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h, herr := s.History(hctx, began)
	s.Close()
	<-logDone
	if herr != nil {
		return fmt.Errorf("demo: summary: %w", herr)
	}
	fmt.Fprintln(o.Out, "\nSummary: the store's report (as attendant-bridge report prints it) over the records this run's bridge kept.")
	fmt.Fprintln(o.Out, "The virtual attendants resolve from their handhelds without going to the lane: no arrive times, no time on site.")
	fmt.Fprintln(o.Out)
	if err := report.WriteText(o.Out, s.Report(h, began, stopped)); err != nil {
		return fmt.Errorf("demo: summary: %w", err)
	}
	log.openAtStop(withoutRecord(open, h.Interventions))
	return nil
}

// withoutRecord is the alerts of open that have no intervention record:
// those the bridge still had open when it stopped. One that closed while
// the demo was stopping is in the report.
func withoutRecord(open []tracked, records []attendant.Intervention) []tracked {
	closed := map[string]bool{}
	for _, r := range records {
		closed[r.Alert] = true
	}
	var out []tracked
	for _, a := range open {
		if !closed[a.id] {
			out = append(out, a)
		}
	}
	return out
}

func describe(r []attendant.Attendant) string {
	var p []string
	for _, a := range r {
		p = append(p, fmt.Sprintf("%s (%s; %s)", a.Name, a.Zone, strings.Join(a.Roles, ", ")))
	}
	return strings.Join(p, ", ")
}

// printJoin says how a person joins the demo: the attendant app's address
// and every roster entry's PIN (the first played entries have virtual
// attendants too), and a terminal pager for the entries nobody plays.
// With -acl, printLogins gives the pager lines, with their logins.
func printJoin(out io.Writer, s *harness.Store, played int, acl bool) {
	if u := s.WebURL(); u != "" {
		fmt.Fprintf(out, "attendant app: %s  (store console, for supervisors: %sconsole)\n", u, u)
		fmt.Fprintf(out, "  %-8s %-5s %-8s %s\n", "sign in", "PIN", "name", "roles")
		for i, a := range s.Roster {
			who := "also played by a virtual attendant"
			if i >= played {
				who = "nobody plays " + a.Name
			}
			fmt.Fprintf(out, "  %-8s %-5s %-8s %-36s %s\n", a.ID, PIN(i), a.Name, strings.Join(a.Roles, ", "), who)
		}
	}
	if acl {
		return
	}
	for _, a := range s.Roster[played:] {
		fmt.Fprintf(out, "%s on a terminal pager: go run ./cmd/pager -broker %s -store %s -id %s", a.ID, s.BrokerURL, s.ID, a.ID)
		if s.MQTT.Username == "" {
			fmt.Fprintln(out, "  (the broker takes no password)")
		} else {
			fmt.Fprintf(out, " -username %s -password-file FILE  (the broker's password for %s)\n", a.ID, a.ID)
		}
	}
}

// storeLogins are the users of the -acl broker: the bridge, each lane,
// a pager login for every roster entry and a second device (DeviceSuffix)
// for each of the first played entries, which virtual attendants play,
// each of strangers, and two read-only users: the demo's own observer and
// WatchLogin.
func storeLogins(lanes int, roster []attendant.Attendant, played int, strangers []string) []aclLogin {
	l := []aclLogin{{user: "bridge", args: []string{"bridge"}}}
	for i := range lanes {
		lane := strconv.Itoa(i + 1)
		l = append(l, aclLogin{user: "lane-" + lane, args: []string{"lane", store, lane}})
	}
	for i, a := range roster {
		l = append(l, aclLogin{user: a.ID, args: []string{"pager", a.ID}})
		if i < played {
			l = append(l, aclLogin{user: a.ID + DeviceSuffix, args: []string{"pager", a.ID, "--device", strings.TrimPrefix(DeviceSuffix, ".")}})
		}
	}
	for _, s := range strangers {
		l = append(l, aclLogin{user: s, args: []string{"pager", s}})
	}
	return append(l, aclLogin{user: harness.ObserverLogin}, aclLogin{user: WatchLogin})
}

// printLogins says what -acl gives an app maker: a broker login for every
// roster entry (and a second device of each virtual attendant), each
// stranger and a read-only watcher, with their passwords and PINs; what
// the ACL allows a pager; and the commands to log in with.
func printLogins(out io.Writer, ab *aclBroker, s *harness.Store, played int, strangers []string) {
	fmt.Fprintf(out, "broker logins (the shipped ACL; new passwords every run, each also in %s/LOGIN.password):\n", ab.dir)
	row := func(login, pin, what string) {
		fmt.Fprintf(out, "  %-9s %-16s  %-5s %s\n", login, ab.passwords[login], pin, what)
	}
	fmt.Fprintf(out, "  %-9s %-16s  %s\n", "login", "password", "PIN")
	for i, a := range s.Roster {
		if i >= played {
			row(a.ID, PIN(i), "nobody plays "+a.Name)
			continue
		}
		row(a.ID, PIN(i), "the virtual "+a.Name+"'s own: one connection per login, so yours would push it off")
		row(a.ID+DeviceSuffix, PIN(i), "a second device of "+a.Name+" (pager -id "+a.ID+" -username "+a.ID+DeviceSuffix+")")
	}
	for _, l := range strangers {
		row(l, "-", `not on the roster: no profile, every command answered "unknown attendant"`)
	}
	row(WatchLogin, "-", "read-only, the whole store (mosquitto_sub below)")
	fmt.Fprintln(out, "what the ACL allows a pager login: publish only its own pager/{id}/presence and pager/{id}/cmd; read its own page,")
	fmt.Fprintln(out, "  result, presence and profile, and bridge/state, alert/+, lane/+/state, lane/+/assist, broadcast/page. The broker")
	fmt.Fprintln(out, "  drops a refused publish without a word (MQTT 3.1.1 has no negative acknowledgement) and refuses a wrong password")
	fmt.Fprintln(out, `  at connect ("not authorised").`)
	pager := func(id, login, note string) {
		fmt.Fprintf(out, "%s on a terminal pager: go run ./cmd/pager -broker %s -store %s -id %s -username %s -password-file %s%s\n",
			login, s.BrokerURL, s.ID, id, login, ab.PasswordFile(login), note)
	}
	for _, a := range s.Roster[played:] {
		pager(a.ID, a.ID, "")
	}
	for _, l := range strangers {
		pager(l, l, "  (not on the roster)")
	}
	port := s.BrokerURL[strings.LastIndex(s.BrokerURL, ":")+1:]
	fmt.Fprintf(out, "watch the store: mosquitto_sub -h 127.0.0.1 -p %s -u %s -P %s -v -t 'sco/v1/#'\n", port, WatchLogin, ab.passwords[WatchLogin])
}

func stamp(t time.Time) string { return t.Format("15:04:05.000") }

// live prints the store's traffic as a person wants to read it.
type live struct {
	mu        sync.Mutex
	stopped   bool // the demo is stopping: events are no longer the store's
	stoppedAt time.Time
	out       io.Writer
	s         *harness.Store
	alerts    map[string]*tracked
	paged     map[string]map[string]bool
	lanes     map[string]protocol.LaneState
}

type tracked struct {
	id      string
	kind    protocol.Kind
	lane    string
	raised  time.Time
	claimed string // who claimed it, "" when nobody
	done    bool
}

func newLive(out io.Writer, s *harness.Store) *live {
	return &live{out: out, s: s, alerts: map[string]*tracked{}, paged: map[string]map[string]bool{}, lanes: map[string]protocol.LaneState{}}
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

// stop ends the log of the store's traffic and returns the alerts open
// at now, oldest first.
func (l *live) stop(now time.Time) []tracked {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped, l.stoppedAt = true, now
	var open []tracked
	for _, a := range l.alerts {
		if !a.done {
			open = append(open, *a)
		}
	}
	sort.Slice(open, func(i, j int) bool { return open[i].raised.Before(open[j].raised) })
	return open
}

func (l *live) event(ev harness.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		return
	}
	if ev.Record != nil && l.alerts[ev.Record.ID] != nil {
		l.alerts[ev.Record.ID].claimed = ev.Record.ClaimedBy
	}
	switch {
	case ev.Alert != nil && ev.Alert.Status == protocol.AlertOpen:
		if l.alerts[ev.Alert.ID] != nil {
			return // re-published when the bridge came back
		}
		l.alerts[ev.Alert.ID] = &tracked{id: ev.Alert.ID, kind: ev.Alert.Kind, lane: ev.Alert.Lane, raised: ev.At}
		what := string(ev.Alert.Kind)
		if ev.Alert.Item != nil {
			what += " (" + ev.Alert.Item.Name + ")"
		}
		l.printf(ev.At, ev.Alert.Lane, "ALERT %s [%s]", what, ev.Alert.Severity)
	case ev.Alert != nil && ev.Alert.Status == protocol.AlertCancelled:
		if a := l.alerts[ev.Alert.ID]; a != nil && !a.done {
			a.done = true
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
			l.printf(ev.At, a.lane, "  %s claimed %s after %s: \"%s is on the way\"", l.name(ev.Record.ClaimedBy), a.kind, dur(d), l.name(ev.Record.ClaimedBy))
		}
	case ev.Record != nil && ev.Record.Status == protocol.AlertResolved:
		if a := l.alerts[ev.Record.ID]; a != nil && !a.done {
			a.done = true
			d := ev.At.Sub(a.raised)
			l.printf(ev.At, a.lane, "  resolved %s by %s (%s) after %s", a.kind, l.name(ev.Record.ClaimedBy), ev.Record.Resolution, dur(d))
		}
	case ev.State != nil:
		prev, seen := l.lanes[ev.Topic.ID]
		l.lanes[ev.Topic.ID] = *ev.State
		if seen && prev.Session != "" && ev.State.Session == "" && strings.HasPrefix(ev.State.Prompt, "Thank you") {
			l.printf(ev.At, ev.Topic.ID, "shopper paid: %d items, %s", prev.Items, money(prev.TotalCents))
		}
	}
}

// openAtStop lists the alerts open at stop, which the report does not
// count: it holds the closed ones.
func (l *live) openAtStop(open []tracked) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(open) == 0 {
		fmt.Fprintln(l.out, "\nNo alert was open at stop.")
		return
	}
	fmt.Fprintf(l.out, "\nOpen at stop (%d), not in the report: the lanes keep them and page them again when a bridge is back\n", len(open))
	for _, a := range open {
		who := "nobody had claimed it"
		if a.claimed != "" {
			who = "claimed by " + l.name(a.claimed)
		}
		fmt.Fprintf(l.out, "  lane %-3s %-16s open for %s, %s\n", a.lane, a.kind, dur(l.stoppedAt.Sub(a.raised)), who)
	}
}

func dur(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}

func money(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }
