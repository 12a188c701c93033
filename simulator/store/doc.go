// Package store is kiosk-sim store: how long a stuck shopper waits for a
// person, and how many attendants a floor needs (docs/simulator.md).
//
// A Floor (YAML) describes the store: zones and the walks between them,
// lanes per zone, the roster, shoppers per lane per hour, how often each
// kind of trouble happens per checkout, how long an attendant takes to
// notice a page, how long each kind takes to resolve on site, and which
// kinds the handheld resolves without walking. RunShifts plays shoppers
// and attendants as agents against the real attendant.Dispatcher on a
// virtual clock (the dispatcher takes every event's time, so a shift
// runs in milliseconds, and the same seed gives the same numbers), and
// pools several shifts so that the tail percentiles are the floor's.
// Sweep plays each staffing level under each tier-1 rule (the bridge's,
// attendant.RouteWalk, and zone-only routing, attendant.RouteZone) on
// the same troubles, for docs/benchmarks.md's comparison.
package store
