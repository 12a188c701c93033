package bench

import "syscall"

// sysProcAttr puts a child in its own process group, so that a Ctrl-C on
// the terminal reaches the bench alone (which then stops the children in
// order), and has the kernel send it SIGTERM should the bench die
// without stopping it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

const sigTerm = syscall.SIGTERM
