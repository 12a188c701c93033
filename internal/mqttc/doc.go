// Package mqttc builds paho MQTT client options from the `mqtt:` block
// shared by the lane and bridge configs: broker URL (tcp://, ssl://,
// ws://, wss://), username and password (inline or from a file), and TLS
// with a CA and an optional client certificate for mutual TLS. TLS files
// or insecure_skip_verify with a clear-text scheme are an error, never a
// silent clear-text connection. Config.YAML writes the block back, for
// the configs the simulator generates for its kioskd and bridge.
//
// It also fixes the connection habits every daemon here needs: MQTT 3.1.1,
// automatic reconnect with a capped backoff, a persistent session (clean
// session off) so QoS 1 messages queued while a daemon is away are
// delivered when it returns, subscriptions made in the on-connect handler
// (paho does not restore them by itself when a new session is created),
// and the username as client id (Config.ClientID), as the store's
// Mosquitto enforces.
//
// A Reporter makes connecting visible: paho retries a failed connect for
// ever without a word, so kioskd, the bridge and the terminal pager watch
// their options with one, which logs every failure's reason (Reason: not
// authorised, refused, unreachable, TLS) at once and then at most once
// every 30 s, and every attempt at debug level.
package mqttc
