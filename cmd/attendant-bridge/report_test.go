package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/attendant/bridge"
	"github.com/sco-project/sco/attendant/report"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/protocol"
)

// attendant-bridge report prints the report of the bridge's history, in
// each format; the JSON is report.Compute's over the same records.
func TestReport(t *testing.T) {
	bin := testsupport.Binary(t, ".")
	cfgPath := writeConfig(t, "tcp://127.0.0.1:1", "")
	cfg, err := bridge.LoadConfig(cfgPath)
	require.NoError(t, err)

	now := time.Now().UTC().Truncate(time.Millisecond)
	old := now.Add(-72 * time.Hour) // outside -since 48h
	in := attendant.Intervention{Alert: "a1", Lane: "3", Zone: "front", Kind: protocol.KindBagTimeout, Severity: protocol.SeverityMedium,
		Item: &protocol.ItemRef{GTIN: "05000112637922", Name: "Cola 330ml"}, Raised: now.Add(-time.Hour),
		Pages:  []attendant.TierPage{{Tier: 1, Round: 1, At: now.Add(-time.Hour), To: []string{"ana"}}},
		Claims: []attendant.Claim{{By: "ana", Paged: now.Add(-time.Hour), At: now.Add(-time.Hour + 10*time.Second), Arrived: now.Add(-time.Hour + 40*time.Second), Ended: now.Add(-time.Hour + time.Minute), End: attendant.OutcomeResolved}},
		Depth:  1, Closed: now.Add(-time.Hour + time.Minute), Outcome: attendant.OutcomeResolved, Resolution: protocol.ActionApprove, ResolvedBy: "ana", Reason: "resolved"}
	stale := in
	stale.Alert, stale.Raised, stale.Closed = "a0", old, old.Add(time.Minute)
	checkouts := []attendant.Checkout{
		{Lane: "3", Checkout: protocol.Checkout{Session: "3-a", Items: 2, Finished: protocol.At(now.Add(-2 * time.Hour)), Started: protocol.At(now.Add(-2*time.Hour - time.Minute))}},
		{Lane: "4", Checkout: protocol.Checkout{Session: "4-a", Items: 1, Finished: protocol.At(now.Add(-30 * time.Minute)), Started: protocol.At(now.Add(-31 * time.Minute))}},
	}
	s, err := bridge.OpenStore(cfg.DataDir)
	require.NoError(t, err)
	require.NoError(t, s.Apply(attendant.Changes{Interventions: []attendant.Intervention{stale, in}, Checkouts: checkouts}))
	require.NoError(t, s.Close())

	out, err := exec.Command(bin, "report", "-config", cfgPath, "-since", "48h", "-format", "json").Output()
	require.NoError(t, err)
	var got report.Report
	require.NoError(t, json.Unmarshal(out, &got))
	want := report.Compute(report.Input{Store: "s1", Interventions: []attendant.Intervention{in}, Checkouts: checkouts, Names: map[string]string{"ana": "Ana"}})
	require.WithinDuration(t, now, got.To, time.Minute)
	require.Equal(t, 48*time.Hour, got.To.Sub(got.From))
	got.From, got.To = time.Time{}, time.Time{}
	require.Equal(t, want, got)
	require.Equal(t, 50.0, got.Total.Per100, "one intervention, two checkouts")

	out, err = exec.Command(bin, "report", "-config", cfgPath, "-since", "7d").Output()
	require.NoError(t, err)
	require.Contains(t, string(out), "2 checkouts, 2 interventions: 100.0 per 100 checkouts.")
	out, err = exec.Command(bin, "report", "-config", cfgPath, "-format", "csv").Output()
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(out), "section,key,name,checkouts,interventions,"), "%s", out)

	cmd := exec.Command(bin, "report", "-config", cfgPath, "-format", "xml")
	msg, err := cmd.CombinedOutput()
	require.Error(t, err)
	require.Equal(t, 2, cmd.ProcessState.ExitCode(), "%s", msg)
	require.Contains(t, string(msg), `-format "xml": want text, csv or json`)
}
