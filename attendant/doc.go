// Package attendant is the store's attendant bridge: it turns a lane's
// alert into a page on the handheld of the nearest free attendant allowed
// to handle it, escalates when nobody claims it, arbitrates claims, and
// carries the attendant's resolution back to the lane as a command.
//
// The MQTT contract it speaks is in the protocol subpackage and in
// docs/protocol.md.
package attendant
