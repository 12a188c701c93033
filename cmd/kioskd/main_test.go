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
	require.Contains(t, out, "ok: "+path+": store s1 lane 3 zone front")
	require.Contains(t, out, "(1 items)")
	require.Contains(t, out, "scale nci /dev/ttyUSB1")
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
