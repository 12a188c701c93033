//go:build !linux

package bench

import "syscall"

// sysProcAttr puts a child in its own process group, so that a Ctrl-C on
// the terminal reaches the bench alone, which then stops the children in
// order.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

const sigTerm = syscall.SIGTERM
