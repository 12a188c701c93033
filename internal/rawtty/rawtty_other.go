//go:build !linux

package rawtty

import (
	"errors"
	"os"
)

// MakeRaw is only implemented on Linux, where lanes and the simulator run.
func MakeRaw(*os.File) error {
	return errors.New("rawtty: raw pseudo-terminals are only supported on linux")
}

// Pollable returns f unchanged on other systems.
func Pollable(f *os.File) (*os.File, error) { return f, nil }
