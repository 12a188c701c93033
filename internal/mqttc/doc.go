// Package mqttc builds paho MQTT client options from the `mqtt:` block
// shared by the lane and bridge configs: broker URL (tcp://, ssl://,
// ws://, wss://), username and password (inline or from a file), and TLS
// with a CA and an optional client certificate for mutual TLS.
//
// It also fixes the connection habits every daemon here needs: automatic
// reconnect with a capped backoff, a persistent session (clean session off)
// so QoS 1 messages queued while a daemon is away are delivered when it
// returns, and subscriptions made in the on-connect handler, because paho
// does not restore them by itself when a new session is created.
package mqttc
