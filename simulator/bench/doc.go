// Package bench measures the store end to end: how long a shopper's
// failing scan takes to become an alert on the broker and a page on an
// attendant's handheld, and how that compares with the broker's own round
// trip.
//
// Run starts a simulated store (simulator/harness: a broker, the real
// attendant bridge, N lanes running the real kioskd daemon code against
// virtual scanners and scales on pseudo-terminals, M virtual pagers),
// drives shoppers into unknown_item alerts at a given rate, and returns a
// Report with p50/p95/p99/max of
//
//   - scan written to the pty -> alert received from the broker,
//   - alert received -> page received by the pager,
//   - the whole chain, scan -> page,
//
// the raw broker hop (publish -> receive, same QoS and payload size),
// measured in the same run, and counts proving nothing was lost and no
// attendant was paged twice for an alert at one tier. Each pager resolves
// its page with "clear", which frees the lane for its next alert; the
// bridge's per-pager rate limit is lifted, as the pagers are load
// generators, not people.
//
// kiosk-sim bench is the command line; docs/benchmarks.md has the results.
// Package footprint, below this one, measures what one kioskd process
// costs (kiosk-sim footprint).
package bench
