// Package broker runs an embedded MQTT 3.1.1/5 broker (mochi-mqtt) on a
// loopback or configured address.
//
// It is what `kiosk-sim demo` and `kiosk-sim bench` use when no external
// broker is named, and what the fast tests use. Retained messages never
// expire: mochi's default deletes them after 24 hours, which would silently
// drop a lane's retained state or an open alert in a store that runs for
// days. Production stores run Mosquitto (see docs/); this broker is for
// simulation and tests.
package broker
