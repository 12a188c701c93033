// Package quality measures how often a lane cries wolf, and whether it
// still catches what it must (kiosk-sim quality, docs/benchmarks.md).
//
// Run plays thousands of checkouts in virtual time against the real lane
// engine (package kiosk) and the real NCI reply parser (devices/scale),
// fed by a realistic virtual scale (simulator/vdev Physics: each change
// settles in 200-900 ms, readings wander by up to ±30 g while moving, sit
// within one 2 g division of the load at rest, and read exactly zero
// when empty), polled every 100 ms. The engine is driven by event
// timestamps, so an hour of shopping takes milliseconds.
//
// Clean shoppers do everything right in their own way: quick hands (the
// next item scanned and put down before the scale settled), two items
// put down at once, their own bag (put down before the first scan,
// announced with the button, or announced when the lane calls it
// unexpected), heavy packs left in the trolley with skip bagging, loaves
// of unknown weight, age-restricted bottles, and a catalogue with three
// weights 5-10% off. They react to the screen as people do (put the item
// down when asked, take off what does not belong when the weight does
// not match) and wait when an attendant is called; the attendant comes
// 20-60 s later and approves. Every alert a clean checkout raises, but
// the age check, is a false alert.
//
// Dishonest shoppers shop cleanly, then plant one fault (Faults) and
// wait: the report gives the share that raised the right alert.
//
// Each lane keeps what it learns from checkout to checkout; lanes run in
// parallel on their own seeded random sources, so a report depends on
// Opts alone.
package quality
