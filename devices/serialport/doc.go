// Package serialport is the serial transport under the scanner and scale
// drivers: it opens a port by path (or finds it by USB VID:PID[:serial])
// with full line settings, and keeps it open.
//
// A Port survives unplugging. A read or write error on an open port (a
// pseudo-terminal closed, a USB adapter pulled: EIO or PortClosed from
// go.bug.st/serial) marks the port lost: Read returns an error wrapping
// ErrLost once, so the driver can drop a half-received frame, a
// devices.ConnEvent with Up false is sent on Conn, and a goroutine reopens
// the port with exponential backoff. When it is back, Conn gets Up true
// and Read resumes. A read timeout from go.bug.st/serial ((0, nil)) is
// never passed up as data: Read blocks until there is at least one byte,
// and ReadWithin reports ErrTimeout.
//
// Close is idempotent and unblocks readers.
package serialport
