package bridge

import (
	"bytes"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/protocol"
)

// /metrics on metrics_listen counts exactly what the bridge did: alerts
// by lane, kind and outcome, the times to page, claim, arrive and
// resolve by kind, escalations by tier, checkouts once per session,
// rate-limited commands; the gauges say what is open and who is there.
func TestBridgeMetrics(t *testing.T) {
	url := testsupport.Mochi(t).URL()
	esc := attendant.Escalation{AckTimeout: 2 * time.Second, ClaimTimeout: time.Minute, Repeat: 1}
	r, b := newAuthRig(t, url, nil, func(c *Config) {
		c.MetricsListen = "127.0.0.1:0"
		c.Limits = attendant.Limits{PagerCmdsPerS: 0.01, PagerCmdBurst: 3}
	}, esc, "ana", "ben", "sue")
	scrape := "http://" + b.MetricsAddr() + "/metrics"

	// a1: Ana claims, walks over and clears it at the lane.
	r.pagingStarted("a1", "ana")
	from := r.rec.mark()
	r.pager["ana"].cmd("c1", "a1", "claim", "")
	r.pager["ana"].cmd("c2", "a1", "arrive", "")
	r.pager["ana"].cmd("c3", "a1", "resolve", protocol.ActionClear)
	cmd := decodeAs[protocol.Command](t, r.rec.await(from, "lane/3/command", `"alert":"a1"`))
	publish(t, r.lane, protocol.LaneResultTopic("s1", "3"), false, protocol.Encode(protocol.CommandResult{ID: cmd.ID, OK: true}))
	r.rec.await(from, "alert/a1", `"status":"resolved"`)

	// a2: the shopper fixes it.
	from = r.rec.mark()
	r.raise("a2", protocol.KindBagTimeout)
	r.rec.await(from, "pager/ana/page", `"alert":"a2"`)
	publish(t, r.lane, protocol.LaneAlertTopic("s1", "3"), false, laneAlert("a2", protocol.KindBagTimeout, protocol.AlertCancelled))
	r.rec.await(from, "alert/a2", `"status":"cancelled"`)

	// a3: nobody at tier 1; Ben voids it from his handheld at tier 2.
	from = r.rec.mark()
	r.raise("a3", protocol.KindHelp)
	r.rec.await(from, "pager/ben/page", `"alert":"a3"`, `"tier":2`)
	r.pager["ben"].cmd("b1", "a3", "resolve", protocol.ActionClear)
	cmd = decodeAs[protocol.Command](t, r.rec.await(from, "lane/3/command", `"alert":"a3"`))
	publish(t, r.lane, protocol.LaneResultTopic("s1", "3"), false, protocol.Encode(protocol.CommandResult{ID: cmd.ID, OK: true}))
	r.rec.await(from, "alert/a3", `"status":"resolved"`)

	// Sue floods: a burst of 3, then refused.
	from = r.rec.mark()
	for _, id := range []string{"s1", "s2", "s3", "s4", "s5"} {
		r.pager["sue"].cmd(id, "nope", "claim", "")
	}
	r.rec.await(from, "pager/sue/result", `"id":"s5"`)

	// Checkouts: one session delivered twice, another once.
	c1, c2 := checkout("3", "3-s-1", time.Now().UTC()), checkout("3", "3-s-2", time.Now().UTC())
	for _, c := range []attendant.Checkout{c1, c1, c2} {
		publish(t, r.lane, protocol.LaneCheckoutTopic("s1", "3"), false, protocol.Encode(c.Checkout))
	}
	// An alert closed after them: once it is counted, so are they.
	from = r.rec.mark()
	r.raise("a4", protocol.KindHelp)
	r.rec.await(from, "pager/ana/page", `"alert":"a4"`)
	publish(t, r.lane, protocol.LaneAlertTopic("s1", "3"), false, laneAlert("a4", protocol.KindHelp, protocol.AlertCancelled))
	r.rec.await(from, "alert/a4", `"status":"cancelled"`)

	m := testsupport.Scrape(t, scrape)
	for name, want := range map[string][]string{
		"sco_bridge_alerts_total": {
			"sco_bridge_alerts_total{kind=bag_timeout,lane=3,outcome=shopper} 1",
			"sco_bridge_alerts_total{kind=help,lane=3,outcome=at_lane} 1",
			"sco_bridge_alerts_total{kind=help,lane=3,outcome=remote} 1",
			"sco_bridge_alerts_total{kind=help,lane=3,outcome=shopper} 1",
		},
		"sco_bridge_checkouts_total":             {"sco_bridge_checkouts_total{lane=3} 2"},
		"sco_bridge_time_to_page_seconds":        {"sco_bridge_time_to_page_seconds_count{kind=bag_timeout} 1", "sco_bridge_time_to_page_seconds_count{kind=help} 3"},
		"sco_bridge_time_to_claim_seconds":       {"sco_bridge_time_to_claim_seconds_count{kind=help} 2"},
		"sco_bridge_time_to_arrive_seconds":      {"sco_bridge_time_to_arrive_seconds_count{kind=help} 1"},
		"sco_bridge_time_to_resolve_seconds":     {"sco_bridge_time_to_resolve_seconds_count{kind=help} 2"},
		"sco_bridge_escalations_total":           {"sco_bridge_escalations_total{tier=2} 1"},
		"sco_bridge_open_alerts":                 nil,
		"sco_bridge_attendants":                  {"sco_bridge_attendants{status=available} 3"},
		"sco_bridge_rate_limited_commands_total": {"sco_bridge_rate_limited_commands_total{} 2"},
	} {
		require.Equal(t, want, m.Series(name, "store"), name)
	}
	require.Greater(t, m.Value("sco_bridge_store_save_seconds"), 0.0)
	require.Equal(t, 2.0, m.Value("sco_bridge_checkouts_total", "store", "s1", "lane", "3"), "labelled with the store")

	// The same metrics through WriteMetrics (the attendant app's hook)
	// parse as the text format.
	var buf bytes.Buffer
	b.WriteMetrics(&buf)
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(&buf)
	require.NoError(t, err)
	require.Equal(t, m.Series("sco_bridge_alerts_total", "store"), testsupport.Metrics(fams).Series("sco_bridge_alerts_total", "store"))

	// An open alert and an attendant going offline show on the gauges.
	from = r.rec.mark()
	r.raise("a5", protocol.KindAgeCheck)
	r.rec.await(from, "pager/ana/page", `"alert":"a5"`)
	r.pager["ben"].presence(protocol.PresenceOffline)
	testsupport.ScrapeUntil(t, scrape, waitFor, func(m testsupport.Metrics) bool {
		return m.Value("sco_bridge_open_alerts", "kind", "age_check") == 1 && m.Value("sco_bridge_attendants", "status", "offline") == 1
	})
}
