//go:build !linux

package mosquittoproc

import "syscall"

// sysProcAttr puts the broker in its own process group, so that a Ctrl-C
// on the terminal reaches the caller alone.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
