package daemon

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/kiosk"
	"github.com/sco-project/sco/protocol"
)

// metrics are the lane's Prometheus metrics, served on GET /metrics of
// the local API. Each daemon has a registry of its own (never the global
// one), so that a process may run several lanes (the simulator, tests).
// Every series carries the store and the lane as labels; the others are
// bounded: alert kind, scan result, device, scale status. Series of every
// kind, result, device and status exist from the start, at zero.
type metrics struct {
	reg *prometheus.Registry

	raised, cancelled *prometheus.CounterVec // kind
	prompts           *prometheus.CounterVec // kind
	checkouts         prometheus.Counter
	scans             *prometheus.CounterVec // result
	deviceUp          *prometheus.GaugeVec   // device
	reconnects        *prometheus.CounterVec // device
	readings          *prometheus.CounterVec // status
	commit            prometheus.Histogram
}

// The devices the lane reports on.
var laneDevices = []string{"scanner", "scale"}

// newMetrics registers the lane's metrics. connected and depth are read
// at each scrape: the MQTT connection and the outbox's waiting messages.
func newMetrics(store, lane string, connected func() bool, depth func() int) *metrics {
	reg := prometheus.NewRegistry()
	r := prometheus.WrapRegistererWith(prometheus.Labels{"store": store, "lane": lane}, reg)
	m := &metrics{
		reg: reg,
		raised: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sco_lane_alerts_raised_total",
			Help: "Alerts the lane raised, by kind."}, []string{"kind"}),
		cancelled: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sco_lane_alerts_cancelled_total",
			Help: "Alerts the lane cancelled because the shopper (or the device) fixed the cause, by kind."}, []string{"kind"}),
		prompts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sco_lane_prompts_total",
			Help: "Nudges shown to the shopper, by the kind of alert each leads to when it does not work."}, []string{"kind"}),
		checkouts: prometheus.NewCounter(prometheus.CounterOpts{Name: "sco_lane_checkouts_total",
			Help: "Sessions finished (lane/{lane}/checkout messages)."}),
		scans: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sco_lane_scans_total",
			Help: "Scans taken, by result: recognised, unrecognised, refused."}, []string{"result"}),
		deviceUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "sco_lane_device_up",
			Help: "1 while the device's port is open, 0 while it is lost."}, []string{"device"}),
		reconnects: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sco_lane_device_reconnects_total",
			Help: "Times the device came back after it was lost."}, []string{"device"}),
		readings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sco_lane_scale_readings_total",
			Help: "Scale readings, by status."}, []string{"status"}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "sco_lane_journal_commit_seconds",
			Help:    "Time to write one engine step (session snapshot and its messages) to the journal, synced.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}),
	}
	r.MustRegister(m.raised, m.cancelled, m.prompts, m.checkouts, m.scans, m.deviceUp, m.reconnects, m.readings, m.commit,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sco_lane_mqtt_connected",
			Help: "1 while the lane is connected to the broker."}, func() float64 { return b2f(connected()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sco_lane_outbox_messages",
			Help: "Messages in the outbox waiting for the broker's acknowledgement."}, func() float64 { return float64(depth()) }),
	)
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, k := range protocol.Kinds {
		m.raised.WithLabelValues(string(k))
		m.cancelled.WithLabelValues(string(k))
		m.prompts.WithLabelValues(string(k))
	}
	for _, s := range []kiosk.ScanOutcome{kiosk.ScanRecognised, kiosk.ScanUnrecognised, kiosk.ScanRefused} {
		m.scans.WithLabelValues(string(s))
	}
	for _, dev := range laneDevices {
		m.deviceUp.WithLabelValues(dev)
		m.reconnects.WithLabelValues(dev)
	}
	for s := devices.StatusNotReady; s <= devices.StatusFault; s++ {
		m.readings.WithLabelValues(s.String())
	}
	return m
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// handler serves the registry in the Prometheus text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// step counts what one journaled engine step did, and how long its
// journal write took (negative: it had nothing to journal).
func (m *metrics) step(eff kiosk.Effects, took time.Duration) {
	if took >= 0 {
		m.commit.Observe(took.Seconds())
	}
	for _, a := range eff.Alerts {
		switch a.Status {
		case protocol.AlertOpen:
			m.raised.WithLabelValues(string(a.Kind)).Inc()
		case protocol.AlertCancelled:
			m.cancelled.WithLabelValues(string(a.Kind)).Inc()
		}
	}
	for _, k := range eff.Prompts {
		m.prompts.WithLabelValues(string(k)).Inc()
	}
	for _, s := range eff.Scans {
		m.scans.WithLabelValues(string(s)).Inc()
	}
	if eff.Checkout != nil {
		m.checkouts.Inc()
	}
}

// conn follows a device's connection: up, and a reconnect when it comes
// back after being lost.
func (m *metrics) conn(device string, up, wasLost bool) {
	m.deviceUp.WithLabelValues(device).Set(b2f(up))
	if up && wasLost {
		m.reconnects.WithLabelValues(device).Inc()
	}
}

// reading counts a scale reading by its status.
func (m *metrics) reading(s devices.Status) { m.readings.WithLabelValues(s.String()).Inc() }
