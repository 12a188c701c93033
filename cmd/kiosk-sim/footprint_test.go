package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The measuring itself is tested in simulator/bench/footprint; here only
// the command line.
func TestFootprintArguments(t *testing.T) {
	require.EqualError(t, footprintMain(nil), "footprint: -kioskd is required")
	require.EqualError(t, footprintMain([]string{"-kioskd", "k", "extra"}), `footprint: unexpected argument "extra"`)
	require.ErrorContains(t, footprintMain([]string{"-idle", "soon"}), `invalid value "soon" for flag -idle`)
}
