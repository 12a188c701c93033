// Package outbox is the lane's crash-safe local store (data_dir/lane.db):
// the session snapshot and the queue of MQTT messages waiting for the
// broker, written together in one synced bbolt transaction.
//
// It is kept out of package kiosk so that the engine imports no storage
// (nor anything else that does I/O).
package outbox
