package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/cli"
)

// kiosk-sim store sweeps staffing levels on a floor into one table, or
// JSON, in a moment.
func TestStoreCommand(t *testing.T) {
	run := func(args ...string) (int, string, string) {
		var out, errs bytes.Buffer
		code := command().Execute(context.Background(), append([]string{"store"}, args...), cli.Stdio{Out: &out, Err: &errs})
		return code, out.String(), errs.String()
	}
	floor := "../../simulator/store/testdata/tiny.yaml"
	code, out, errs := run("-attendants", "1,2", floor)
	require.Equal(t, cli.ExitOK, code, errs)
	require.Regexp(t, `(?m)^\s+attendants\s+routing\s+troubles\s+claim p50/p90/p95/max`, out)
	require.Regexp(t, `(?m)^\s+1\s+walk\s+21\s`, out)
	require.Regexp(t, `(?m)^\s+2\s+walk\s+21\s`, out)
	// Both rules for each level, side by side; shifts pool their troubles.
	code, out, errs = run("-attendants", "2", "-routing", "walk,zone", "-shifts", "3", floor)
	require.Equal(t, cli.ExitOK, code, errs)
	require.Regexp(t, `(?m)^\s+2\s+walk\s+\d+\s.*\n\s+2\s+zone\s`, out)
	require.NotRegexp(t, `(?m)^\s+2\s+walk\s+21\s`, out, "three shifts are more than one shift's 21 troubles")
	code, _, errs = run("-routing", "nearest", floor)
	require.Equal(t, cli.ExitUsage, code)
	require.Contains(t, errs, `-routing: routing "nearest": want walk or zone`)
	code, _, errs = run("-shifts", "0", floor)
	require.Equal(t, cli.ExitUsage, code)
	require.Contains(t, errs, `-shifts 0: between 1 and 1000`)
	code, out, errs = run("-attendants", "2", "-json", floor)
	require.Equal(t, cli.ExitOK, code, errs)
	require.Contains(t, out, `"attendants": 2`)
	require.Contains(t, out, `"routing": "walk"`)
	require.Contains(t, out, `"shifts": 1`)
	code, _, errs = run("-attendants", "x", floor)
	require.Equal(t, cli.ExitUsage, code)
	require.Contains(t, errs, `-attendants: "x" is not a number`)
	code, _, _ = run(floor, floor)
	require.Equal(t, cli.ExitUsage, code)
	// The shipped floor loads, and without a floor file it is the one
	// played.
	code, shipped, errs := run("-attendants", "1", "../../simulator/floors/12-lane.yaml")
	require.Equal(t, cli.ExitOK, code, errs)
	code, builtin, errs := run("-attendants", "1")
	require.Equal(t, cli.ExitOK, code, errs)
	require.Equal(t, shipped, builtin)
}
