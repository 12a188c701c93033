package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/cli"
)

// The measuring itself is tested in simulator/bench/footprint; here only
// the command line.
func TestFootprintArguments(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "-kioskd is required"},
		{[]string{"-kioskd", "k", "extra"}, "extra"},
		{[]string{"-idle", "soon"}, `invalid value "soon" for flag -idle`},
	} {
		var errOut bytes.Buffer
		code := footprintCommand().Execute(context.Background(), tc.args, cli.Stdio{Err: &errOut})
		require.Equal(t, cli.ExitUsage, code, "%v", tc.args)
		require.Contains(t, errOut.String(), tc.want, "%v", tc.args)
	}
}
