// Package harness starts a whole simulated store in one process: an
// embedded broker (or a named one), the attendant bridge, lanes running
// the real kioskd daemon code against virtual scanners and scales on real
// pseudo-terminals, and virtual attendants on pagers. An Observer listens
// to every message of the store and timestamps it, so scenarios can wait
// for what must happen and the demo and benchmarks can measure it. With
// Opts.Web the bridge also serves the attendant app (Store.WebURL).
// Store.History reads the bridge's own intervention records and checkouts,
// and Store.Report computes the store's report from them with package
// attendant/report, as attendant-bridge report does for a real store.
//
// With Opts.Logins every part logs in as itself, as in a real store (the
// bridge as bridge, lane N as lane-N, each virtual pager as its
// attendant id, the Observer read-only as ObserverLogin), for a broker
// that enforces the shipped ACL.
//
// kiosk-sim run, demo and bench are built on it.
package harness
