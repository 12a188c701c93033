package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/protocol"
	"github.com/sco-project/sco/simulator/harness"
	"github.com/sco-project/sco/simulator/vpager"
)

// UnknownGTIN is the failing scan: a valid EAN-13 that is not in the
// demo catalogue.
const UnknownGTIN = "5901234123457"

// MaxPtyLanes is the most lanes on virtual pty devices one process runs:
// each takes about a dozen file descriptors, and the serial driver's
// select(2) panics on a descriptor of 1024 or more.
const MaxPtyLanes = 60

// Opts configures a benchmark run. The zero value runs 10 lanes and 3
// pagers on an embedded broker, 300 alerts at 100 per second, and 500 raw
// broker round trips.
type Opts struct {
	// Broker is an MQTT broker URL; "" starts an embedded mochi broker.
	Broker string
	// MQTT carries credentials and TLS for Broker.
	MQTT mqttc.Config
	// Lanes is the number of lanes; 0 means 10.
	Lanes int
	// Pagers is the number of attendants on shift, each alone in a zone
	// with every Pagers-th lane; 0 means 3 (at most Lanes).
	Pagers int
	// Alerts is the number of measured alerts; 0 means 300. Ignored with
	// Burst.
	Alerts int
	// Rate is the store-wide rate of failing scans per second; 0 means
	// 100. A lane takes its next alert only once the last one is resolved,
	// so the achieved rate can be lower (Report.Rate says).
	Rate float64
	// Fake runs the lanes with in-process fake scanners and scales
	// (devices/devicestest) instead of virtual devices on ptys, leaving the
	// serial path out. Needed beyond MaxPtyLanes: the serial library
	// cannot watch file descriptors from 1024 on. The store then also has
	// one idle pty lane (id "idle") that is never driven.
	Fake bool
	// Burst makes every lane alert once, all within one second (Alerts =
	// Lanes, Rate = Lanes per second).
	Burst bool
	// RawSamples is the number of raw broker round trips; 0 means 500.
	RawSamples int
	// Wait is how long to wait for the last alerts to be paged and
	// resolved after the last scan; 0 means 30s.
	Wait time.Duration
	// Dir is where the store's journals and bridge state go (a new
	// directory inside it, removed afterwards); "" means the system's
	// temporary directory. A tmpfs (/dev/shm) takes the disk's fsync out
	// of the numbers.
	Dir string
	// Procs runs the store as it is deployed: a Mosquitto process (unless
	// Broker names a broker), one attendant-bridge process and one kioskd
	// process per lane, each lane with its journal on disk and a virtual
	// scanner and scale on ptys hosted by the bench. Not with Fake.
	Procs bool
	// Kioskd and Bridge are the binaries Procs runs; "" means the ones
	// next to the running executable, else a fresh go build of the
	// module's cmd/kioskd and cmd/attendant-bridge.
	Kioskd, Bridge string
	// Mosquitto is the broker binary Procs starts; "" means mosquitto on
	// the PATH or in /usr/sbin.
	Mosquitto string
	// ChildEnv is added to the environment of the kioskd and
	// attendant-bridge processes (GODEBUG=gctrace=1, GOGC=..., ...).
	// With GODEBUG=gctrace=1 the report counts each process's GCs.
	ChildEnv []string
	// Keep leaves the run's directory (journals, bridge state, configs,
	// the processes' logs) in place instead of removing it; the progress
	// lines name it.
	Keep bool
	// Logger receives the store's logs; nil discards them. Processes log
	// to files in the run's directory instead.
	Logger *slog.Logger
	// Progress, if not nil, receives one line per phase.
	Progress io.Writer
}

// ensureDefaults checks o and fills in the fields whose zero value means a
// default.
func (o *Opts) ensureDefaults() error {
	if o.Lanes < 0 || o.Pagers < 0 || o.Alerts < 0 || o.Rate < 0 || o.RawSamples < 0 || o.Wait < 0 {
		return fmt.Errorf("bench: negative option in %+v", *o)
	}
	if o.Lanes == 0 {
		o.Lanes = 10
	}
	if o.Pagers == 0 {
		o.Pagers = min(3, o.Lanes)
	}
	if o.Procs && o.Fake {
		return errors.New("bench: kioskd processes run on virtual devices on ptys; -fake runs lanes in this process only")
	}
	if !o.Fake && !o.Procs && o.Lanes > MaxPtyLanes {
		return fmt.Errorf("bench: %d lanes on ptys: at most %d fit one process (go.bug.st/serial uses select(2), which cannot watch file descriptors from 1024 on); use fake devices (-fake)", o.Lanes, MaxPtyLanes)
	}
	if o.Pagers > o.Lanes {
		return fmt.Errorf("bench: %d pagers for %d lanes: every pager needs a lane in its zone", o.Pagers, o.Lanes)
	}
	if o.Alerts == 0 {
		o.Alerts = 300
	}
	if o.Rate == 0 {
		o.Rate = 100
	}
	if o.Burst {
		o.Alerts, o.Rate = o.Lanes, float64(o.Lanes)
	}
	if o.RawSamples == 0 {
		o.RawSamples = 500
	}
	if o.Wait == 0 {
		o.Wait = 30 * time.Second
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return nil
}

// Report is the result of a run. Durations are in nanoseconds in JSON.
type Report struct {
	Broker string `json:"broker"`
	Lanes  int    `json:"lanes"`
	Pagers int    `json:"pagers"`
	Burst  bool   `json:"burst"`
	Fake   bool   `json:"fake_devices"`
	// Processes says the store ran as processes (Opts.Procs).
	Processes bool    `json:"processes"`
	Rate      float64 `json:"rate_per_s"` // achieved scans per second

	Scans      int         `json:"scans"`      // failing scans written
	Alerts     int         `json:"alerts"`     // alerts received from the broker
	Paged      int         `json:"paged"`      // alerts whose page reached a pager
	Resolved   int         `json:"resolved"`   // alerts the lane closed after the pager's clear
	Lost       int         `json:"lost"`       // scans whose alert or page never came
	Unresolved int         `json:"unresolved"` // paged, but the lane's alert not seen closed in time
	Duplicates int         `json:"duplicates"` // pages beyond one per alert, tier and attendant
	PagesTier  map[int]int `json:"pages_by_tier"`
	Malformed  int         `json:"malformed"` // messages of the store that did not decode
	// Trouble traces the first few lost or unresolved alerts through the
	// store's messages, for diagnosis.
	Trouble []string `json:"trouble,omitempty"`

	ScanToAlert Stats `json:"scan_to_alert"`
	AlertToPage Stats `json:"alert_to_page"`
	Chain       Stats `json:"chain"`
	// RawHop is the broker alone, messages back to back before the run
	// (cores busy, caches warm). RawHopPaced is the same hop during the
	// run, one message per alert interval: what the broker costs under the
	// conditions the chain meets (on a virtual machine a core woken from
	// idle adds hundreds of microseconds). Not measured in a burst.
	RawHop      Stats `json:"raw_hop"`
	RawHopPaced Stats `json:"raw_hop_paced"`
	// OverheadP50 and OverheadP99 are the chain over two paced raw hops
	// (the chain crosses the broker twice: lane -> bridge -> pager), the
	// overhead our code adds to the broker under the same conditions;
	// the BackToBack pair divides by two back-to-back hops instead.
	OverheadP50           float64 `json:"overhead_p50"`
	OverheadP99           float64 `json:"overhead_p99"`
	OverheadBackToBackP50 float64 `json:"overhead_back_to_back_p50"`
	OverheadBackToBackP99 float64 `json:"overhead_back_to_back_p99"`
	PayloadBytes          int     `json:"payload_bytes"`

	// ProcStats is what each process of the store used during the
	// measured run: in process mode Mosquitto, the bridge, every kioskd
	// and the bench itself; otherwise the bench, which is the whole store.
	ProcStats []ProcStat `json:"process_stats,omitempty"`

	StartUp time.Duration `json:"startup_ns"` // store start-up, all lanes online
	Drive   time.Duration `json:"drive_ns"`   // first scan to last resolution
}

// Run starts a store, measures it and closes it.
func Run(ctx context.Context, o Opts) (*Report, error) {
	if err := o.ensureDefaults(); err != nil {
		return nil, err
	}
	if err := preflight(o.Lanes); err != nil {
		return nil, err
	}
	rep := &Report{Broker: o.Broker, Lanes: o.Lanes, Pagers: o.Pagers, Burst: o.Burst, Fake: o.Fake, Processes: o.Procs}
	if rep.Broker == "" {
		rep.Broker = "embedded mochi"
		if o.Procs {
			rep.Broker = "Mosquitto"
		}
	}
	roster := make([]attendant.Attendant, o.Pagers)
	for i := range roster {
		roster[i] = attendant.Attendant{ID: fmt.Sprintf("p%d", i+1), Name: fmt.Sprintf("Pager %d", i+1), Zone: fmt.Sprintf("z%d", i+1), Roles: []string{protocol.RoleAttendant}}
	}
	lanes := make([]harness.LaneSpec, o.Lanes)
	for i := range lanes {
		lanes[i] = harness.LaneSpec{ID: fmt.Sprint(i + 1), Zone: roster[i%o.Pagers].Zone, Policy: map[string]string{"unknown_item_attempts": "1"}}
	}
	dir, err := os.MkdirTemp(o.Dir, "kiosk-bench-")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	if o.Keep {
		fmt.Fprintf(o.Progress, "bench: the run's directory, kept: %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	fmt.Fprintf(o.Progress, "bench: starting %d lanes, %d pagers on %s\n", o.Lanes, o.Pagers, rep.Broker)
	t0 := time.Now()
	var w *world
	if o.Procs {
		w, err = startProcs(ctx, o, dir, lanes, roster)
	} else {
		w, err = startStore(ctx, o, dir, lanes, roster)
	}
	if err != nil {
		return nil, err
	}
	defer w.close()
	if o.Procs && o.Broker == "" {
		rep.Broker = "Mosquitto " + w.mqtt.Broker
	}
	r := newRunner(w.lanes)
	// A lane's alerts and states share one client, which keeps their
	// order (a resolution's state never overtakes its alert); pages have
	// their own, so the lane probe is not queued behind them.
	root := protocol.Root(w.id)
	for name, filters := range map[string]map[string]byte{
		"lanes": {root + "/lane/+/alert": 1, root + "/lane/+/state": 1},
		"pages": {root + "/pager/+/page": 1},
	} {
		probe, err := dial(ctx, w.mqtt, "probe-"+name, func(c paho.Client) paho.Token { return c.SubscribeMultiple(filters, r.onMessage) })
		if err != nil {
			return nil, err
		}
		defer probe.Disconnect(100)
	}
	for _, a := range roster {
		if err := w.startPager(a, vpager.Behaviour{Resolve: protocol.ActionClear}, r.onPager); err != nil {
			return nil, err
		}
	}
	if err := waitPresence(ctx, w.observer, roster); err != nil {
		return nil, err
	}
	rep.StartUp = time.Since(t0)

	// One alert per zone: connections warm, and proof that every pager
	// is known to the bridge before anything is measured.
	fmt.Fprintf(o.Progress, "bench: store up in %v; warming up\n", rep.StartUp.Round(time.Millisecond))
	if warm := r.drive(ctx, o.Pagers, 1000, o.Wait); warm.incomplete() > 0 {
		var wr Report
		warm.fill(&wr)
		return nil, fmt.Errorf("bench: warm-up: %d of %d alerts not paged and resolved within %v (scans %d, alerts %d, paged %d, resolved %d)%s",
			warm.incomplete(), o.Pagers, o.Wait, wr.Scans, wr.Alerts, wr.Paged, wr.Resolved, w.logTails())
	}
	rep.PayloadBytes = r.payloadBytes()
	fmt.Fprintf(o.Progress, "bench: raw broker hop, %d messages of %d bytes at QoS 1\n", o.RawSamples, rep.PayloadBytes)
	if rep.RawHop, err = RawHop(ctx, w.mqtt, o.RawSamples, rep.PayloadBytes, 1, 0); err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Progress, "bench: %d alerts at %g/s, raw hops alongside at the same rate\n", o.Alerts, o.Rate)
	pacedCtx, stopPaced := context.WithCancel(ctx)
	defer stopPaced()
	pacedDone := make(chan error, 1)
	before, sampledAt := w.sample(), time.Now()
	if o.Burst {
		pacedDone <- nil
	} else {
		go func() {
			var err error
			rep.RawHopPaced, err = RawHop(pacedCtx, w.mqtt, o.Alerts, rep.PayloadBytes, 1, time.Duration(float64(time.Second)/o.Rate))
			pacedDone <- err
		}()
	}
	run := r.drive(ctx, o.Alerts, o.Rate, o.Wait)
	stopPaced()
	if err := <-pacedDone; err != nil {
		return nil, err
	}
	rep.ProcStats = diffSamples(w.procs, before, w.sample(), time.Since(sampledAt))
	run.fill(rep)
	if run.scanErr != nil {
		return rep, fmt.Errorf("bench: writing a scan: %w", run.scanErr)
	}
	rep.Malformed = len(w.observer.Malformed())
	rep.Trouble = run.trace(w.observer, r.lanes, 3)
	rep.OverheadP50, rep.OverheadP99 = overhead(rep.Chain, rep.RawHopPaced)
	rep.OverheadBackToBackP50, rep.OverheadBackToBackP99 = overhead(rep.Chain, rep.RawHop)
	return rep, ctx.Err()
}

// limits are the bridge's limits in a bench. Its pagers are load
// generators, each answering up to -rate alerts a second with a claim and
// a resolution: the default rate limit, 5 commands a second for a person
// with a handheld, would refuse them and leave their lanes waiting.
var limits = attendant.Limits{PagerCmdsPerS: 1e6, PagerCmdBurst: 1e6}

// overhead is chain over two raw hops at p50 and p99 (0 without hops).
func overhead(chain, hop Stats) (p50, p99 float64) {
	if hop.P50 <= 0 || hop.P99 <= 0 {
		return 0, 0
	}
	return float64(chain.P50) / float64(2*hop.P50), float64(chain.P99) / float64(2*hop.P99)
}

// startStore starts the store in this process (simulator/harness) and
// returns it with the lanes to drive.
func startStore(ctx context.Context, o Opts, dir string, lanes []harness.LaneSpec, roster []attendant.Attendant) (*world, error) {
	ho := harness.Opts{Broker: o.Broker, MQTT: o.MQTT, Lanes: lanes, Roster: roster, Limits: limits, Logger: o.Logger, Dir: dir}
	if o.Fake {
		ho.Lanes = []harness.LaneSpec{{ID: "idle", Zone: roster[0].Zone}}
	}
	s, err := harness.Start(ctx, ho)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	w := &world{id: s.ID, mqtt: s.MQTT, observer: s.Observer, stops: []func(){s.Close}}
	w.procs = []*proc{{name: "kiosk-sim (whole store)", pid: os.Getpid()}}
	if !o.Fake {
		for _, l := range s.Lanes {
			w.lanes = append(w.lanes, lane{id: l.ID, scan: func() error { return l.Scanner.Scan(UnknownGTIN, "") }})
		}
		return w, nil
	}
	for _, spec := range lanes {
		fl, err := s.AddFakeLane(spec)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("bench: %w", err)
		}
		w.lanes = append(w.lanes, lane{id: fl.ID, scan: func() error { fl.FakeScanner.Scan(UnknownGTIN, "]E0"); return nil }})
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := s.WaitOnline(wctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("bench: %w", err)
	}
	return w, nil
}

// lane is a lane the bench drives.
type lane struct {
	id   string
	scan func() error
}

// waitPresence waits until the observer has seen every pager available.
func waitPresence(ctx context.Context, obs *harness.Observer, roster []attendant.Attendant) error {
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for _, a := range roster {
		_, _, err := obs.Find(wctx, 0, nil, func(e harness.Event) bool {
			return e.Presence != nil && e.Topic.ID == a.ID && e.Presence.Status == protocol.PresenceAvailable
		})
		if err != nil {
			return fmt.Errorf("bench: pager %s not available: %w", a.ID, err)
		}
	}
	return nil
}

// preflight checks that the system can open every lane's ptys and files,
// raising the open-file limit to its hard limit when needed.
func preflight(lanes int) error {
	const fdsPerLane = 16 // 4 pty ends, journal, listener, 2 MQTT ends, slack
	need := uint64(lanes*fdsPerLane + 256)
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("bench: open-file limit: %w", err)
	}
	if lim.Cur < need {
		lim.Cur = min(need, lim.Max)
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return fmt.Errorf("bench: raising the open-file limit to %d: %w", lim.Cur, err)
		}
		if lim.Cur < need {
			return fmt.Errorf("bench: %d lanes need about %d open files; the hard limit is %d (ulimit -Hn)", lanes, need, lim.Max)
		}
	}
	max, err1 := readInt("/proc/sys/kernel/pty/max")
	nr, err2 := readInt("/proc/sys/kernel/pty/nr")
	if err1 == nil && err2 == nil && max-nr < 2*lanes {
		return fmt.Errorf("bench: %d lanes need %d pseudo-terminals; %d of /proc/sys/kernel/pty/max=%d are free", lanes, 2*lanes, max-nr, max)
	}
	return nil
}

func readInt(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// sample is one failing scan followed through the store.
type sample struct {
	lane                    int
	scanAt, alertAt, pageAt time.Time
	alert                   string
	pages                   map[pageTo]int // pages on the wire
	resolved                bool
}

// pageTo is a page of an alert at a tier to one attendant: a tier pages
// each attendant once.
type pageTo struct {
	tier int
	to   string
}

// runner follows samples; its handlers are called from the probe's and the
// pagers' goroutines.
type runner struct {
	lanes   []lane
	laneIdx map[string]int

	mu       sync.Mutex
	current  []*sample // per lane, the sample in flight
	byAlert  map[string]*sample
	early    map[string]*sample // pages seen before their alert
	all      []*sample
	free     chan int
	resolved int
	target   int
	done     chan struct{}
	bytes    int
}

func newRunner(lanes []lane) *runner {
	r := &runner{lanes: lanes, laneIdx: map[string]int{}, current: make([]*sample, len(lanes))}
	for i, l := range lanes {
		r.laneIdx[l.id] = i
	}
	return r
}

func (r *runner) onMessage(_ paho.Client, m paho.Message) {
	at := time.Now()
	t, err := protocol.ParseTopic(m.Topic())
	if err != nil {
		return
	}
	switch t.Kind {
	case protocol.TLaneAlert:
		var a protocol.Alert
		if protocol.Decode(m.Payload(), &a) != nil || a.Status != protocol.AlertOpen || a.Kind != protocol.KindUnknownItem {
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if i, ok := r.laneIdx[t.ID]; ok && r.current[i] != nil && r.current[i].alert == "" {
			smp := r.current[i]
			smp.alert, smp.alertAt = a.ID, at
			r.byAlert[a.ID] = smp
			r.bytes = len(m.Payload())
			if e, ok := r.early[a.ID]; ok {
				smp.pageAt, smp.pages = e.pageAt, e.pages
				delete(r.early, a.ID)
			}
		}
	case protocol.TPage:
		var p protocol.Page
		if protocol.Decode(m.Payload(), &p) != nil || p.Withdrawn {
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.sampleFor(p.Alert).pages[pageTo{p.Tier, t.ID}]++
	case protocol.TLaneState:
		var st protocol.LaneState
		if protocol.Decode(m.Payload(), &st) != nil {
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		i, ok := r.laneIdx[t.ID]
		if !ok || r.current[i] == nil {
			return
		}
		smp := r.current[i]
		if smp.alert == "" || slices.Contains(st.Alerts, smp.alert) {
			return
		}
		smp.resolved = true
		r.current[i] = nil
		r.free <- i // capacity is the number of lanes: never blocks
		r.resolved++
		if r.resolved == r.target {
			close(r.done)
		}
	}
}

func (r *runner) onPager(ev vpager.Event) {
	if ev.Kind != vpager.Paged {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if smp := r.sampleFor(ev.Alert); smp.pageAt.IsZero() {
		smp.pageAt = ev.At
	}
}

// sampleFor is the sample of alert, or, when the page overtook the alert
// on its way to the probe, a placeholder the alert picks up. r.mu is held.
func (r *runner) sampleFor(alert string) *sample {
	if smp := r.byAlert[alert]; smp != nil {
		return smp
	}
	e := r.early[alert]
	if e == nil {
		e = &sample{pages: map[pageTo]int{}}
		r.early[alert] = e
	}
	return e
}

func (r *runner) payloadBytes() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bytes
}

// drive writes n failing scans at rate per second, each on the next free
// lane, and waits until all are resolved or wait has passed since the
// last scan. Every lane must be free when it is called.
func (r *runner) drive(ctx context.Context, n int, rate float64, wait time.Duration) *result {
	r.mu.Lock()
	// Whatever an earlier drive left in flight is forgotten, so its late
	// messages cannot free a lane twice.
	r.free = make(chan int, len(r.lanes))
	for i := range r.lanes {
		r.current[i] = nil
		r.free <- i
	}
	r.byAlert, r.early, r.all = map[string]*sample{}, map[string]*sample{}, nil
	r.resolved, r.target, r.done = 0, n, make(chan struct{})
	done := r.done
	r.mu.Unlock()

	res := &result{}
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	var scanErr error
loop:
	for k := 0; k < n; k++ {
		timer.Reset(time.Until(start.Add(time.Duration(k) * interval)))
		select {
		case <-timer.C:
		case <-ctx.Done():
			break loop
		}
		var i int
		select {
		case i = <-r.free:
		case <-ctx.Done():
			break loop
		case <-time.After(wait):
			break loop // every lane stuck: the rest count as lost
		}
		smp := &sample{lane: i, pages: map[pageTo]int{}}
		r.mu.Lock()
		r.current[i], r.all = smp, append(r.all, smp)
		smp.scanAt = time.Now()
		r.mu.Unlock()
		if err := r.lanes[i].scan(); err != nil && scanErr == nil {
			scanErr = err
		}
	}
	last := time.Now()
	select {
	case <-done:
	case <-ctx.Done():
	case <-time.After(wait):
	}
	res.end = time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	res.n, res.scanErr = n, scanErr
	res.samples = append([]*sample(nil), r.all...)
	res.rate = float64(len(r.all)) / max(last.Sub(start).Seconds(), 1e-9)
	if len(r.all) > 1 {
		res.rate = float64(len(r.all)-1) / max(last.Sub(start).Seconds(), 1e-9)
	}
	// Samples still in flight are copied, so later messages cannot
	// change them under the report.
	for i, smp := range res.samples {
		cp := *smp
		cp.pages = maps.Clone(smp.pages)
		res.samples[i] = &cp
	}
	return res
}

// result is one drive's samples.
type result struct {
	n       int
	samples []*sample
	rate    float64
	end     time.Time
	scanErr error
}

// lost counts the scans not written or whose alert or page never came.
func (res *result) lost() int {
	n := res.n - len(res.samples)
	for _, smp := range res.samples {
		if smp.alertAt.IsZero() || smp.pageAt.IsZero() {
			n++
		}
	}
	return n
}

// incomplete counts what is lost or unresolved.
func (res *result) incomplete() int {
	n := res.lost()
	for _, smp := range res.samples {
		if !smp.alertAt.IsZero() && !smp.pageAt.IsZero() && !smp.resolved {
			n++
		}
	}
	return n
}

// trace describes up to n samples that were lost or not resolved: the
// lane's messages from the scan on, as the observer saw them.
func (res *result) trace(obs *harness.Observer, lanes []lane, n int) []string {
	var out []string
	events := obs.Events(0)
	for _, smp := range res.samples {
		if len(out) == n {
			break
		}
		if smp.resolved {
			continue
		}
		id := lanes[smp.lane].id
		var b strings.Builder
		fmt.Fprintf(&b, "lane %s alert %q scanned %s:", id, smp.alert, smp.scanAt.Format("15:04:05.000"))
		for _, e := range events {
			if e.At.Before(smp.scanAt) || !about(e, id, smp.alert) {
				continue
			}
			fmt.Fprintf(&b, "\n  %s %s", e.At.Format("15:04:05.000"), e.Topic.Kind)
			switch {
			case e.Alert != nil:
				fmt.Fprintf(&b, " %s %s", e.Alert.ID, e.Alert.Status)
			case e.State != nil:
				fmt.Fprintf(&b, " %s alerts=%v", e.State.State, e.State.Alerts)
			case e.Record != nil:
				fmt.Fprintf(&b, " %s tier=%d by=%s", e.Record.Status, e.Record.Tier, e.Record.ClaimedBy)
			case e.Page != nil:
				fmt.Fprintf(&b, " to=%s tier=%d withdrawn=%v", e.Topic.ID, e.Page.Tier, e.Page.Withdrawn)
			case e.PagerCmd != nil:
				fmt.Fprintf(&b, " %s %s %s", e.Topic.ID, e.PagerCmd.ID, e.PagerCmd.Action)
			case e.PagerResult != nil:
				fmt.Fprintf(&b, " %s %s ok=%v %s", e.Topic.ID, e.PagerResult.ID, e.PagerResult.OK, e.PagerResult.Error)
			case e.Command != nil:
				fmt.Fprintf(&b, " %s %s", e.Command.ID, e.Command.Action)
			case e.Result != nil:
				fmt.Fprintf(&b, " %s ok=%v %s", e.Result.ID, e.Result.OK, e.Result.Error)
			case e.Assist != nil:
				fmt.Fprintf(&b, " %s", e.Assist.Status)
			}
		}
		out = append(out, b.String())
	}
	return out
}

// about says whether e concerns lane or alert.
func about(e harness.Event, lane, alert string) bool {
	switch {
	case e.Topic.Kind == protocol.TLaneState || e.Topic.Kind == protocol.TLaneCommand || e.Topic.Kind == protocol.TLaneResult || e.Topic.Kind == protocol.TLaneAssist:
		return e.Topic.ID == lane
	case e.Alert != nil:
		return e.Alert.ID == alert
	case e.Record != nil:
		return e.Record.ID == alert
	case e.Page != nil:
		return e.Page.Alert == alert
	case e.PagerCmd != nil:
		return e.PagerCmd.Alert == alert
	}
	return false
}

func (res *result) fill(rep *Report) {
	rep.Scans, rep.Rate, rep.Lost = len(res.samples), res.rate, res.lost()
	rep.PagesTier = map[int]int{}
	var a, b, c []time.Duration
	for _, smp := range res.samples {
		if !smp.alertAt.IsZero() {
			rep.Alerts++
			a = append(a, smp.alertAt.Sub(smp.scanAt))
		}
		if !smp.pageAt.IsZero() {
			rep.Paged++
			if !smp.alertAt.IsZero() {
				b = append(b, smp.pageAt.Sub(smp.alertAt))
			}
			c = append(c, smp.pageAt.Sub(smp.scanAt))
		}
		if smp.resolved {
			rep.Resolved++
		} else if !smp.pageAt.IsZero() && !smp.alertAt.IsZero() {
			rep.Unresolved++
		}
		for p, k := range smp.pages {
			rep.PagesTier[p.tier] += k
			rep.Duplicates += k - 1
		}
	}
	if len(res.samples) > 0 {
		rep.Drive = res.end.Sub(res.samples[0].scanAt)
	}
	rep.ScanToAlert, rep.AlertToPage, rep.Chain = Summarise(a), Summarise(b), Summarise(c)
}

// WriteText prints the report for people.
func (rep *Report) WriteText(w io.Writer) error {
	mode := fmt.Sprintf("%.0f alerts/s achieved", rep.Rate)
	if rep.Burst {
		mode = "burst: every lane within one second"
	}
	if rep.Processes {
		mode += ", kioskd and attendant-bridge processes, virtual devices on ptys"
	} else if rep.Fake {
		mode += ", fake devices (no serial path)"
	} else {
		mode += ", virtual devices on ptys"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "store: %d lanes, %d pagers, broker %s, %s\n", rep.Lanes, rep.Pagers, rep.Broker, mode)
	fmt.Fprintf(&b, "counts: scans=%d alerts=%d paged=%d resolved=%d lost=%d unresolved=%d duplicates=%d pages_by_tier=%v malformed=%d\n",
		rep.Scans, rep.Alerts, rep.Paged, rep.Resolved, rep.Lost, rep.Unresolved, rep.Duplicates, rep.PagesTier, rep.Malformed)
	fmt.Fprintf(&b, "scan -> alert   %s\n", rep.ScanToAlert)
	fmt.Fprintf(&b, "alert -> page   %s\n", rep.AlertToPage)
	fmt.Fprintf(&b, "chain           %s\n", rep.Chain)
	fmt.Fprintf(&b, "raw hop, paced  %s (QoS 1, %d bytes, one per alert interval during the run)\n", rep.RawHopPaced, rep.PayloadBytes)
	fmt.Fprintf(&b, "raw hop, b2b    %s (back to back, before the run)\n", rep.RawHop)
	if rep.RawHopPaced.N > 0 {
		fmt.Fprintf(&b, "overhead: chain / 2 paced raw hops = %.2fx at p50, %.2fx at p99 (over 2 back-to-back hops: %.1fx, %.1fx)\n",
			rep.OverheadP50, rep.OverheadP99, rep.OverheadBackToBackP50, rep.OverheadBackToBackP99)
	} else {
		fmt.Fprintf(&b, "overhead: chain / 2 back-to-back raw hops = %.1fx at p50, %.1fx at p99 (no paced hops in a burst)\n",
			rep.OverheadBackToBackP50, rep.OverheadBackToBackP99)
	}
	fmt.Fprintf(&b, "start-up %v, drive %v\n", rep.StartUp.Round(time.Millisecond), rep.Drive.Round(time.Millisecond))
	if len(rep.ProcStats) > 0 {
		fmt.Fprintf(&b, "processes during the run: cpu (cores), waiting runnable for a cpu (per time on a cpu), gcs (stop-the-world)\n")
		for _, st := range procGroups(rep.ProcStats) {
			fmt.Fprintf(&b, "  %-44s %s\n", st.Name, st)
		}
	}
	for _, t := range rep.Trouble {
		fmt.Fprintf(&b, "trouble: %s\n", t)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Err is a non-nil error when the run lost or duplicated anything.
func (rep *Report) Err() error {
	var errs []error
	if rep.Lost > 0 {
		errs = append(errs, fmt.Errorf("bench: %d alerts lost (not scanned for want of a free lane, or no alert or page seen)", rep.Lost))
	}
	if rep.Unresolved > 0 {
		errs = append(errs, fmt.Errorf("bench: %d paged alerts not seen resolved within the wait", rep.Unresolved))
	}
	if rep.Duplicates > 0 {
		errs = append(errs, fmt.Errorf("bench: %d duplicate pages", rep.Duplicates))
	}
	if rep.Malformed > 0 {
		errs = append(errs, fmt.Errorf("bench: %d malformed messages", rep.Malformed))
	}
	return errors.Join(errs...)
}
