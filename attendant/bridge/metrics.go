package bridge

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/protocol"
)

// metrics are the bridge's Prometheus metrics, in a registry of its own
// (several bridges may run in one process: the simulator, tests). Every
// series carries the store; the other labels are bounded: kind, lane,
// outcome (attendant.Intervention.Handling), tier, status. The times and outcomes of an alert are counted
// when it closes, from its intervention record, so that /metrics and
// attendant-bridge report agree.
type metrics struct {
	reg *prometheus.Registry

	alerts      *prometheus.CounterVec // lane, kind, outcome
	checkouts   *prometheus.CounterVec // lane
	toPage      *prometheus.HistogramVec
	toClaim     *prometheus.HistogramVec
	toArrive    *prometheus.HistogramVec
	toResolve   *prometheus.HistogramVec
	escalations *prometheus.CounterVec // tier
	open        *prometheus.GaugeVec   // kind
	attendants  *prometheus.GaugeVec   // status
	lanes       prometheus.Gauge
	rateLimited prometheus.Counter
	save        prometheus.Histogram
}

// waitBuckets are the bounds, in seconds, of the time-to histograms: a
// page goes out in milliseconds, a claim in seconds, an attendant walks
// for a minute or two.
var waitBuckets = []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200}

var presenceStatuses = []string{protocol.PresenceAvailable, protocol.PresenceBusy, protocol.PresenceBreak, protocol.PresenceOffline}

func newMetrics(store string) *metrics {
	reg := prometheus.NewRegistry()
	r := prometheus.WrapRegistererWith(prometheus.Labels{"store": store}, reg)
	hist := func(name, help string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: waitBuckets}, []string{"kind"})
	}
	m := &metrics{
		reg: reg,
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sco_bridge_alerts_total",
			Help: "Alerts closed, by lane, kind and outcome: shopper (cancelled before anyone arrived), remote (resolved from the handheld), at_lane (an attendant arrived)."},
			[]string{"lane", "kind", "outcome"}),
		checkouts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sco_bridge_checkouts_total",
			Help: "Checkouts received from the lanes, one per session, by lane."}, []string{"lane"}),
		toPage:    hist("sco_bridge_time_to_page_seconds", "From an alert being raised to its first page, by kind (observed when the alert closes)."),
		toClaim:   hist("sco_bridge_time_to_claim_seconds", "From an alert being raised to its first claim, by kind (observed when the alert closes)."),
		toArrive:  hist("sco_bridge_time_to_arrive_seconds", "From an alert being raised to the first attendant arriving at the lane, by kind (observed when the alert closes)."),
		toResolve: hist("sco_bridge_time_to_resolve_seconds", "From an alert being raised to its resolution, by kind (resolved alerts, observed when they close)."),
		escalations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sco_bridge_escalations_total",
			Help: "Alerts paged at a higher tier than before (counted when the alert closes), by the tier reached."}, []string{"tier"}),
		open: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "sco_bridge_open_alerts",
			Help: "Alerts open at the bridge, by kind."}, []string{"kind"}),
		attendants: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "sco_bridge_attendants",
			Help: "Attendants on the roster, by presence: available, busy, break, offline."}, []string{"status"}),
		lanes: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sco_bridge_lanes_online",
			Help: "Lanes whose retained state says online."}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{Name: "sco_bridge_rate_limited_commands_total",
			Help: "Pager commands refused as rate limited."}),
		save: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "sco_bridge_store_save_seconds",
			Help:    "Time to save a batch of changes to bridge.db, synced.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}),
	}
	r.MustRegister(m.alerts, m.checkouts, m.toPage, m.toClaim, m.toArrive, m.toResolve, m.escalations, m.open, m.attendants, m.lanes, m.rateLimited, m.save)
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, k := range protocol.Kinds {
		m.open.WithLabelValues(string(k))
		for _, h := range []*prometheus.HistogramVec{m.toPage, m.toClaim, m.toArrive, m.toResolve} {
			h.WithLabelValues(string(k))
		}
	}
	for _, t := range []string{"2", "3"} {
		m.escalations.WithLabelValues(t)
	}
	for _, s := range presenceStatuses {
		m.attendants.WithLabelValues(s)
	}
	return m
}

// closed counts a closed alert from its record.
func (m *metrics) closed(in attendant.Intervention) {
	kind := string(in.Kind)
	m.alerts.WithLabelValues(in.Lane, kind, in.Handling()).Inc()
	if len(in.Pages) > 0 {
		m.toPage.WithLabelValues(kind).Observe(in.Pages[0].At.Sub(in.Raised).Seconds())
	}
	if len(in.Claims) > 0 {
		m.toClaim.WithLabelValues(kind).Observe(in.Claims[0].At.Sub(in.Raised).Seconds())
	}
	for _, c := range in.Claims {
		if !c.Arrived.IsZero() {
			m.toArrive.WithLabelValues(kind).Observe(c.Arrived.Sub(in.Raised).Seconds())
			break
		}
	}
	if in.Outcome == attendant.OutcomeResolved {
		m.toResolve.WithLabelValues(kind).Observe(in.Closed.Sub(in.Raised).Seconds())
	}
	prev := 0
	for _, p := range in.Pages {
		if p.Tier > prev && p.Tier >= 2 {
			m.escalations.WithLabelValues(strconv.Itoa(p.Tier)).Inc()
		}
		prev = p.Tier
	}
}

// effects counts what one event's effects say: closed alerts and
// rate-limited commands.
func (m *metrics) effects(fx attendant.Effects) {
	for _, in := range fx.Interventions {
		m.closed(in)
	}
	for _, r := range fx.Results {
		if r.Result.Error == string(protocol.ErrRateLimited) {
			m.rateLimited.Inc()
		}
	}
}

// state sets the gauges from the dispatcher (on the loop's goroutine).
func (m *metrics) state(d *attendant.Dispatcher) {
	open := map[string]int{}
	for _, a := range d.Alerts() {
		open[string(a.Alert.Kind)]++
	}
	for _, k := range protocol.Kinds {
		m.open.WithLabelValues(string(k)).Set(float64(open[string(k)]))
	}
	status := map[string]int{}
	for _, a := range d.Attendants() {
		status[a.Status]++
	}
	for _, s := range presenceStatuses {
		m.attendants.WithLabelValues(s).Set(float64(status[s]))
	}
	online := 0
	for _, l := range d.Lanes() {
		if l.Online {
			online++
		}
	}
	m.lanes.Set(float64(online))
}

// MetricsHandler serves the bridge's metrics (Prometheus text format):
// what metrics_listen serves on /metrics.
func (b *Bridge) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(b.metrics.reg, promhttp.HandlerOpts{})
}

// WriteMetrics writes the bridge's metrics in the Prometheus text format:
// the hook the attendant app serves after its own on web.listen's
// /metrics (attendant/web Opts.Metrics).
func (b *Bridge) WriteMetrics(w io.Writer) {
	fams, err := b.metrics.reg.Gather()
	if err != nil {
		b.log.Warn("metrics: gather", "err", err)
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range fams {
		if err := enc.Encode(f); err != nil {
			b.log.Warn("metrics: write", "err", err)
			return
		}
	}
}

// MetricsAddr is the address metrics_listen serves /metrics on, "" when
// it is not set.
func (b *Bridge) MetricsAddr() string {
	if b.metricsLn == nil {
		return ""
	}
	return b.metricsLn.Addr().String()
}

// serveMetrics serves /metrics on metrics_listen (opened by New) until
// the returned stop is called.
func (b *Bridge) serveMetrics() (stop func()) {
	if b.metricsLn == nil {
		return func() {}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", b.MetricsHandler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(b.metricsLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			b.log.Error("metrics_listen stopped", "err", err)
		}
	}()
	b.log.Info("metrics served", "addr", "http://"+b.metricsLn.Addr().String()+"/metrics")
	return func() {
		if err := srv.Close(); err != nil {
			b.log.Warn("metrics_listen: close", "err", err)
		}
		<-done
	}
}

// listenMetrics opens metrics_listen, when set.
func listenMetrics(addr string) (net.Listener, error) {
	if addr == "" {
		return nil, nil
	}
	return net.Listen("tcp", addr)
}
