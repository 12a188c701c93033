// Package kiosk is the lane engine: a deterministic state machine that
// keeps one self-checkout lane's session, notices when the shopper is stuck
// (unrecognised item, the bagging loop, weight mismatch, unexpected item,
// item removed, age-restricted item, help, device fault), nudges first and
// raises an alert when nudging is not enough.
//
// The engine is fed events (scan, scale reading, device connection change,
// help, finish, attendant command, clock tick) and returns effects (prompt,
// light pattern, alert raised or cancelled, state to publish, scanner
// enable or disable). Time comes from the events; the core has no
// goroutines and no I/O. cmd/kioskd wires it to the devices, the journal,
// the local API and MQTT.
package kiosk
