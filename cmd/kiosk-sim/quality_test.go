package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/cli"
)

// kiosk-sim quality prints the two tables and exits 1 when a target is
// missed (a short run has not yet spread the price of learning the wrong
// catalogue weights); a comparison run (-no-learning) has no target.
func TestQualityCommand(t *testing.T) {
	run := func(args ...string) (int, string, string) {
		var out, errs bytes.Buffer
		code := command().Execute(context.Background(), append([]string{"quality"}, args...), cli.Stdio{Out: &out, Err: &errs})
		return code, out.String(), errs.String()
	}
	code, out, errs := run("-checkouts", "30", "-faults", "1", "-lanes", "1", "-seed", "3")
	require.Equal(t, cli.ExitError, code, errs)
	require.Contains(t, out, "kiosk-sim quality: seed 3, 1 lanes, 30 clean checkouts")
	require.Regexp(t, `false alerts \(clean checkouts\)\s+alerts\s+per 100 checkouts`, out)
	require.Regexp(t, `item bagged without a scan\s+unexpected_item\s+1\s+1\s+100%`, out)
	require.True(t, strings.HasPrefix(errs, "kiosk-sim quality: targets missed: "), errs)

	code, out, errs = run("-checkouts", "10", "-faults", "0", "-lanes", "1", "-no-learning")
	require.Equal(t, cli.ExitOK, code, errs)
	require.Contains(t, out, "lane without: no learned weights")

	code, _, errs = run("-lanes", "0")
	require.Equal(t, cli.ExitUsage, code)
	require.Contains(t, errs, "-checkouts and -lanes must be at least 1")
}
