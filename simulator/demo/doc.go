// Package demo is `kiosk-sim demo`: a small store running by itself. It
// starts a simulated store (embedded broker, attendant bridge, lanes on the
// real daemon code with virtual devices, virtual attendants), sends random
// shoppers to every lane, and prints what happens as it happens: alerts,
// who was paged, who claimed, time to claim and time to resolve.
//
// The bridge also serves the attendant app (Opts.Web): the demo prints its
// address and every roster entry's PIN (PIN), so a person joins from a
// browser as one more attendant, either as one of the virtual ones or as
// an extra roster entry that nobody plays (Opts.Extra, ParseAttendant).
//
// With Opts.ACL (kiosk-sim demo -acl), the test mode for pager-app makers,
// the store runs on a real Mosquitto (internal/mosquittoproc) set up from
// the shipped files (scripts/mosquitto.Files) in a temporary directory:
// the shipped add-user.sh makes every login, and the shipped sco.conf
// runs with its paths moved there (brokerConf), so the broker enforces
// exactly a store's ACL and passwords. Every part logs in as itself
// (harness.Opts.Logins); the demo prints a random password for every
// roster entry, each of Opts.Logins (pager logins not on the roster) and
// a read-only watcher, and stops Mosquitto by its pid when it ends.
//
// At the end it stops the bridge before the virtual pagers (their wills
// then escalate nothing) and prints a summary: the store's report
// (attendant/report's text, as attendant-bridge report prints it) over the
// intervention records and checkouts the bridge kept during the run
// (harness.Store.History), so simulated and real numbers come from the
// same records and the same code; then the alerts still open at stop,
// which have no record yet.
package demo
