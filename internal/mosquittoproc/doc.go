// Package mosquittoproc runs a real Mosquitto broker as a child process:
// it finds the programs of Debian's mosquitto package (Find), starts the
// broker on a free loopback port from the config the caller writes for
// that port, waits until it accepts connections, and stops it by its pid
// (SIGTERM, then SIGKILL). Run starts it on a config file the caller
// wrote with its own listeners instead. kiosk-sim demo -acl and kiosk-sim
// bench -procs run the store's broker with it, and internal/testsupport
// runs the tests' brokers with it (deploy's and scripts/mosquitto's on
// their own configs).
//
// On Linux the broker is in its own process group (a Ctrl-C on the
// terminal reaches the caller alone, which stops the broker when it is
// done with it) and the kernel sends it SIGTERM should the caller die
// without stopping it.
package mosquittoproc
