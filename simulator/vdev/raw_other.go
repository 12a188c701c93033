//go:build !linux

package vdev

import (
	"errors"
	"os"
)

// makeRaw is only implemented on Linux, where the simulator runs.
func makeRaw(*os.File) error {
	return errors.New("vdev: raw pseudo-terminals are only supported on linux")
}

func pollable(f *os.File) (*os.File, error) { return f, nil }
