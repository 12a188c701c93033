// Package bridge runs the store's attendant bridge: it wires the pure
// dispatcher (package attendant) to the MQTT broker and to a crash-safe
// store in data_dir, as kiosk/daemon wires the lane engine to its
// devices, journal and broker.
//
//   - Config (LoadConfig, ParseConfig) is bridge.yaml: the dispatcher's
//     attendant.Config (store, roster, escalation, zones), inline, and
//     the broker and data_dir. Unknown keys are an error.
//   - Store keeps the dispatcher's State in data_dir/bridge.db (bbolt);
//     a save writes the dispatcher's Changes in one synced transaction.
//   - Bridge is the thin MQTT layer: New opens the store and restores the
//     open alerts, Run connects and runs until its context is done, Close
//     stops it. One goroutine owns the dispatcher and paho's handlers
//     only queue; another saves, and every effect but an alert's first
//     page is published only once its state is on disk.
//
// cmd/attendant-bridge is a thin main around Run; the simulator runs the
// bridge in-process with the same code.
package bridge
