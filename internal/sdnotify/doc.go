// Package sdnotify is a dependency-free sd_notify(3) for the daemons'
// systemd units (Type=notify, deploy/systemd): kioskd and
// attendant-bridge call Started once their state is loaded and their
// ports are open, which sends READY=1, and STOPPING=1 when they begin to
// stop. Without $NOTIFY_SOCKET it does nothing.
package sdnotify
