package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/cli"
	"github.com/sco-project/sco/internal/testsupport"
)

func run(args ...string) (code int, stdout, stderr string) {
	var out, errs bytes.Buffer
	code = command().Execute(context.Background(), args, cli.Stdio{Out: &out, Err: &errs})
	return code, out.String(), errs.String()
}

func TestArguments(t *testing.T) {
	for name, c := range map[string]struct {
		args []string
		code int
		want string
	}{
		"no config":        {nil, cli.ExitUsage, "kioskd: -config or -check-config is required\nusage: kioskd -config FILE"},
		"stray argument":   {[]string{"-config", "x.yaml", "extra"}, cli.ExitUsage, `kioskd: unexpected argument "extra"`},
		"bad flag":         {[]string{"-colour"}, cli.ExitUsage, "kioskd: flag provided but not defined: -colour"},
		"bad log format":   {[]string{"-config", "x.yaml", "-log-format", "xml"}, cli.ExitUsage, `kioskd: invalid value "xml" for flag -log-format: must be text or json`},
		"bad log level":    {[]string{"-config", "x.yaml", "-log-level", "loud"}, cli.ExitUsage, `kioskd: invalid value "loud" for flag -log-level`},
		"missing config":   {[]string{"-config", "/nonexistent/lane.yaml"}, cli.ExitError, "kioskd: "},
		"missing to check": {[]string{"-check-config", "/nonexistent/lane.yaml"}, cli.ExitError, "kioskd: "},
	} {
		code, out, errs := run(c.args...)
		require.Equal(t, c.code, code, name)
		require.True(t, strings.HasPrefix(errs, c.want), "%s: %q", name, errs)
		require.Empty(t, out, name)
	}
	_, _, errs := run("-check-config", "/nonexistent/lane.yaml")
	require.Contains(t, errs, "lane.yaml")
	require.Equal(t, 1, strings.Count(errs, "\n"), "one line: %q", errs)
}

func TestCheckConfigOK(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "catalog.csv"), []byte("gtin,name,price_cents,weight_g,tolerance_g,flags\n5000112637922,Cola 330ml,89,355,15,\n"), 0o600))
	path := filepath.Join(dir, "lane.yaml")
	require.NoError(t, os.WriteFile(path, []byte("store: s1\nlane: \"3\"\nzone: front\ncatalog: catalog.csv\nscanner: {port: /dev/ttyUSB0}\nscale: {port: /dev/ttyUSB1}\n"), 0o600))
	code, out, errs := run("-check-config", path)
	require.Equal(t, cli.ExitOK, code, errs)
	require.Contains(t, out, path+": ok (store s1, lane 3, zone front, catalogue ")
	require.Contains(t, out, " with 1 item, ")
	require.Contains(t, out, "scale nci on /dev/ttyUSB1")
}

// TestBinaryHelp: the real binary's -h prints the usage on stdout and
// exits 0; a bad flag exits 2.
func TestBinaryHelp(t *testing.T) {
	bin := testsupport.Binary(t, ".")
	out, err := exec.Command(bin, "-h").Output()
	require.NoError(t, err)
	require.Contains(t, string(out), "usage: kioskd -config FILE [flags]")
	require.Contains(t, string(out), "-record directory")

	cmd := exec.Command(bin, "-colour")
	out, err = cmd.CombinedOutput()
	require.Error(t, err)
	require.Equal(t, cli.ExitUsage, cmd.ProcessState.ExitCode())
	require.Contains(t, string(out), "kioskd: flag provided but not defined: -colour\nusage: kioskd")
}

// kioskd -weights prints what the lane learned next to the catalogue, and
// which one the lane uses.
func TestWeights(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "catalog.csv"), []byte("gtin,name,price_cents,weight_g,tolerance_g,flags\n"+
		"5000112637922,Cola 330ml,89,355,15,\n5449000000996,Water 1.5l,65,1560,20,\n0012345678905,Garden chair,2999,0,0,no_bag\n"), 0o600))
	path := filepath.Join(dir, "lane.yaml")
	require.NoError(t, os.WriteFile(path, []byte("store: s1\nlane: \"3\"\nzone: front\ndata_dir: data\ncatalog: catalog.csv\nscanner: {port: /dev/ttyUSB0}\nscale: {port: /dev/ttyUSB1}\n"), 0o600))

	code, out, errs := run("-weights", path)
	require.Equal(t, cli.ExitOK, code, errs)
	require.Contains(t, out, "lane 3 (store s1): 0 items learned in "+filepath.Join(dir, "data", "weights.jsonl"))

	require.NoError(t, os.MkdirAll(filepath.Join(dir, "data"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "data", "weights.jsonl"), []byte(
		`{"gtin":"05000112637922","name":"Cola 330ml","n":7,"obs":4,"mean_g":390.1,"m2":1.2,"updated":"2026-11-23T10:00:00Z"}`+"\n"+
			`{"gtin":"05449000000996","name":"Water 1.5l","n":3,"mean_g":1561,"m2":0,"updated":"2026-11-23T10:00:00Z"}`+"\n"+
			`{"gtin":"09999999999994","n":5,"mean_g":100,"m2":0,"updated":"2026-11-23T10:00:00Z"}`+"\n"), 0o600))
	code, out, errs = run("-weights", path)
	require.Equal(t, cli.ExitOK, code, errs)
	require.Contains(t, out, "3 items learned")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 5, out)
	require.Regexp(t, `^GTIN\s+NAME\s+SAMPLES\s+MEAN_G\s+SPREAD_G\s+TOL_G\s+CATALOGUE_G\s+IN USE\s+REJECTED\s+UPDATED$`, lines[1])
	require.Regexp(t, `^05000112637922\s+Cola 330ml\s+7\s+390\.1\s+0\.5\s+8\s+355 ±15\s+learned 390 ±8\s+0\s+2026-11-23T10:00:00Z$`, lines[2])
	require.Regexp(t, `^05449000000996\s+Water 1\.5l\s+3\s+1561\.0\s+0\.0\s+8\s+1560 ±20\s+catalogue \(3/5 samples\)`, lines[3])
	require.Regexp(t, `^09999999999994\s+-\s+5 .*no: not in the catalogue`, lines[4])

	require.NoError(t, os.WriteFile(filepath.Join(dir, "data", "weights.jsonl"), []byte("nope\n"), 0o600))
	code, _, errs = run("-weights", path)
	require.Equal(t, cli.ExitError, code)
	require.Contains(t, errs, "kioskd: learned weights: "+filepath.Join(dir, "data", "weights.jsonl")+":1: ")
}
