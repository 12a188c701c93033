// Package report computes the store's intervention report from the
// bridge's records (attendant.Intervention, attendant.Checkout): checkouts
// and interventions per 100 checkouts; per alert kind the count, the
// shares fixed by the shopper, that needed an attendant and resolved
// remotely, the median and 90th percentile of the times to claim, to
// arrive and to resolve, and the mean escalation depth; the ten items
// causing the most interventions; the same per lane; and per attendant
// their claims, time to claim and time on site.
//
// Compute is pure (records in, Report out) so that the bridge's report
// (attendant-bridge report, reading bridge.db) and a simulated store
// compute their numbers with the same code; Write renders a Report as
// text, CSV or JSON.
package report
