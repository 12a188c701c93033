// Package vdev provides virtual serial devices for the simulator: a
// barcode scanner and a bagging-area scale that live on real
// pseudo-terminals and speak the vendors' protocols byte for byte.
//
// Each device owns the master side of a pty and exposes a stable Path (a
// symbolic link in a directory it controls) that kioskd opens exactly as it
// opens /dev/ttyUSB0. Unplug closes the master, so the driver sees the
// hang-up a USB adapter gives, and removes the link; Replug opens a fresh
// pty and re-points the link, so a driver that reopens by path finds the
// device again.
//
// VirtualScale answers the NCI Standard Scale Protocol, Mettler Toledo 8217
// and MT-SICS. Its Physics is a pure model with an injected clock and
// seeded noise: a placed item makes the weight move for a settle time
// before it becomes stable. Faults (over capacity, cannot zero, mute,
// garbage, unplug) are switched on demand, so scenario steps can drive
// the real drivers through every path.
package vdev
