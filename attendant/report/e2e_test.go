package report_test

// End to end: a real lane (kioskd's daemon, in process, on fake devices)
// and a real bridge (in process), a real broker (Mosquitto) and two
// pagers play a scripted set of alerts; the /metrics of both, parsed with
// the Prometheus text parser, show exactly the expected counters and
// histogram counts, and the real attendant-bridge binary's report,
// beside the running bridge, says the same.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/attendant/bridge"
	"github.com/sco-project/sco/attendant/report"
	"github.com/sco-project/sco/devices/devicestest"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/kiosk/daemon"
	"github.com/sco-project/sco/kiosk/laneconfig"
	"github.com/sco-project/sco/protocol"
)

const wait = 15 * time.Second

// bus records every message of store s1, in order, and publishes.
type bus struct {
	t      *testing.T
	c      paho.Client
	mu     sync.Mutex
	msgs   []paho.Message
	notify chan struct{}
	cmds   int
}

func newBus(t *testing.T, url string) *bus {
	b := &bus{t: t, notify: make(chan struct{}, 1)}
	o := paho.NewClientOptions().AddBroker(url).SetClientID("e2e-bus").SetCleanSession(true)
	b.c = paho.NewClient(o)
	tok := b.c.Connect()
	require.True(t, tok.WaitTimeout(wait) && tok.Error() == nil, "bus connect: %v", tok.Error())
	tok = b.c.Subscribe("sco/v1/s1/#", 1, func(_ paho.Client, m paho.Message) {
		b.mu.Lock()
		b.msgs = append(b.msgs, m)
		b.mu.Unlock()
		select {
		case b.notify <- struct{}{}:
		default:
		}
	})
	require.True(t, tok.WaitTimeout(wait) && tok.Error() == nil, "bus subscribe")
	t.Cleanup(func() { b.c.Disconnect(100) })
	return b
}

func (b *bus) mark() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.msgs)
}

// await waits for a message on topic (under sco/v1/s1/) from index from on
// whose payload holds every fragment, and returns its payload.
func (b *bus) await(from int, topic string, fragments ...string) []byte {
	b.t.Helper()
	deadline := time.After(wait)
	for {
		b.mu.Lock()
		for _, m := range b.msgs[from:] {
			if m.Topic() != "sco/v1/s1/"+topic {
				continue
			}
			all := true
			for _, f := range fragments {
				all = all && strings.Contains(string(m.Payload()), f)
			}
			if all {
				b.mu.Unlock()
				return m.Payload()
			}
		}
		b.mu.Unlock()
		select {
		case <-b.notify:
		case <-deadline:
			b.t.Fatalf("no %s %v within %v", topic, fragments, wait)
		}
	}
}

// pager publishes as attendant id.
func (b *bus) pager(id, status string) {
	b.publish("pager/"+id+"/presence", true, protocol.Encode(protocol.Presence{Status: status, Zone: "front", TS: protocol.At(time.Now())}))
}

func (b *bus) cmd(who, alert, action string, res protocol.Action) {
	b.cmds++
	b.publish("pager/"+who+"/cmd", false, protocol.Encode(protocol.PagerCmd{ID: fmt.Sprintf("%s-%d", who, b.cmds), Alert: alert, Action: action, Resolution: res, TS: protocol.At(time.Now())}))
}

func (b *bus) publish(topic string, retain bool, payload []byte) {
	b.t.Helper()
	tok := b.c.Publish("sco/v1/s1/"+topic, 1, retain, payload)
	require.True(b.t, tok.WaitTimeout(wait) && tok.Error() == nil, "publish %s", topic)
}

func alertID(t *testing.T, payload []byte) string {
	var a protocol.Alert
	require.NoError(t, json.Unmarshal(payload, &a))
	return a.ID
}

func post(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Post(url, "", nil)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", url, body)
}

// waitScrape scrapes url until ok holds.
func waitScrape(t *testing.T, url string, ok func(testsupport.Metrics) bool) testsupport.Metrics {
	t.Helper()
	return testsupport.ScrapeUntil(t, url, wait, ok)
}

const catalog = "gtin,name,price_cents,weight_g,tolerance_g,flags\n" +
	"5000112637922,Cola 330ml,89,355,15,\n" +
	"0012345678905,Garden chair,2999,0,0,no_bag\n"

func TestMetricsAndReportEndToEnd(t *testing.T) {
	bin := testsupport.Binary(t, "github.com/sco-project/sco/cmd/attendant-bridge")
	mq := testsupport.StartMosquitto(t, "")
	dir := t.TempDir()
	logger := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}

	// The bridge: Ana and Ben, a long ack_timeout (nobody escalates).
	bridgeYAML := filepath.Join(dir, "bridge.yaml")
	require.NoError(t, os.WriteFile(bridgeYAML, []byte(fmt.Sprintf(`store: s1
mqtt: { broker: %s }
data_dir: %s
attendants:
  - { id: ana, name: Ana, zone: front, roles: [attendant, age_verifier] }
  - { id: ben, name: Ben, zone: back, roles: [attendant] }
escalation: { ack_timeout: 30s, claim_timeout: 3m, repeat: 1 }
zones: { front: { back: 40s } }
metrics_listen: 127.0.0.1:0
`, mq.URL(), filepath.Join(dir, "bridge"))), 0o600))
	bcfg, err := bridge.LoadConfig(bridgeYAML)
	require.NoError(t, err)
	bus := newBus(t, mq.URL())
	bus.pager("ana", protocol.PresenceAvailable)
	bus.pager("ben", protocol.PresenceAvailable)
	from := bus.mark()
	br, err := bridge.New(bcfg, &bridge.Opts{Logger: logger.With("component", "bridge"), Settle: 200 * time.Millisecond})
	require.NoError(t, err)
	bctx, bstop := context.WithCancel(context.Background())
	bdone := make(chan error, 1)
	go func() { bdone <- br.Run(bctx) }()
	t.Cleanup(func() {
		bstop()
		require.NoError(t, <-bdone)
	})
	bus.await(from, "bridge/state", `"online":true`)
	bridgeMetrics := "http://" + br.MetricsAddr() + "/metrics"

	// The lane, on fake devices.
	laneDir := filepath.Join(dir, "lane")
	require.NoError(t, os.MkdirAll(laneDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(laneDir, "catalog.csv"), []byte(catalog), 0o600))
	laneYAML := filepath.Join(laneDir, "lane.yaml")
	require.NoError(t, os.WriteFile(laneYAML, []byte(fmt.Sprintf(`store: s1
lane: "7"
zone: front
data_dir: data
catalog: catalog.csv
mqtt: { broker: %s }
scanner: { port: /dev/null }
scale: { port: /dev/null, protocol: nci }
ui: { listen: 127.0.0.1:0 }
policy: { unknown_item_attempts: 2, bag_timeout: 400ms, bag_prompts: 1, settle_readings: 2 }
`, mq.URL())), 0o600))
	lcfg, err := laneconfig.Load(laneYAML)
	require.NoError(t, err)
	scanner, scale := devicestest.NewScanner(nil), devicestest.NewScale(nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	lane, err := daemon.New(lcfg, &daemon.Opts{Logger: logger.With("component", "lane"), Scanner: scanner, Scale: scale, Listener: ln})
	require.NoError(t, err)
	lctx, lstop := context.WithCancel(context.Background())
	ldone := make(chan error, 1)
	go func() { ldone <- lane.Run(lctx) }()
	t.Cleanup(func() {
		lstop()
		require.NoError(t, <-ldone)
	})
	api := "http://" + lane.Addr()
	laneMetrics := api + "/metrics"
	bus.await(from, "lane/7/state", `"online":true`)
	scanner.Restored()
	scale.Restored()
	scale.Weigh(0)
	scale.Weigh(0)

	const chair, cola, unknown = "0012345678905", "5000112637922", "4006381333931"
	checkout := func(n int, alerts string) {
		t.Helper()
		post(t, api+"/api/finish")
		bus.await(from, "lane/7/checkout", `"alerts":`+alerts)
		waitScrape(t, bridgeMetrics, func(m testsupport.Metrics) bool { return m.Value("sco_bridge_checkouts_total") == float64(n) })
	}

	// 1. A clean checkout.
	scanner.Scan(chair, "")
	bus.await(from, "lane/7/state", `"items":1`)
	checkout(1, "0")

	// 2. An unknown item Ana voids from her handheld.
	from = bus.mark()
	scanner.Scan(unknown, "") // a prompt
	scanner.Scan(unknown, "") // unknown_item
	a2 := alertID(t, bus.await(from, "lane/7/alert", `"kind":"unknown_item"`))
	bus.await(from, "pager/ana/page", a2)
	bus.cmd("ana", a2, protocol.PagerClaim, "")
	bus.cmd("ana", a2, protocol.PagerResolve, protocol.ActionVoid)
	bus.await(from, "alert/"+a2, `"status":"resolved"`)
	scanner.Scan(chair, "")
	bus.await(from, "lane/7/state", `"items":1`)
	checkout(2, "1")

	// 3. Help, given at the lane.
	from = bus.mark()
	scanner.Scan(chair, "")
	bus.await(from, "lane/7/state", `"items":1`)
	post(t, api+"/api/help")
	a3 := alertID(t, bus.await(from, "lane/7/alert", `"kind":"help"`))
	bus.await(from, "pager/ana/page", a3)
	bus.cmd("ana", a3, protocol.PagerClaim, "")
	bus.cmd("ana", a3, protocol.PagerArrive, "")
	bus.cmd("ana", a3, protocol.PagerResolve, protocol.ActionClear)
	bus.await(from, "alert/"+a3, `"status":"resolved"`)
	checkout(3, "1")

	// 4. Help asked for and cancelled at an idle lane.
	from = bus.mark()
	post(t, api+"/api/help")
	a4 := alertID(t, bus.await(from, "lane/7/alert", `"kind":"help"`))
	bus.await(from, "pager/ana/page", a4)
	post(t, api+"/api/help/cancel")
	bus.await(from, "alert/"+a4, `"status":"cancelled"`)

	// 5. A cola not placed: a nudge, the alert, then the shopper places it.
	from = bus.mark()
	scanner.Scan(cola, "")
	a5 := alertID(t, bus.await(from, "lane/7/alert", `"kind":"bag_timeout"`))
	bus.await(from, "pager/ana/page", a5)
	scale.Weigh(355)
	scale.Weigh(355)
	bus.await(from, "alert/"+a5, `"status":"cancelled"`)
	checkout(4, "1")

	// The lane's /metrics: exactly these.
	lm := waitScrape(t, laneMetrics, func(m testsupport.Metrics) bool { return m.Value("sco_lane_outbox_messages") == 0 })
	for name, want := range map[string][]string{
		"sco_lane_alerts_raised_total":     {"sco_lane_alerts_raised_total{kind=bag_timeout} 1", "sco_lane_alerts_raised_total{kind=help} 2", "sco_lane_alerts_raised_total{kind=unknown_item} 1"},
		"sco_lane_alerts_cancelled_total":  {"sco_lane_alerts_cancelled_total{kind=bag_timeout} 1", "sco_lane_alerts_cancelled_total{kind=help} 1"},
		"sco_lane_prompts_total":           {"sco_lane_prompts_total{kind=bag_timeout} 1", "sco_lane_prompts_total{kind=unknown_item} 1"},
		"sco_lane_checkouts_total":         {"sco_lane_checkouts_total{} 4"},
		"sco_lane_scans_total":             {"sco_lane_scans_total{result=recognised} 4", "sco_lane_scans_total{result=unrecognised} 2"},
		"sco_lane_scale_readings_total":    {"sco_lane_scale_readings_total{status=stable} 2", "sco_lane_scale_readings_total{status=zero} 2"},
		"sco_lane_device_up":               {"sco_lane_device_up{device=scale} 1", "sco_lane_device_up{device=scanner} 1"},
		"sco_lane_device_reconnects_total": nil,
		"sco_lane_mqtt_connected":          {"sco_lane_mqtt_connected{} 1"},
	} {
		require.Equal(t, want, lm.Series(name, "store", "lane"), name)
	}

	// The bridge's /metrics: exactly these.
	bm := testsupport.Scrape(t, bridgeMetrics)
	for name, want := range map[string][]string{
		"sco_bridge_alerts_total": {
			"sco_bridge_alerts_total{kind=bag_timeout,lane=7,outcome=shopper} 1",
			"sco_bridge_alerts_total{kind=help,lane=7,outcome=at_lane} 1",
			"sco_bridge_alerts_total{kind=help,lane=7,outcome=shopper} 1",
			"sco_bridge_alerts_total{kind=unknown_item,lane=7,outcome=remote} 1",
		},
		"sco_bridge_checkouts_total": {"sco_bridge_checkouts_total{lane=7} 4"},
		"sco_bridge_time_to_page_seconds": {"sco_bridge_time_to_page_seconds_count{kind=bag_timeout} 1",
			"sco_bridge_time_to_page_seconds_count{kind=help} 2", "sco_bridge_time_to_page_seconds_count{kind=unknown_item} 1"},
		"sco_bridge_time_to_claim_seconds":       {"sco_bridge_time_to_claim_seconds_count{kind=help} 1", "sco_bridge_time_to_claim_seconds_count{kind=unknown_item} 1"},
		"sco_bridge_time_to_arrive_seconds":      {"sco_bridge_time_to_arrive_seconds_count{kind=help} 1"},
		"sco_bridge_time_to_resolve_seconds":     {"sco_bridge_time_to_resolve_seconds_count{kind=help} 1", "sco_bridge_time_to_resolve_seconds_count{kind=unknown_item} 1"},
		"sco_bridge_escalations_total":           nil,
		"sco_bridge_open_alerts":                 nil,
		"sco_bridge_attendants":                  {"sco_bridge_attendants{status=available} 2"},
		"sco_bridge_lanes_online":                {"sco_bridge_lanes_online{} 1"},
		"sco_bridge_rate_limited_commands_total": nil,
	} {
		require.Equal(t, want, bm.Series(name, "store"), name)
	}

	// The report, by the real binary, beside the running bridge.
	out, err := exec.Command(bin, "report", "-config", bridgeYAML, "-since", "1h", "-format", "json").Output()
	require.NoError(t, err)
	var r report.Report
	require.NoError(t, json.Unmarshal(out, &r))
	require.Equal(t, 4, r.Total.Checkouts)
	require.Equal(t, 4, r.Total.Interventions)
	require.Equal(t, 100.0, r.Total.Per100)
	require.Equal(t, 0.5, r.Total.FixedByShopper)
	require.Equal(t, 0.25, r.Total.Remote)
	kinds := map[string]report.Row{}
	for _, k := range r.Kinds {
		kinds[k.Key] = k
	}
	require.Len(t, kinds, 3)
	require.Equal(t, 2, kinds["help"].Interventions)
	require.Equal(t, 1.0, kinds["unknown_item"].Remote)
	require.Equal(t, 1.0, kinds["bag_timeout"].FixedByShopper)
	// The same counts as the bridge's /metrics, kind by kind.
	for k, row := range kinds {
		n := 0.0
		for _, o := range []string{"shopper", "remote", "at_lane"} {
			n += bm.Value("sco_bridge_alerts_total", "kind", k, "outcome", o)
		}
		require.Equal(t, n, float64(row.Interventions), k)
		require.Equal(t, bm.Value("sco_bridge_time_to_claim_seconds", "kind", k), float64(row.TimeToClaim.N), k)
		require.Equal(t, bm.Value("sco_bridge_time_to_arrive_seconds", "kind", k), float64(row.TimeToArrive.N), k)
		require.Equal(t, bm.Value("sco_bridge_time_to_resolve_seconds", "kind", k), float64(row.TimeToResolve.N), k)
	}
	require.Equal(t, []report.Row{{Key: "05000112637922", Name: "Cola 330ml", Interventions: 1, Per100: 25, FixedByShopper: 1, MeanDepth: 1}},
		stripTimes(r.Items))
	require.Len(t, r.Lanes, 1)
	require.Equal(t, "7", r.Lanes[0].Key)
	require.Equal(t, 4, r.Lanes[0].Checkouts)
	require.Len(t, r.Attendants, 1)
	ana := r.Attendants[0]
	require.Equal(t, "Ana", ana.Name)
	require.Equal(t, 2, ana.Claims)
	require.Equal(t, 2, ana.Resolved)
	require.Equal(t, 1, ana.Remote)

	// Every metric the Grafana dashboard queries is one the daemons serve.
	dash, err := os.ReadFile("../../deploy/grafana/sco-store.json")
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(dash, &doc), "the dashboard is JSON")
	names := regexp.MustCompile(`sco_[a-z_]+`).FindAllString(string(dash), -1)
	require.NotEmpty(t, names)
	for _, n := range names {
		base := regexp.MustCompile(`_(bucket|count|sum)$`).ReplaceAllString(n, "")
		_, inLane := lm[base]
		_, inBridge := bm[base]
		require.True(t, inLane || inBridge, "the dashboard queries %s, which neither daemon serves", n)
	}
}

// stripTimes keeps a row's counts and shares (the times are the test's
// own).
func stripTimes(rows []report.Row) []report.Row {
	out := make([]report.Row, len(rows))
	for i, r := range rows {
		r.TimeToClaim, r.TimeToArrive, r.TimeToResolve, r.AttendantTime = report.Stat{}, report.Stat{}, report.Stat{}, 0
		out[i] = r
	}
	return out
}
