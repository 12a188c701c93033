// Package mosquitto is the store's Mosquitto set-up: the conf.d snippets
// sco.conf and sco-tls.conf, the ACL and add-user.sh, documented in
// docs/protocol.md ("Broker, users and ACL") and README.md. Its only Go
// is Files, those files embedded, for commands that run a broker with
// exactly the shipped rules (kiosk-sim demo -acl).
//
// Its tests run those documented steps literally, block by block as the
// docs show them, against a real Mosquitto started from a copy of
// Debian's stock main config in a temporary directory, then log in as a
// lane, the bridge and a pager (and a pager's second handheld) and check
// that each may publish and read exactly what the ACL allows, that nobody
// can push the bridge off with its client id, and that a failed connect
// says why.
//
// store_test.go goes on to a store IT person's first hour: README's
// steps in order (the broker, a lane on `kiosk-sim devices`, the bridge
// of docs/bridge.md, a terminal pager), run literally with the server's
// paths and ports moved into a temporary directory; a help press on the
// lane pages the pager, whose claim reaches the lane ("Ana is on the
// way.") and whose resolution closes the alert. Every program it starts
// is stopped by its pid, on failure too.
package mosquitto
