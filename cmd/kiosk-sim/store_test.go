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
	require.Regexp(t, `(?m)^\s+attendants\s+troubles\s+claim p50/p90/p95/max`, out)
	require.Regexp(t, `(?m)^\s+1\s+21\s`, out)
	require.Regexp(t, `(?m)^\s+2\s+21\s`, out)
	code, out, errs = run("-attendants", "2", "-json", floor)
	require.Equal(t, cli.ExitOK, code, errs)
	require.Contains(t, out, `"attendants": 2`)
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
