package kiosk

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/protocol"
)

// Engine is one lane's state machine. It is not safe for concurrent use:
// the daemon feeds it from one goroutine.
type Engine struct {
	cfg EngineConfig
	pol Policy
	cat Catalog
	st  Snapshot
	// learned is the learned weight table, by GTIN; not session state
	// (the daemon keeps it, see SetLearned).
	learned map[string]Learned

	// Per-Handle scratch.
	at  time.Time
	eff Effects
}

// NewEngine returns an idle engine. cfg.Policy goes through WithDefaults
// (validate it with Policy.Validate when loading the config). A nil
// cfg.NewID is replaced by random 128-bit hex ids.
func NewEngine(cfg EngineConfig, cat Catalog) *Engine {
	cfg.Policy = cfg.Policy.WithDefaults()
	if cfg.NewID == nil {
		cfg.NewID = randomID
	}
	return &Engine{
		cfg: cfg,
		pol: cfg.Policy,
		cat: cat,
		st:  Snapshot{Version: SnapshotVersion, Lane: cfg.Lane, ScannerOn: true},
	}
}

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// SetCatalog replaces the catalogue (SIGHUP reload). The open session is
// not touched: basket lines keep the item they were scanned as.
func (e *Engine) SetCatalog(c Catalog) { e.cat = c }

// Policy returns the policy in force (with defaults applied).
func (e *Engine) Policy() Policy { return e.pol }

// ScannerEnabled reports whether the scanner should be enabled now. The
// daemon applies it at start and after Restore; later changes come as
// Effects.Scanner.
func (e *Engine) ScannerEnabled() bool { return e.st.ScannerOn }

// Handle feeds one event to the engine and returns what the daemon must
// do. It is the only way the state changes. Timers that are due at ev.At
// fire first, so a late EvTick changes nothing that the next event would
// not have done anyway. Event times are truncated to the millisecond (the
// resolution of the wire and the journal).
func (e *Engine) Handle(ev Event) Effects {
	e.at = ev.At.UTC().Truncate(time.Millisecond)
	e.eff = Effects{}
	before := cloneSnapshot(e.st)

	if ev.Kind == EvStart {
		e.restart() // before any timer can fire on the downtime
	}
	e.fireDue()
	switch ev.Kind {
	case EvTick, EvStart:
	case EvScan:
		e.onScan(ev.Scan)
	case EvReading:
		e.onReading(ev.Reading)
	case EvConn:
		e.onConn(ev.Conn)
	case EvHelp:
		e.onHelp()
	case EvHelpCancel:
		e.onHelpCancel()
	case EvFinish:
		e.onFinish()
	case EvCommand:
		e.onCommand(ev.Command)
	case EvAssist:
		e.onAssist(ev.Assist)
	case EvOwnBag:
		e.onOwnBag()
	case EvSkipBag:
		e.onSkipBag()
	case EvJournal:
		e.onJournal(ev.Err)
	}
	e.weigh()
	if h := e.st.Held; h != nil && e.st.Pending == nil && !e.closed() && !e.blocked() {
		e.st.Held = nil
		e.onScan(*h)
		e.weigh()
	}
	e.rearm()
	e.fireDue() // a condition that began at ev.At with no grace left

	if on := !e.closed() && !e.blocked(); on != e.st.ScannerOn {
		e.st.ScannerOn = on
		e.eff.Scanner = &on
	}
	if !sameSession(&before, &e.st) {
		e.st.Seq++
		e.st.TS = e.at
		e.eff.Changed = true
	}
	return e.eff
}

// State is the lane state, with the basket (never nil: GET /api/state
// always has it). Seq counts changes; TS is the time of the last event
// that changed something.
func (e *Engine) State() protocol.LaneState {
	s := &e.st
	state, light, prompt := e.look()
	ls := protocol.LaneState{
		Store:   e.cfg.Store,
		Lane:    e.cfg.Lane,
		Zone:    e.cfg.Zone,
		Online:  true,
		State:   state,
		Light:   string(light),
		Prompt:  prompt,
		Session: s.Session,
		Items:   len(s.Basket),
		Alerts:  []string{},
		Basket:  make([]protocol.BasketItem, 0, len(s.Basket)),
		Seq:     s.Seq,
		TS:      protocol.At(s.TS),
	}
	for _, l := range s.Basket {
		ls.TotalCents += l.Item.PriceCents
		ls.Basket = append(ls.Basket, protocol.BasketItem{GTIN: l.Item.GTIN, Name: l.Item.Name, PriceCents: l.Item.PriceCents})
	}
	for _, a := range s.Alerts {
		ls.Alerts = append(ls.Alerts, a.Alert.ID)
	}
	if as := s.Assist; as != nil {
		ls.Assist = &protocol.AssistInfo{Alert: as.Alert, Attendant: as.Attendant, Name: as.Name, Status: as.Status}
		if as.EtaS != nil {
			eta, ts := *as.EtaS, as.TS
			ls.Assist.EtaS, ls.Assist.TS = &eta, &ts
		}
	}
	return ls
}

// OpenAlerts returns the open alerts, oldest first, as they were raised
// (status open).
func (e *Engine) OpenAlerts() []protocol.Alert {
	out := make([]protocol.Alert, 0, len(e.st.Alerts))
	for _, a := range e.st.Alerts {
		x := a.Alert
		x.Item = clonePtr(x.Item)
		out = append(out, x)
	}
	return out
}

// NextDeadline is when the daemon must send the next EvTick; zero when no
// timer is pending. Call it after every Handle.
func (e *Engine) NextDeadline() time.Time {
	var next time.Time
	for _, t := range e.timers() {
		if next.IsZero() || t.at.Before(next) {
			next = t.at
		}
	}
	return next
}

// timer is a pending deadline and what to do when it passes.
type timer struct {
	at   time.Time
	fire func()
}

func (e *Engine) timers() []timer {
	var ts []timer
	// The shopper's timers wait while the lane is closed (out of
	// service, or its journal cannot be written); rearm restarts them
	// when it is back.
	if p := e.st.Pending; p != nil && !p.Deadline.IsZero() && !e.closed() {
		ts = append(ts, timer{p.Deadline, e.bagExpired})
	}
	if a := e.st.Anomaly; a != nil && !a.Deadline.IsZero() && !e.closed() {
		ts = append(ts, timer{a.Deadline, e.anomalyExpired})
	}
	for i, d := range e.st.Sensors.Devices {
		if !d.Alerted {
			ts = append(ts, timer{d.Deadline, func() { e.deviceExpired(i) }})
		}
	}
	return ts
}

// fireDue fires every timer due at e.at, earliest first (ties in the
// order of timers), until none is due: a bag timer that re-arms inside the
// window fires again.
func (e *Engine) fireDue() {
	for {
		var due *timer
		for _, t := range e.timers() {
			if !t.at.After(e.at) && (due == nil || t.at.Before(due.at)) {
				due = &t
			}
		}
		if due == nil {
			return
		}
		due.fire()
	}
}

// ---- shopper events ----

func (e *Engine) onScan(sc devices.Scan) {
	s := &e.st
	e.deviceOK(keyScanner) // it scanned, so it is connected
	switch {
	case e.closed():
		e.eff.Refused = "the lane is out of service"
		e.eff.Scans = append(e.eff.Scans, ScanRefused)
		return
	case e.blockedExcept(protocol.KindUnknownItem):
		e.eff.Refused = "please wait for the attendant"
		e.eff.Scans = append(e.eff.Scans, ScanRefused)
		return
	case s.Pending != nil && s.Held == nil:
		// Quick hands: the next item is scanned before the last one
		// settled on the scale. It is held and scanned as soon as the
		// pending item is accepted (or voided).
		s.Held = &devices.Scan{Data: sc.Data, AIM: sc.AIM, At: e.at}
		return
	case s.Pending != nil:
		e.eff.Refused = "please place the item in the bagging area before scanning the next one"
		e.eff.Scans = append(e.eff.Scans, ScanRefused)
		return
	}
	if s.Session == "" {
		s.Session = e.cfg.NewID()
		s.Started, s.SessionAlerts = e.at, 0
		if !s.HasBaseline {
			// No stable reading yet since the lane started: the scale
			// zeroed at power-up, so the bagging area is taken as empty.
			// Anything already on it shows as an unexpected item, which
			// is the safe side.
			s.BaselineG, s.HasBaseline = 0, true
		}
	}
	s.Notice = ""
	s.LateHeld = nil // the shopper moved on
	if ss := &s.Sensors; s.OwnBag && ss.Settled && abs(ss.SettledG-s.BaselineG) <= e.pol.SettleToleranceG {
		// The scale shows nothing new since the bag was announced: no
		// bag came (or one the scale cannot feel). The next item is not
		// to be taken for it.
		s.OwnBag = false
	}
	it, err := e.lookup(sc)
	if err != nil {
		e.eff.Scans = append(e.eff.Scans, ScanUnrecognised)
		s.UnknownScans++
		if s.UnknownScans < e.pol.UnknownItemAttempts {
			s.Notice = msgNotRecognised
			e.eff.Prompts = append(e.eff.Prompts, protocol.KindUnknownItem)
			return
		}
		if e.findKind(protocol.KindUnknownItem) == nil {
			e.raise(protocol.KindUnknownItem, "", fmt.Sprintf("%d unrecognised scans in a row; last %q: %v", s.UnknownScans, sc.Data, err), s.UnknownScans, nil)
		}
		return
	}
	// A recognised item: the shopper got past the unknown one.
	e.eff.Scans = append(e.eff.Scans, ScanRecognised)
	s.UnknownScans = 0
	if a := e.findKind(protocol.KindUnknownItem); a != nil {
		e.cancel(a.Alert.ID)
	}
	n := s.NextLine
	s.NextLine++
	s.Basket = append(s.Basket, Line{N: n, Item: it})
	if it.AgeRestricted && !s.AgeVerified {
		if a := e.findKind(protocol.KindAgeCheck); a != nil {
			a.Alert.Attempts++
		} else {
			e.raise(protocol.KindAgeCheck, "", "age-restricted item: "+it.Name, 1, itemRef(it))
		}
	}
	if !it.NoBag {
		s.Pending = &Pending{Line: n, Deadline: e.at.Add(e.pol.BagTimeout)}
	}
}

func (e *Engine) lookup(sc devices.Scan) (Item, error) {
	if e.cat == nil {
		return Item{}, errors.New("kiosk: no catalogue loaded")
	}
	return e.cat.Lookup(sc)
}

// onHelp raises help, unless it is open already or the shopper cancelled
// help less than HelpDebounce ago: then the press pages nobody, and the
// screen says to press again in a moment.
func (e *Engine) onHelp() {
	s := &e.st
	if e.findKind(protocol.KindHelp) != nil {
		return
	}
	if !s.HelpCancelled.IsZero() && e.at.Sub(s.HelpCancelled) < e.pol.HelpDebounce {
		e.eff.Refused = "help was cancelled a moment ago"
		s.Notice = msgHelpDebounce
		return
	}
	s.Notice = ""
	e.raise(protocol.KindHelp, "", "the shopper asked for help", 1, nil)
}

func (e *Engine) onHelpCancel() {
	a := e.findKind(protocol.KindHelp)
	if a == nil {
		e.eff.Refused = "there is no help request to cancel"
		return
	}
	e.cancel(a.Alert.ID)
	e.st.HelpCancelled = e.at
}

func (e *Engine) onFinish() {
	s := &e.st
	refuse := func(why, notice string) {
		e.eff.Refused = why
		s.Notice = notice
	}
	switch {
	case s.Session == "":
		e.eff.Refused = "there is no session to finish"
	case e.closed():
		e.eff.Refused = "the lane is out of service"
	case e.findKind(protocol.KindAgeCheck) != nil:
		refuse("an age check is not resolved yet", msgFinishAge)
	case e.blocked():
		refuse("an alert is waiting for the attendant", msgFinishWait)
	case s.Pending != nil:
		refuse("the last item is not in the bagging area yet", msgFinishPending)
	case s.Anomaly != nil:
		refuse("the bagging area does not match the basket", msgFinishAnomaly)
	default:
		e.eff.Checkout = e.checkout()
		// The session ends; the bagging area keeps its weight as the
		// baseline until the shopper takes the bags (idle follows it).
		*s = Snapshot{
			Version:     s.Version,
			Lane:        s.Lane,
			Seq:         s.Seq,
			TS:          s.TS,
			BaselineG:   s.BaselineG,
			HasBaseline: s.HasBaseline,
			Alerts:      s.Alerts,
			Closed:      s.Closed,
			Processed:   s.Processed,
			Assist:      s.Assist,
			ScannerOn:   s.ScannerOn,
			Sensors:     s.Sensors,
			Notice:      msgThanks,

			HelpCancelled: s.HelpCancelled,
		}
	}
}

// onOwnBag: the shopper pressed "I'm using my own bag". A bag already on
// the bagging area (an unexpected gain, or a wrong weight for the pending
// item, of at most OwnBagMaxG) is taken as the bag at once, cancelling
// the alert it raised; a wrong weight heavier than the pending item is
// the item in the bag, and takes both (the bag: the rest, at most
// OwnBagMaxG); otherwise the next settled gain of more than
// SettleToleranceG and at most OwnBagMaxG will be (see ownBag), unless a
// scan comes first with the scale still at the baseline.
// At an idle lane a bag is part of the bagging area anyway: refused.
func (e *Engine) onOwnBag() {
	s := &e.st
	switch {
	case s.Session == "":
		e.eff.Refused = "there is no session: a bag placed now is simply part of the bagging area"
		return
	case e.closed():
		e.eff.Refused = "the lane is out of service"
		return
	}
	s.Notice = ""
	if p := s.Pending; p != nil && p.Mismatch && s.Sensors.Settled {
		g := s.Sensors.SettledG - s.BaselineG
		if iw, _ := e.expected(e.line(p.Line).Item); iw > 0 && g > iw && g-iw <= e.pol.OwnBagMaxG {
			// The wrong weight holds the item and the bag (the item was
			// put in it): both are taken.
			e.takeBag(s.BaselineG + g - iw)
			e.accept(iw, s.Sensors.SettledG)
			return
		}
	}
	if g, ok := e.bagGain(); ok {
		e.takeBag(s.BaselineG + g)
		return
	}
	s.OwnBag = true
}

// bagGain is the gain on the bagging area that no item explains and that
// could be a bag: an unexpected item, or the wrong weight for the pending
// item, of at most OwnBagMaxG.
func (e *Engine) bagGain() (int, bool) {
	s := &e.st
	switch {
	case s.Anomaly != nil && s.Anomaly.Gain:
		g := e.rebaseTarget() - s.BaselineG
		return g, g <= e.pol.OwnBagMaxG
	case s.Pending != nil && s.Pending.Mismatch && s.Sensors.Settled:
		g := s.Sensors.SettledG - s.BaselineG
		return g, g > e.pol.DefaultToleranceG && g <= e.pol.OwnBagMaxG
	}
	return 0, false
}

// takeBag accepts the shopper's bag: w becomes the baseline, and the
// unexpected item or wrong weight it caused (and its alert) is gone. A
// weight_mismatch cancelled this way restarts the item's timers (rearm).
func (e *Engine) takeBag(w int) {
	s := &e.st
	s.OwnBag = false
	s.BaselineG = w
	e.setAnomaly(0)
	if p := s.Pending; p != nil && p.Mismatch {
		p.Mismatch = false
		if a := e.findID(p.Alert); a != nil && a.Alert.Kind == protocol.KindWeightMismatch {
			e.cancel(p.Alert)
			p.Deadline = time.Time{}
		}
	}
}

// onSkipBag: the shopper asks to skip bagging the pending item (a crate
// of water left in the trolley). Within SkipBagLimit skips a session the
// item is accepted without weight at once, cancelling its alert if it
// has one; beyond, it raises skip_bag and waits for the attendant (or
// for the item's weight: placing it still accepts it and cancels the
// alert). With no item waiting for its weight, or with the lane out of
// service, the request is refused and changes nothing. (no_bag items
// never wait, so they never need it.)
func (e *Engine) onSkipBag() {
	s := &e.st
	p := s.Pending
	switch {
	case e.closed():
		e.eff.Refused = "the lane is out of service"
		return
	case p == nil:
		e.eff.Refused = "no item is waiting for the bagging area"
		return
	}
	if s.SkippedBags < e.pol.SkipBagLimit {
		s.Notice = ""
		s.SkippedBags++
		e.skip()
		return
	}
	if p.Alert != "" {
		e.eff.Refused = "please wait for the attendant"
		return
	}
	s.Notice = ""
	l := e.line(p.Line)
	p.Deadline, p.Mismatch = time.Time{}, false
	p.Alert = e.raise(protocol.KindSkipBag, "",
		fmt.Sprintf("skip bagging asked for %s after %d skipped this session (limit %d)", l.Item.Name, s.SkippedBags, e.pol.SkipBagLimit),
		s.SkippedBags+1, itemRef(l.Item))
}

// skip accepts the pending item without its weight; its alert, if any,
// is cancelled.
func (e *Engine) skip() {
	s := &e.st
	p := s.Pending
	e.line(p.Line).Skipped = true
	if p.Alert != "" {
		e.cancel(p.Alert)
	}
	s.Pending = nil
}

// checkout is the session's checkout as it finishes now.
func (e *Engine) checkout() *protocol.Checkout {
	s := &e.st
	c := &protocol.Checkout{Session: s.Session, Items: len(s.Basket), Started: protocol.At(s.Started),
		Finished: protocol.At(e.at), Alerts: s.SessionAlerts, TS: protocol.At(e.at)}
	for _, l := range s.Basket {
		c.TotalCents += l.Item.PriceCents
	}
	return c
}

func (e *Engine) onAssist(as *protocol.Assist) {
	if as == nil {
		e.st.Assist = nil
		return
	}
	if e.findID(as.Alert) == nil || as.Status == protocol.AlertResolved || as.Status == protocol.AlertCancelled {
		return // a retained assist for an alert that is already closed
	}
	c := *as
	e.st.Assist = &c
}

// ---- devices ----

// Device timer keys. Conn events use their Device name (the daemon
// names them "scanner" and "scale").
const (
	keyScanner     = "scanner"
	keyScale       = "scale"
	keyScaleStatus = "scale status"
)

func (e *Engine) onConn(c devices.ConnEvent) {
	key := c.Device
	if key == "" {
		key = "device"
	}
	if c.Up {
		e.deviceOK(key)
		return
	}
	detail := key + " lost"
	if c.Err != nil {
		detail += ": " + c.Err.Error()
	}
	if key == keyScale {
		// A lost port explains a silent scale: one fault, not two.
		e.st.Sensors.Devices = slices.DeleteFunc(e.st.Sensors.Devices, func(d DeviceTimer) bool {
			return d.Key == keyScaleStatus && !d.Alerted
		})
	}
	e.deviceProblem(key, detail)
}

// scaleLost reports whether the scale's port is being timed as lost.
func (e *Engine) scaleLost() bool {
	return slices.ContainsFunc(e.st.Sensors.Devices, func(d DeviceTimer) bool { return d.Key == keyScale })
}

// deviceProblem starts (or keeps) timing a device condition.
func (e *Engine) deviceProblem(key, detail string) {
	ds := &e.st.Sensors.Devices
	for i := range *ds {
		if (*ds)[i].Key == key {
			(*ds)[i].Detail = detail
			return
		}
	}
	*ds = append(*ds, DeviceTimer{Key: key, Detail: detail, Deadline: e.at.Add(e.pol.DeviceGrace)})
	slices.SortFunc(*ds, func(a, b DeviceTimer) int {
		switch {
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
}

// deviceOK ends a device condition and cancels its alert.
func (e *Engine) deviceOK(key string) {
	e.st.Sensors.Devices = slices.DeleteFunc(e.st.Sensors.Devices, func(d DeviceTimer) bool { return d.Key == key })
	for _, a := range e.st.Alerts {
		if a.Alert.Kind == protocol.KindDeviceFault && a.Key == key {
			e.cancel(a.Alert.ID)
			return
		}
	}
}

func (e *Engine) deviceExpired(i int) {
	d := &e.st.Sensors.Devices[i]
	d.Alerted = true
	e.raise(protocol.KindDeviceFault, d.Key, d.Detail, 1, nil)
}

// ---- alerts ----

func (e *Engine) raise(k protocol.Kind, key, detail string, attempts int, item *protocol.ItemRef) string {
	a := protocol.Alert{
		ID:       e.cfg.NewID(),
		Store:    e.cfg.Store,
		Lane:     e.cfg.Lane,
		Zone:     e.cfg.Zone,
		Kind:     k,
		Severity: protocol.SeverityOf(k),
		Status:   protocol.AlertOpen,
		Attempts: attempts,
		Detail:   detail,
		Item:     item,
		TS:       protocol.At(e.at),
	}
	e.st.Alerts = append(e.st.Alerts, OpenAlert{Alert: a, Key: key})
	if e.st.Session != "" {
		e.st.SessionAlerts++
	}
	a.Item = clonePtr(item)
	e.eff.Alerts = append(e.eff.Alerts, a)
	return a.ID
}

// cancel closes an open alert because the shopper (or the device) fixed
// the cause, and publishes the cancellation.
func (e *Engine) cancel(id string) {
	a, ok := e.close(id, protocol.AlertCancelled)
	if !ok {
		return
	}
	a.Status = protocol.AlertCancelled
	a.TS = protocol.At(e.at)
	e.eff.Alerts = append(e.eff.Alerts, a)
}

// close removes an open alert, remembers it as closed with status, and
// drops every reference to it.
func (e *Engine) close(id, status string) (protocol.Alert, bool) {
	s := &e.st
	i := slices.IndexFunc(s.Alerts, func(a OpenAlert) bool { return a.Alert.ID == id })
	if i < 0 {
		return protocol.Alert{}, false
	}
	a := s.Alerts[i].Alert
	s.Alerts = slices.Delete(s.Alerts, i, i+1)
	s.Notice = "" // what it said (a refused finish) may no longer hold
	s.Closed = append(s.Closed, ClosedAlert{ID: id, Status: status})
	if len(s.Closed) > maxClosed {
		s.Closed = slices.Delete(s.Closed, 0, len(s.Closed)-maxClosed)
	}
	if s.Pending != nil && s.Pending.Alert == id {
		s.Pending.Alert = ""
	}
	if s.Anomaly != nil && s.Anomaly.Alert == id {
		s.Anomaly.Alert = ""
	}
	if s.Assist != nil && s.Assist.Alert == id {
		s.Assist = nil
	}
	return a, true
}

func (e *Engine) findID(id string) *OpenAlert {
	for i := range e.st.Alerts {
		if e.st.Alerts[i].Alert.ID == id {
			return &e.st.Alerts[i]
		}
	}
	return nil
}

func (e *Engine) findKind(k protocol.Kind) *OpenAlert {
	for i := range e.st.Alerts {
		if e.st.Alerts[i].Alert.Kind == k {
			return &e.st.Alerts[i]
		}
	}
	return nil
}

// Blocking reports whether an open alert of kind k stops the shopper
// scanning until an attendant comes: every kind but age_check.
func Blocking(k protocol.Kind) bool { return k != protocol.KindAgeCheck }

func (e *Engine) blocked() bool { return e.blockedExcept("") }

// blockedExcept reports whether a blocking alert other than kind except
// is open.
func (e *Engine) blockedExcept(except protocol.Kind) bool {
	for _, a := range e.st.Alerts {
		if Blocking(a.Alert.Kind) && a.Alert.Kind != except {
			return true
		}
	}
	return false
}

// ---- basket ----

func (e *Engine) line(n int) *Line {
	for i := range e.st.Basket {
		if e.st.Basket[i].N == n {
			return &e.st.Basket[i]
		}
	}
	return nil
}

// removeLines voids the basket lines for which drop is true. A voided
// line that was bagged takes its accepted weight off the baseline (the
// attendant takes the item away); a voided pending item ends the pending
// wait and cancels its alert.
func (e *Engine) removeLines(drop func(Line) bool) {
	s := &e.st
	s.Basket = slices.DeleteFunc(s.Basket, func(l Line) bool {
		if !drop(l) {
			return false
		}
		if l.Bagged {
			s.BaselineG -= l.BaggedG
		}
		if p := s.Pending; p != nil && p.Line == l.N {
			if p.Alert != "" {
				e.cancel(p.Alert)
			}
			s.Pending = nil
		}
		return true
	})
}
