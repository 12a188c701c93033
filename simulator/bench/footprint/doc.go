// Package footprint measures what one lane costs: a real kioskd process's
// start-up time to ready (GET /api/state answering), its resident memory
// and its CPU while idle and during a busy session, read from /proc.
//
// Run hosts the lane's world itself (an embedded broker, a virtual scanner
// and NCI scale on pseudo-terminals, the demo catalogue) so that only
// kioskd is measured, and prints one line per measure. kiosk-sim
// footprint is the command line and scripts/footprint.sh builds kioskd
// and runs it; docs/benchmarks.md has the results.
package footprint
