// Package pagerclient is the reference pager: one attendant's MQTT
// session with the attendant bridge, as docs/protocol.md describes it.
//
// Client publishes the attendant's retained presence (with a last will
// saying offline, re-published on every reconnect), receives pages and
// withdrawals on pager/{id}/page (and broadcast pages while the bridge is
// away), sends claim, release and resolve commands on pager/{id}/cmd and
// matches each result on pager/{id}/result to the command it answers.
// Everything it hears is delivered, in order, on Events.
//
// Model is the pure state of a pager screen (numbered pages, what is
// pending, who claimed what) and UI the line-oriented terminal front end
// of cmd/pager built on it. simulator/vpager drives a Client with scripted
// behaviour instead of a keyboard.
package pagerclient
