package daemon

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/devices/devicestest"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/protocol"
)

// waitMetric scrapes url until the sample of name with labels is want.
func waitMetric(t testing.TB, url, name string, want float64, labels ...string) testsupport.Metrics {
	t.Helper()
	return testsupport.ScrapeUntil(t, url, waitFor, func(m testsupport.Metrics) bool { return m.Value(name, labels...) == want })
}

// /metrics counts exactly what the lane did: alerts raised and cancelled
// and prompts by kind, scans by result, checkouts, scale readings by
// status, devices up and their reconnects, journal commits; the MQTT
// connection and the outbox depth are read at the scrape. Every series
// carries the store and the lane.
func TestMetrics(t *testing.T) {
	b := testsupport.Mochi(t)
	w := newWatcher(t, b.URL())
	scanner, scale := devicestest.NewScanner(nil), devicestest.NewScale(nil)
	p := startInProcOpts(t, newRig(t, "7", b.URL()).config(t), Opts{Scanner: scanner, Scale: scale})
	url := p.base + "/metrics"
	at := 0
	w.next(&at, protocol.LaneStateTopic(testStore, "7"), stateWhere(func(s protocol.LaneState) bool { return s.Online }))

	scanner.Restored()
	scale.Lost(errors.New("unplugged"))
	scale.Restored()
	scale.Weigh(0)
	scale.Weigh(0)
	scale.Moving(120)
	waitMetric(t, url, "sco_lane_scale_readings_total", 1, "status", "unstable")
	scanner.Scan("4006381333931", "") // not in the catalogue: a prompt (unknown_item_attempts: 2)
	scanner.Scan("0012345678905", "") // the garden chair: no bagging
	pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == 1 })
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/help", nil))
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/help/cancel", nil))
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/finish", nil))
	w.next(&at, protocol.LaneCheckoutTopic(testStore, "7"), nil)
	m := waitMetric(t, url, "sco_lane_outbox_messages", 0)

	for name, want := range map[string][]string{
		"sco_lane_alerts_raised_total":     {"sco_lane_alerts_raised_total{kind=help} 1"},
		"sco_lane_alerts_cancelled_total":  {"sco_lane_alerts_cancelled_total{kind=help} 1"},
		"sco_lane_prompts_total":           {"sco_lane_prompts_total{kind=unknown_item} 1"},
		"sco_lane_checkouts_total":         {"sco_lane_checkouts_total{} 1"},
		"sco_lane_scans_total":             {"sco_lane_scans_total{result=recognised} 1", "sco_lane_scans_total{result=unrecognised} 1"},
		"sco_lane_scale_readings_total":    {"sco_lane_scale_readings_total{status=unstable} 1", "sco_lane_scale_readings_total{status=zero} 2"},
		"sco_lane_device_up":               {"sco_lane_device_up{device=scale} 1", "sco_lane_device_up{device=scanner} 1"},
		"sco_lane_device_reconnects_total": {"sco_lane_device_reconnects_total{device=scale} 1"},
		"sco_lane_mqtt_connected":          {"sco_lane_mqtt_connected{} 1"},
		"sco_lane_outbox_messages":         nil,
	} {
		require.Equal(t, want, m.Series(name, "store", "lane"), name)
	}
	// Journal commits: the start, and every step that changed the
	// session or had a message (the scans, help, cancel, finish at least).
	require.GreaterOrEqual(t, m.Value("sco_lane_journal_commit_seconds"), 6.0)
	require.Equal(t, 1.0, m.Value("sco_lane_checkouts_total", "store", testStore, "lane", "7"), "labelled with store and lane")
	for _, k := range protocol.Kinds {
		require.NotNil(t, findSample(m, "sco_lane_alerts_raised_total", string(k)), "every kind has a series from the start: %s", k)
	}
	require.Contains(t, m, "go_goroutines", "the Go runtime's metrics too")
}

// findSample is the sample of family name whose kind label is kind.
func findSample(m testsupport.Metrics, name, kind string) any {
	for _, s := range m[name].GetMetric() {
		for _, l := range s.GetLabel() {
			if l.GetName() == "kind" && l.GetValue() == kind {
				return s
			}
		}
	}
	return nil
}
