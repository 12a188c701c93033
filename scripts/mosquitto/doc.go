// Package mosquitto is the store's Mosquitto set-up, not Go code: the
// conf.d snippets sco.conf and sco-tls.conf, the ACL and add-user.sh,
// documented in docs/protocol.md ("Broker, users and ACL") and README.md.
//
// Its tests run those documented steps literally, block by block as the
// docs show them, against a real Mosquitto started from a copy of
// Debian's stock main config in a temporary directory, then log in as a
// lane, the bridge and a pager and check that each may publish and read
// exactly what the ACL allows, that nobody can push the bridge off with
// its client id, and that a failed connect says why.
package mosquitto
