package mosquittoproc

import "syscall"

// sysProcAttr puts the broker in its own process group, so that a Ctrl-C
// on the terminal reaches the caller alone, and has the kernel send it
// SIGTERM should the caller die without stopping it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
