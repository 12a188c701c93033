// Package outbox is the lane's state that must not be lost, in one type:
// Outbox owns the crash-safe journal (data_dir/lane.db: the session
// snapshot and the queue of MQTT messages for the broker), publishes the
// queue in order with QoS 1 through a Publisher (a paho client), tracks
// each PUBACK, and sends a newly raised alert while the commit that
// holds it is still being written.
//
// Its promise is "nothing lost, nothing doubled" as far as MQTT allows:
// every committed message reaches the broker, also across broker
// restarts and lane restarts, in commit order; a message is sent again
// only when the connection it went out on was lost before its PUBACK
// (at least once), and receivers deduplicate by id.
//
// Send queues messages without the journal, for what must reach the
// broker while the journal cannot be written. Entries of the journal that
// cannot be sent are set aside at Open (bucket outbox_bad), and failed
// publishes back off, so nothing holds up the queue or a stop.
//
// The daemon calls Open, LoadSnapshot, Start (with its client), Connected
// (from its on-connect handler), Commit (after each engine step), Send,
// Drain and Close. It is kept out of package kiosk so that the engine imports
// no storage or MQTT.
package outbox
