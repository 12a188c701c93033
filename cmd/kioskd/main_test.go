package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMainImplArguments(t *testing.T) {
	var out, errs bytes.Buffer
	for args, want := range map[string][]string{
		"no config":        nil,
		"stray argument":   {"-config", "x.yaml", "extra"},
		"bad flag":         {"-colour"},
		"bad log format":   {"-config", "x.yaml", "-log-format", "xml"},
		"bad log level":    {"-config", "x.yaml", "-log-level", "loud"},
		"missing config":   {"-config", filepath.Join(t.TempDir(), "nope.yaml")},
		"missing to check": {"-check-config", filepath.Join(t.TempDir(), "nope.yaml")},
	} {
		err := mainImpl(want, &out, &errs)
		require.Error(t, err, args)
	}
	require.ErrorContains(t, mainImpl(nil, &out, &errs), "-config lane.yaml is required")
	require.ErrorContains(t, mainImpl([]string{"-config", "x.yaml", "-log-format", "xml"}, &out, &errs), `-log-format: "xml" is not text or json`)
	require.ErrorContains(t, mainImpl([]string{"-config", "x.yaml", "extra"}, &out, &errs), `unexpected argument "extra"`)
	require.ErrorContains(t, mainImpl([]string{"-check-config", "/nonexistent/lane.yaml"}, &out, &errs), "lane.yaml")
}

func TestCheckConfigOK(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "catalog.csv"), []byte("gtin,name,price_cents,weight_g,tolerance_g,flags\n5000112637922,Cola 330ml,89,355,15,\n"), 0o600))
	path := filepath.Join(dir, "lane.yaml")
	require.NoError(t, os.WriteFile(path, []byte("store: s1\nlane: \"3\"\nzone: front\ncatalog: catalog.csv\nscanner: {port: /dev/ttyUSB0}\nscale: {port: /dev/ttyUSB1}\n"), 0o600))
	var out, errs bytes.Buffer
	require.NoError(t, mainImpl([]string{"-check-config", path}, &out, &errs))
	require.Contains(t, out.String(), "ok: "+path+": store s1 lane 3 zone front")
	require.Contains(t, out.String(), "(1 items)")
	require.Contains(t, out.String(), "scale nci /dev/ttyUSB1")
}
