package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Two lanes, two pagers, a few alerts: every scan becomes one alert, one
// tier-1 page and a resolution, and the report carries every figure. Speeds
// are measured, not asserted.
func TestRunCountsEveryAlertOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := Run(ctx, Opts{Lanes: 2, Pagers: 2, Alerts: 8, Rate: 200, RawSamples: 20, Wait: 20 * time.Second})
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	assert.Equal(t, 8, rep.Scans)
	assert.Equal(t, 8, rep.Alerts)
	assert.Equal(t, 8, rep.Paged)
	assert.Equal(t, 8, rep.Resolved)
	assert.Equal(t, 0, rep.Lost)
	assert.Equal(t, 0, rep.Unresolved)
	assert.Equal(t, 0, rep.Duplicates)
	assert.Equal(t, map[int]int{1: 8}, rep.PagesTier)
	for name, s := range map[string]Stats{"scan_to_alert": rep.ScanToAlert, "alert_to_page": rep.AlertToPage, "chain": rep.Chain} {
		assert.Equal(t, 8, s.N, name)
		assert.True(t, s.P50 > 0 && s.P50 <= s.P95 && s.P95 <= s.P99 && s.P99 <= s.Max, "%s: %+v", name, s)
	}
	// The chain contains both of its parts.
	assert.GreaterOrEqual(t, rep.Chain.Max, rep.ScanToAlert.Min+rep.AlertToPage.Min)
	assert.Equal(t, 20, rep.RawHop.N)
	// Paced hops run alongside the alerts, one per alert interval, and
	// stop with them.
	assert.Greater(t, rep.RawHopPaced.N, 0)
	assert.LessOrEqual(t, rep.RawHopPaced.N, 8)
	assert.Greater(t, rep.OverheadBackToBackP50, 0.0)
	assert.Greater(t, rep.PayloadBytes, 100, "an alert payload")
	assert.Greater(t, rep.OverheadP50, 0.0)

	var text bytes.Buffer
	require.NoError(t, rep.WriteText(&text))
	for _, want := range []string{"scan -> alert", "alert -> page", "chain", "raw hop, paced", "raw hop, b2b", "overhead", "lost=0", "unresolved=0", "duplicates=0"} {
		assert.Contains(t, text.String(), want)
	}
	js, err := json.Marshal(rep)
	require.NoError(t, err)
	for _, want := range []string{`"chain":{"n":8`, `"p99_ns"`, `"raw_hop"`, `"raw_hop_paced"`, `"overhead_p50"`, `"overhead_back_to_back_p50"`, `"pages_by_tier":{"1":8}`} {
		assert.Contains(t, string(js), want)
	}
}

// Fewer pagers than lanes: a pager holds a claim on one of its lanes when
// the other alerts, so the bridge pages every attendant at tier 2, and
// each pager sends more commands than a person's rate limit lets
// through. Every alert is still resolved, and tier 2's pages to several
// attendants are no duplicates.
func TestRunFewerPagersThanLanes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := Run(ctx, Opts{Lanes: 3, Pagers: 2, Alerts: 60, Rate: 200, RawSamples: 5, Wait: 20 * time.Second})
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	assert.Equal(t, 60, rep.Resolved)
	assert.Equal(t, 0, rep.Duplicates)
	assert.Greater(t, rep.PagesTier[2], 0, "some alerts went to tier 2: %v", rep.PagesTier)
}

// A burst makes every lane alert once; lanes with fake devices count the
// same.
func TestBurstAlertsEveryFakeLane(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := Run(ctx, Opts{Lanes: 3, Pagers: 1, Burst: true, Fake: true, Alerts: 99, RawSamples: 5, Wait: 20 * time.Second})
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	assert.True(t, rep.Burst)
	assert.True(t, rep.Fake)
	assert.Equal(t, 3, rep.Scans)
	assert.Equal(t, 3, rep.Resolved)
	assert.Equal(t, map[int]int{1: 3}, rep.PagesTier)
	assert.Zero(t, rep.RawHopPaced.N, "no paced hops in a burst")
	assert.Zero(t, rep.OverheadP50)
}

func TestOptsRejectsWhatCannotRun(t *testing.T) {
	_, err := Run(context.Background(), Opts{Lanes: 2, Pagers: 3})
	require.ErrorContains(t, err, "bench: 3 pagers for 2 lanes")
	_, err = Run(context.Background(), Opts{Lanes: MaxPtyLanes + 1})
	require.ErrorContains(t, err, "use fake devices")
	_, err = Run(context.Background(), Opts{Rate: -1})
	require.ErrorContains(t, err, "bench: negative option")
}

func TestSummarise(t *testing.T) {
	d := make([]time.Duration, 100)
	for i := range d {
		d[i] = time.Duration(100-i) * time.Millisecond // reversed: Summarise sorts
	}
	s := Summarise(d)
	assert.Equal(t, Stats{N: 100, Min: time.Millisecond, P50: 50 * time.Millisecond, P95: 95 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond, Mean: 50500 * time.Microsecond}, s)
	assert.Equal(t, Stats{}, Summarise(nil))
	one := Summarise([]time.Duration{7})
	assert.Equal(t, time.Duration(7), one.P50)
	assert.Equal(t, time.Duration(7), one.P99)
}
