// Package daemon runs one self-checkout lane: it wires the lane engine
// (package kiosk) to the scanner, bagging scale, light and help button,
// the crash-safe journal, the MQTT broker and the shopper screen.
//
// One goroutine owns the engine. Device readings, button presses, local
// API requests and MQTT messages are handed to it over channels (MQTT
// handlers never block: messages go through an unbounded inbox). After
// each event the daemon hands the session snapshot and the messages the
// event produced to the outbox (kiosk/outbox), which journals them in one
// synced transaction and only then publishes them; the shopper is
// answered after the commit. The outbox delivers in order with QoS 1 and
// forgets each message on PUBACK, so alerts raised while the broker is
// unreachable are delivered when it returns, also after a restart; a
// newly raised alert goes out while its commit is being written. The
// weights the engine learns (Effects.Learned) are kept apart, in
// data_dir/weights.jsonl (ReadWeights, kioskd -weights).
//
// A step whose commit fails (disk full, read-only, I/O error) is rolled
// back and never shown; the lane goes out of service with a device_fault
// alert, sent without the journal (Outbox.Send), until a write succeeds
// again (fault.go).
//
// A finished session's checkout joins the commit that ends the session,
// for lane/{lane}/checkout. The local API serves the lane's Prometheus
// metrics on GET /metrics (metrics.go), from a registry of the daemon's
// own.
//
// cmd/kioskd is a thin main around Run; the simulator runs lanes
// in-process with the same code.
package daemon
