// Package rawtty holds the two pseudo-terminal chores that the virtual
// devices and the test support share: putting a tty in raw mode, so bytes
// pass through as on a serial line, and making a pty master pollable, so a
// pending Read can be interrupted by Close or a deadline.
package rawtty
