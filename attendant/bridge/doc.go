// Package bridge runs the store's attendant bridge: it wires the pure
// dispatcher (package attendant) to the MQTT broker and to a crash-safe
// store in data_dir, as kiosk/daemon wires the lane engine to its
// devices, journal and broker.
//
//   - Config (LoadConfig, ParseConfig) is bridge.yaml: the dispatcher's
//     attendant.Config (store, roster, escalation, zones, limits),
//     inline, and the broker, data_dir, the web: block (web.Config of
//     package attendant/web, which serves the app), metrics_listen and
//     history.
//     Unknown keys are an error; relative paths are relative to the
//     file (LoadConfig); Warnings is what -check-config adds.
//     docs/bridge.md documents every key.
//   - Store keeps the dispatcher's State in data_dir/bridge.db (bbolt);
//     a save writes the dispatcher's Changes in one synced transaction.
//     It also keeps the ids that have a retained profile, and the
//     history: the intervention records of closed alerts, keyed by time,
//     written by the save that closes each alert and pruned beyond the
//     config's history (History, Prune). ReadHistory reads it for
//     attendant-bridge report without changing anything: from the
//     running bridge, which answers on a Unix socket in data_dir
//     (bridge.db is locked while it runs), else from bridge.db opened
//     read-only.
//   - Bridge is the thin MQTT layer: New opens the store and restores the
//     open alerts, Run connects and runs until its context is done, Close
//     stops it. One goroutine owns the dispatcher; paho's handlers only
//     queue, in an inbox that is fair by source (control first, then a
//     turn of each lane, then of each pager, each source bounded), so one
//     pager's flood neither grows the bridge nor delays the lanes.
//     Another goroutine saves, and every effect but an alert's first page
//     is published only once its state is on disk. On every connect the
//     bridge publishes each roster entry's retained profile.
//   - Metrics (metrics.go): the bridge's Prometheus metrics, in a
//     registry of its own: served on metrics_listen when set
//     (MetricsAddr), and after the attendant app's own on its /metrics
//     (WriteMetrics, web.Opts.Metrics). An alert's times and outcome are
//     counted when it closes, from its intervention record.
//   - In-process devices act through Bridge.Do, which runs a function on
//     the dispatcher's goroutine and applies its effects as those of an
//     MQTT message.
//   - WebBackend is the attendant app's web.Backend (Bridge.Web): a web
//     attendant's presence, commands and the console's actions go to the
//     dispatcher as an MQTT pager's would, and what the app shows comes
//     from the effects the bridge publishes and the dispatcher's views,
//     handed over by the saver after they are published. With a web:
//     block, Run serves the app (package attendant/web) on web.listen,
//     TLS from cert_file and key_file, with the bridge's metrics after
//     the app's on /metrics, and stops it when it stops.
//
// cmd/attendant-bridge is a thin main around Run; the simulator runs the
// bridge in-process with the same code.
package bridge
