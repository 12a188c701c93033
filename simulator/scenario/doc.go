// Package scenario scripts a shopper (and the attendants who answer) and
// states what must happen, so that `kiosk-sim run scenario.yaml` is both a
// rehearsal of a lane and a test that passes or fails with a clear report.
//
// A scenario file is YAML:
//
//	name: bag-timeout
//	description: the shopper scans a cola and never bags it
//	policy: {bag_timeout: 1s, bag_prompts: 1}   # lane policy overrides
//	pagers:
//	  - {id: ana, claim_after: 200ms, resolve: approve, resolve_after: 200ms}
//	steps:
//	  - scan: "5000112637922"
//	  - expect: {alert: bag_timeout}
//	  - expect: {paged: ana}
//	  - expect: {state: shopping}
//	  - finish: true
//	expect:
//	  alerts: [bag_timeout]
//	  paged: [ana]
//	  state: idle
//	  items: 1
//
// Steps run in order. Shopper steps act on the virtual devices or the
// lane's local API; expect steps wait (up to `within`, default 10 s) for
// something to happen. The final expect block is checked after the last
// step.
package scenario
