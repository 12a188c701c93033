package scenario

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol"
)

// Every shipped scenario passes against a whole simulated store.
func TestShippedScenarios(t *testing.T) {
	files, err := filepath.Glob("../scenarios/*.yaml")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 10)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			sc, err := Load(f)
			require.NoError(t, err)
			r, err := Run(context.Background(), sc, RunOpts{})
			require.NoError(t, err)
			require.True(t, r.Passed(), "\n%s", r)
		})
	}
}

// Every alert kind is covered by a shipped scenario.
func TestScenariosCoverEveryAlertKind(t *testing.T) {
	files, _ := filepath.Glob("../scenarios/*.yaml")
	kinds := map[string]bool{}
	for _, f := range files {
		sc, err := Load(f)
		require.NoError(t, err)
		for _, k := range sc.Expect.Alerts {
			kinds[k] = true
		}
	}
	for _, k := range protocol.Kinds {
		require.True(t, kinds[string(k)], "no scenario raises %s", k)
	}
}

func TestParseRejects(t *testing.T) {
	cases := map[string]string{
		"name: x\nsteps: [{scan: '1', place: 3}]":             "exactly one action per step",
		"name: x\nsteps: [{help: true, skip_bag: true}]":      "exactly one action per step",
		"name: x\nsteps: [{frobnicate: true}]":                "field frobnicate not found",
		"name: x\nsteps: [{expect: {alert: teleport}}]":       `unknown alert kind "teleport"`,
		"name: x\nscale: dialog06\nsteps: [{help: true}]":     `scale "dialog06"`,
		"name: x\npagers: [{id: Ana}]\nsteps: [{help: true}]": `id "Ana"`,
		"steps: [{help: true}]":                               "name is required",
	}
	for src, want := range cases {
		_, err := Parse([]byte(src))
		require.ErrorContains(t, err, want, src)
	}
}
