// Package pagerclient is the reference pager: one attendant's MQTT
// session with the attendant bridge, as docs/protocol.md describes it.
//
// Client follows the document's reconnect recipe: a clean session; on
// every connect it subscribes (profile, pages, results, alert records,
// bridge state, broadcast pages), publishes the presence of its device
// (retained, with a seq that grows across restarts; the will is the same
// object saying offline), and sends again, unchanged, every command the
// bridge has not answered. It does the same when the bridge comes back
// (a new online ts on bridge/state). It sends claim, release (or
// decline), resolve, arrive and lane commands and matches each result to
// the command it answers. Everything it hears is delivered, in order, on
// Events; EvSynced, a short while after each connect, says whether the
// bridge has a profile of the attendant (none: not on the roster).
// DeviceName keeps a device name per install.
//
// Model is the pure state of a pager screen (numbered pages, the
// actions each offers, what is pending, who claimed what, the profile)
// and UI the line-oriented terminal front end of cmd/pager built on it.
// simulator/vpager drives a Client with scripted behaviour instead of a
// keyboard.
package pagerclient
