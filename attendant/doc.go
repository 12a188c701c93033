// Package attendant is the store's attendant bridge: it turns a lane's
// alert into a page on the handheld of the nearest free attendant allowed
// to handle it, escalates when nobody claims it, arbitrates claims, and
// carries the attendant's resolution back to the lane as a command.
//
// It is built in layers, like the lane:
//
//   - Config (LoadConfig) is the bridge.yaml: store, broker, data_dir, the
//     roster (ids, names, zones, roles) and the escalation ladder.
//   - Dispatcher is the pure core: roster, presence, open alerts, tiers,
//     claims and resolutions. It is fed events with their times (Handle,
//     LaneAlert, Presence, PagerCmd, LaneResult, Tick) and returns
//     Effects; NextDeadline says when to Tick. No goroutines, no I/O.
//   - Store keeps the dispatcher's State in data_dir/bridge.db (bbolt).
//   - Bridge is the thin MQTT layer: one goroutine owns the dispatcher,
//     paho's handlers only queue, and every event is persisted before its
//     effects are published.
//
// The MQTT contract it speaks is in the protocol subpackage and, for pager
// app developers and store IT, in docs/protocol.md.
package attendant
