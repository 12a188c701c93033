// Package attendant is the store's attendant dispatcher: it turns a
// lane's alert into a page on the handheld of the nearest free attendant
// allowed to handle it, escalates when nobody claims it, arbitrates
// claims, and carries the attendant's resolution back to the lane as a
// command.
//
// It is the pure core of the bridge, as package kiosk is the lane's: no
// goroutines and no I/O (no MQTT, no disk, no config file).
//
//   - Config is the store, the roster (ids, names, zones, roles), the
//     escalation ladder, the walking times between zones and the limits;
//     Validate applies the defaults.
//   - Dispatcher holds the roster, presence (per device), open alerts,
//     tiers, claims, resolutions and the supervisors' lane commands. It
//     is fed events with their times (Handle, LaneAlert, LaneState,
//     Presence, PagerCmd, LaneResult, Tick; EscalateNow for the
//     console) and
//     returns Effects; NextDeadline says when to Tick. It enforces the
//     pager protocol's rules: the order of errors, rate limits, stale
//     commands, ids, alert ownership, bounded memory; Profiles are the
//     retained profiles the bridge publishes.
//   - State is what must survive a restart (Restore, State); Changes is
//     what changed since the last save.
//   - Intervention is the record of one alert from raise to close (who
//     was paged at which tier, claims, arrival, outcome, escalation
//     depth): built up in the alert's state (AlertState.Log) and emitted
//     when it closes, in Effects.Interventions and in the next Changes,
//     so that the bridge keeps it with the save that closes the alert.
//
// The running bridge (MQTT, the store in data_dir, bridge.yaml) is
// package attendant/bridge. The MQTT contract both speak is package
// protocol and, for pager app developers and store IT, docs/protocol.md.
package attendant
