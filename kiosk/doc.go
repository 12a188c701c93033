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
// weight ± tolerance (the catalogue's weight_g and tolerance_g, or
// DefaultToleranceG, or the learned ones: see Learned weights); an item of
// unknown weight (weight_g 0, not learned) takes any gain above
// DefaultToleranceG; an item no heavier than its tolerance cannot be told
// from no change and is accepted at once. One scan made while an item is
// pending (quick hands, or a scale still settling) is held and scanned as
// soon as the pending item is accepted or voided; further scans are
// refused until then.
//
// Quick hands. When the held item lands before the scale settled on the
// pending one, a settled gain that matches the sum of their weights
// (within the sum of their tolerances) accepts both, the held scan
// joining the basket already bagged, the gain shared in proportion; when
// one of the two has no known weight, a gain holding the other one's
// weight and more than the tolerance besides is both (the rest is the one
// of unknown weight). The sum wins over the pending item alone; when the
// pending item alone would have fitted too (a light held item, or a
// pending one of unknown weight), the held item may still be on its way:
// LateHeld remembers it until the next scan, and its weight arriving next
// is that item, not an unexpected one.
//
// Waiting for the weight. Each BagTimeout
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
// Own bag. EvOwnBag (the shopper's "I'm using my own bag") arms the
// lane: the next settled gain of more than SettleToleranceG and at most
// OwnBagMaxG that the pending item (or quick hands) does not explain is
// the shopper's bag and joins the baseline, without a prompt (a bag
// lighter than DefaultToleranceG too, so that it does not ride into the
// next item's weight); "Please place your bag in the bagging area."
// shows meanwhile (not a nudge). A bag already down when the button is
// pressed is taken at once and the alert it raised, if any, is
// cancelled: an unexpected gain of at most OwnBagMaxG, or a wrong weight
// for the pending item (lighter than the item: the bag alone; heavier:
// the item in the bag, both taken, the bag being the rest, at most
// OwnBagMaxG). At an idle lane, or one out of service, the press is
// refused and changes nothing: idle, a bag is part of the bagging area
// anyway. The announcement lasts until a bag is taken, the session ends,
// or a scan comes with the scale settled at the baseline (no bag came).
//
// Skip bagging. EvSkipBag with an item waiting for its weight (a crate of
// water left in the trolley) accepts it without weight at once, up to
// SkipBagLimit times a session; its alert, if it has one, is cancelled.
// Beyond the limit it raises skip_bag (attempts: the skips asked for this
// session) and the item waits for the attendant's approve (accepted
// without weight) or void, or for its weight after all. With no item
// waiting, or out of service, it is refused and changes nothing; no_bag
// items never wait, so they never need it.
//
// Unrecognised scans. UnknownItemAttempts unrecognised scans in a row
// (catalogue error: bad check digit, not listed, unsupported symbology)
// raise unknown_item; each earlier one prompts "Item not recognised.
// Please scan it again."; a recognised item resets the count and cancels
// an open unknown_item.
//
// Learned weights. Every accepted placement of an item teaches the lane
// one sample of its GTIN's weight, an attendant's approve of a
// bag_timeout or weight_mismatch (with the scale settled, and no scan
// held that might be on the scale too) LearnApproveWeight samples of one
// weighing; the running mean and spread are kept per GTIN (Learned). A
// sample farther from the learned mean than twice the learned tolerance,
// or, before LearnMinSamples, farther from the catalogue weight than
// three tolerances and a quarter of the weight (for an item of unknown
// weight: from the mean so far by half of it), is an outlier and is not
// learned; LearnMinSamples outliers in a row that agree with each other
// replace a learned entry (the product changed). From LearnMinSamples
// samples on, the learned mean and tolerance (LearnSpreads spreads, the
// spread taken at the upper bound of what the weighings so far allow, at
// least LearnMinToleranceG) replace the catalogue's where they are
// tighter, where the catalogue has no weight, or where the catalogue's
// range does not hold the learned mean (a wrong catalogue weight), unless
// the learned range reaches down to DefaultToleranceG (Learned.Use), for
// every rule that weighs an item. Variable-measure and no_bag items,
// gains within DefaultToleranceG, skipped items, quick hands, and a gain
// taken for an item of unknown weight while a scan is held teach nothing.
// The table is not session state: SetLearned hands it in,
// Effects.Learned hands each updated entry out, and the daemon keeps it
// in data_dir.
//
// Age, help, devices. An age_restricted item raises age_check at once (one
// per session until age_ok); scanning goes on. Help raises help at once;
// the shopper cancelling it cancels the alert. A help press within
// HelpDebounce of a help the shopper cancelled pages nobody: it is
// refused, and the prompt says to press again in a moment. A device lost
// (EvConn) for DeviceGrace, or a scale that keeps answering with
// not-ready, fault, over-capacity or under-zero readings for DeviceGrace
// (without one weight reading between), raises device_fault (one per
// device); the device coming back cancels it.
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
// bagging area, one per open alert kind, and who is coming: "<Name> is
// here." once the attendant arrived, "<Name> is on the way, about 40 s."
// once they claimed (the assist's eta_s; without it, "<Name> is on the
// way."), "Help is on the way." while paged, "An attendant has been
// called." before that.
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
