// Package kiosk is the lane engine: a deterministic state machine that
// keeps one self-checkout lane's session, notices when the shopper is stuck
// (unrecognised item, the bagging loop, weight mismatch, unexpected item,
// item removed, age-restricted item, help, device fault), nudges first and
// raises an alert when nudging is not enough.
//
// The engine is fed events (scan, scale reading, device connection change,
// help, finish, attendant command, clock tick) and returns effects (prompt,
// light pattern, alert raised or cancelled, state to publish, scanner
// enable or disable). Time comes from the events; the core has no
// goroutines and no I/O, and imports no storage, MQTT, YAML, serial, GPIO
// or HTTP library (TestEngineImportsNoIO checks it). kiosk/daemon wires it
// to the devices, the journal and outbox (kiosk/outbox), the local API and
// MQTT; kiosk/laneconfig reads the lane config. The package also holds the
// CSV catalogue (CSVCatalog).
//
// # Rules
//
// Thresholds are the Policy fields (the lane config's policy: block).
//
// Session. A session starts at the first scan (recognised or not) and ends
// with finish. Finish is refused, with the reason in the prompt and in
// Effects.Refused, while an age_check is open, while any other alert is
// open, while an item waits for its weight, or while the bagging area
// shows an unexpected item or a removed one.
// A finish that ends the session gives its checkout (Effects.Checkout:
// items, total, first scan, finish, alerts raised during the session),
// which the daemon publishes on lane/{lane}/checkout. Effects.Scans and
// Effects.Prompts tell the daemon's metrics what became of each scan
// and which nudges were shown.
//
// Weight. Only settled weights count: SettleReadings consecutive stable
// (or zero) readings within SettleToleranceG of each other settle at the
// last of them; the same run does not settle again. Unstable, not-ready,
// over-capacity, under-zero and fault readings break the run and never
// count. The baseline is the last accepted bagging-area weight: the weight
// when an item's expected gain was matched, or when an attendant approved;
// while idle it follows the scale. A settled weight within
// DefaultToleranceG of the baseline is no change.
//
// Scanned item. A recognised item joins the basket at once. Unless it is
// no_bag it becomes the pending item: it expects a settled gain of
// weight_g ± tolerance (the catalogue's, or DefaultToleranceG); an item of
// unknown weight (weight_g 0) takes any gain above DefaultToleranceG; an
// item no heavier than its tolerance cannot be told from no change and is
// accepted at once. One
// scan made while an item is pending (quick hands, or a scale still
// settling) is held and scanned as soon as the pending item is accepted or
// voided; further scans are refused until then. Each BagTimeout
// without the gain prompts "Please place the item in the bagging area."
// (attention); the expiry after BagPrompts prompts raises bag_timeout
// (with the defaults: prompts at 10 s and 20 s, alert at 30 s). A settled
// gain outside the tolerance prompts a mismatch; the MismatchAttempts-th
// distinct wrong weight for the item raises weight_mismatch. An item has
// at most one open alert; the right weight arriving accepts the item and
// cancels it.
//
// Bagging area. With no item pending, a settled gain beyond the tolerance
// prompts "Unexpected item in the bagging area. Please remove it." and a
// loss prompts "Item removed from the bagging area. Please put it back.";
// still there after UnexpectedGrace / RemovedGrace, they raise
// unexpected_item / item_removed. The weight coming back to the baseline
// cancels; a change of sign replaces one with the other.
//
// Unrecognised scans. UnknownItemAttempts unrecognised scans in a row
// (catalogue error: bad check digit, not listed, unsupported symbology)
// raise unknown_item; each earlier one prompts "Item not recognised.
// Please scan it again."; a recognised item resets the count and cancels
// an open unknown_item.
//
// Age, help, devices. An age_restricted item raises age_check at once (one
// per session until age_ok); scanning goes on. Help raises help at once;
// the shopper cancelling it cancels the alert. A device lost (EvConn) for
// DeviceGrace, or a scale that keeps answering with not-ready, fault,
// over-capacity or under-zero readings for DeviceGrace, raises
// device_fault (one per device); the device coming back cancels it.
//
// Alerts and the scanner. Every kind but age_check blocks: while such an
// alert is open, Effects.Scanner disables the scanner and scans are
// refused (a recognised scan still cancels a lone unknown_item, for
// scanners that cannot be disabled). Alert ids come from
// EngineConfig.NewID and severity from protocol.SeverityOf.
//
// Commands. A command must name an open alert and an action
// protocol.Allowed for its kind; otherwise it is answered ok:false with
// the reason (unknown alert, already resolved, already cancelled, action
// does not apply). A command id seen before gets its first answer again
// and changes nothing. approve accepts the pending item or the bagging
// area as it is; void removes the pending item, or for item_removed the
// bagged item whose weight best matches the loss; age_refused voids every
// age-restricted item (their weight leaves the baseline); clear closes the
// alert (for unexpected_item it also accepts the bagging area);
// out_of_service closes the lane (its shopper timers wait) and in_service
// opens it again, restarting them. Resolving one alert cancels nothing
// else, but an alert about an item that gets voided is cancelled.
//
// State and light, by priority: out_of_service (red); assist, any alert
// open (yellow_flash); attention, a nudge is showing (yellow); shopping
// (green); idle (green). An open device_fault makes the light red_flash
// whatever the state. See LightFor.
//
// Prompt. The sentences that apply, in order: the one-off notice, the
// bagging area, one per open alert kind, and who is coming: "<Name> is on
// the way." once an attendant claimed, "Help is on the way." while paged,
// "An attendant has been called." before that.
//
// Crash safety. Snapshot holds the whole state; the daemon journals it
// (synced) after every Effects.Changed, before publishing or showing
// anything, and Restore resumes it after a restart. The first event after
// Restore is EvStart: the shopper's timers (bag_timeout and its prompts,
// the unexpected and removed graces) start afresh from it, so the
// downtime is never counted as prompting, and the device timers wait for
// the drivers to report again. When the daemon cannot journal it tells
// the engine (EvJournal): the lane is closed to the shopper, with a
// device_fault alert, until it can.
package kiosk
