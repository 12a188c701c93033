package kiosk

import (
	"fmt"
	"time"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/protocol"
)

// onReading feeds one scale reading to the settle rule and the scale's
// device timer. Only StatusStable and StatusZero readings can settle;
// any other reading breaks the run and clears the settled weight.
// NotReady, OverCapacity, UnderZero and Fault readings start the
// device_grace timer of the scale status; a weight reading (stable, zero or
// unstable) ends it.
//
// Any reading at all means the scale's port is up, and a scan that the
// scanner's is: a conn timer or alert left from before (a restart misses
// the Up event of a port that opened at once) ends with it.
func (e *Engine) onReading(r devices.Reading) {
	e.deviceOK(keyScale)
	ss := &e.st.Sensors
	switch r.Status {
	case devices.StatusStable, devices.StatusZero:
		e.deviceOK(keyScaleStatus)
		g := r.Grams
		if e.st.Session == "" {
			// Idle: nothing is judged, so the scale's own stable flag is
			// enough for the baseline to follow it. A shopper who scans
			// right after the lane starts (before a weight has settled)
			// is then weighed against the empty bagging area, not against
			// their first item.
			e.st.BaselineG, e.st.HasBaseline = g, true
		}
		if ss.Run > 0 && max(ss.RunMax, g)-min(ss.RunMin, g) <= e.pol.SettleToleranceG {
			ss.Run++
			ss.RunMin, ss.RunMax = min(ss.RunMin, g), max(ss.RunMax, g)
		} else {
			ss.Run, ss.RunMin, ss.RunMax = 1, g, g
			ss.Settled = false
		}
		if ss.Run == e.pol.SettleReadings {
			ss.Settled, ss.SettledG = true, g
			ss.RunID++
		}
	case devices.StatusUnstable:
		e.deviceOK(keyScaleStatus)
		ss.Run, ss.Settled = 0, false
	default:
		ss.Run, ss.Settled = 0, false
		if !e.scaleLost() {
			e.deviceProblem(keyScaleStatus, "scale: "+r.String())
		}
	}
}

// weigh compares the settled weight with the baseline. It runs after
// every event and is idempotent: the same weight, baseline and pending
// item give the same outcome, except that a wrong gain counts as one
// mismatch per settled weight (Sensors.RunID).
func (e *Engine) weigh() {
	s, ss := &e.st, &e.st.Sensors
	if !ss.Settled {
		return
	}
	w := ss.SettledG
	if s.Session == "" || !s.HasBaseline {
		// Idle: the baseline follows the bagging area.
		s.BaselineG, s.HasBaseline = w, true
		return
	}
	delta := w - s.BaselineG
	tol := e.pol.DefaultToleranceG
	if p := s.Pending; p != nil {
		l := e.line(p.Line)
		iw, itol := e.expected(l.Item)
		var alone bool
		if iw > 0 {
			alone = abs(delta-iw) <= itol
		} else {
			alone = delta > tol // weight unknown: any gain will do
		}
		first, second, both := e.quickHandsFits(delta)
		switch {
		case both:
			// The pending and the held item together (when the pending
			// one alone would fit too, the held one may still be on its
			// way: see LateHeld).
			e.quickHands(first, second, w, alone)
			return
		case alone:
			if iw > 0 || s.Held == nil {
				// (A gain taken for an item of unknown weight while
				// another is held may hold both: nothing to learn.)
				e.learn(l.Item, delta, 1)
			}
			e.accept(delta, w)
			return
		case e.ownBag(delta):
			e.takeBag(w)
			return
		case delta > tol:
			// A gain, but not this item's weight.
			e.setAnomaly(0)
			p.Mismatch = true
			if p.JudgedRun == ss.RunID {
				return
			}
			p.JudgedRun = ss.RunID
			p.Mismatches++
			if p.Mismatches < e.pol.MismatchAttempts {
				e.eff.Prompts = append(e.eff.Prompts, protocol.KindWeightMismatch)
			}
			if p.Mismatches >= e.pol.MismatchAttempts && p.Alert == "" {
				p.Deadline = time.Time{}
				p.Alert = e.raise(protocol.KindWeightMismatch, "",
					fmt.Sprintf("expected %dg ±%dg, got %+dg", iw, itol, delta), p.Mismatches, itemRef(l.Item))
			}
			return
		}
		p.Mismatch = false
	}
	switch {
	case e.ownBag(delta):
		e.takeBag(w)
	case abs(delta) <= tol:
		e.setAnomaly(0)
	case e.lateHeld(delta, w):
	default:
		s.LateHeld = nil // something else came: the story is settled
		e.setAnomaly(delta)
	}
}

// ownBag reports whether a settled gain is the bag the shopper announced:
// more than the settle tolerance (a light bag is often within the
// bagging area's tolerance, and would otherwise ride along unnoticed into
// the next item's weight) and at most OwnBagMaxG.
func (e *Engine) ownBag(delta int) bool {
	return e.st.OwnBag && delta > e.pol.SettleToleranceG && delta <= e.pol.OwnBagMaxG
}

// expected is the gain an item should make on the bagging area and how
// far off it may be: the catalogue's weight_g and tolerance_g (or
// DefaultToleranceG), or the learned ones where they apply (Learned.Use).
// A weight of 0 means unknown.
func (e *Engine) expected(it Item) (g, tol int) {
	g, tol, _ = e.learned[it.GTIN].Use(it, e.pol)
	return g, tol
}

// accept takes the pending item as bagged with the given gain; w is the
// settled weight that becomes the baseline. Its alert, if any, is
// cancelled: the shopper fixed it.
func (e *Engine) accept(gain, w int) {
	s := &e.st
	p := s.Pending
	l := e.line(p.Line)
	l.Bagged, l.BaggedG = true, gain
	s.BaselineG = w
	s.Notice = "" // a refused finish is answered
	if p.Alert != "" {
		e.cancel(p.Alert)
	}
	s.Pending = nil
	e.setAnomaly(0)
}

// quickHandsFits is the rule for a shopper faster than the scale: the
// held item was placed together with the pending one, before the scale
// settled. A settled gain matching the sum of their weights, within the
// sum of their tolerances, is both; when one of them has no known weight,
// a gain that holds the other one's weight and more than the tolerance
// besides is both too (the rest is the one of unknown weight). It
// returns the gain of each, for quickHands. Nothing but the pending
// item's own alert may block the lane (the held scan is made then, as it
// would be after the pending item is accepted).
func (e *Engine) quickHandsFits(delta int) (first, second int, ok bool) {
	s := &e.st
	p := s.Pending
	if s.Held == nil || e.closed() {
		return 0, 0, false
	}
	for _, a := range s.Alerts {
		if Blocking(a.Alert.Kind) && a.Alert.ID != p.Alert {
			return 0, 0, false
		}
	}
	held, err := e.lookup(*s.Held)
	if err != nil || held.NoBag {
		return 0, 0, false
	}
	pw, ptol := e.expected(e.line(p.Line).Item)
	hw, htol := e.expected(held)
	tol := e.pol.DefaultToleranceG
	switch {
	case pw > 0 && hw > 0 && abs(delta-(pw+hw)) <= ptol+htol:
		// The error is shared in proportion to the weights, so that each
		// line's gain stays the best guess for a later item_removed void.
		first = (delta*pw + (pw+hw)/2) / (pw + hw)
		return first, delta - first, true
	case pw <= 0 && hw > 0 && delta-hw > max(tol, htol):
		return delta - hw, hw, true
	case pw > 0 && hw <= 0 && delta-pw > max(tol, ptol):
		return pw, delta - pw, true
	}
	return 0, 0, false
}

// quickHands accepts the pending item and the held one with the gains
// quickHandsFits gave; the held scan joins the basket already bagged.
// When the pending item alone would have fitted too (the held item is
// lighter than the tolerances, or the pending one's weight is unknown),
// the held one may not be down yet: LateHeld remembers it, and its
// weight arriving next is no unexpected item.
func (e *Engine) quickHands(first, second, w int, aloneFits bool) {
	s := &e.st
	line := s.Pending.Line
	e.accept(first, s.BaselineG+first)
	held, _ := e.lookup(*s.Held)
	h := *s.Held
	s.Held = nil
	e.onScan(h)
	if p := s.Pending; p != nil {
		next := p.Line
		e.accept(second, w)
		if aloneFits {
			hw, htol := e.expected(held)
			if hw <= 0 {
				hw, htol = second, max(e.pol.DefaultToleranceG, second/4)
			}
			s.LateHeld = &LateHeld{First: line, Line: next, WeightG: hw, ToleranceG: htol}
		}
	}
}

// lateHeld: with nothing pending, a settled gain that matches the item
// quick hands took for already down (LateHeld) is that item arriving
// now: the first item had the earlier gain to itself.
func (e *Engine) lateHeld(delta, w int) bool {
	s := &e.st
	lh := s.LateHeld
	if lh == nil || abs(delta-lh.WeightG) > lh.ToleranceG {
		return false
	}
	s.LateHeld = nil
	first, second := e.line(lh.First), e.line(lh.Line)
	if first == nil || second == nil {
		return false
	}
	first.BaggedG += second.BaggedG
	second.BaggedG = delta
	s.BaselineG = w
	e.setAnomaly(0)
	return true
}

// setAnomaly sets the bagging-area condition: 0 none, > 0 unexpected
// gain, < 0 loss. A new condition starts its grace timer and cancels the
// alert of the condition it replaces; the same condition keeps its timer.
func (e *Engine) setAnomaly(delta int) {
	s := &e.st
	cur := s.Anomaly
	if cur != nil && delta != 0 && cur.Gain == (delta > 0) {
		cur.DeltaG = delta
		return
	}
	if cur != nil {
		if cur.Alert != "" {
			e.cancel(cur.Alert)
		}
		s.Anomaly = nil
		s.Notice = ""
	}
	if delta == 0 {
		return
	}
	grace := e.pol.RemovedGrace
	if delta > 0 {
		grace = e.pol.UnexpectedGrace
	}
	s.Anomaly = &Anomaly{Gain: delta > 0, DeltaG: delta, Since: e.at, Deadline: e.at.Add(grace)}
	if delta > 0 {
		e.eff.Prompts = append(e.eff.Prompts, protocol.KindUnexpectedItem)
	} else {
		e.eff.Prompts = append(e.eff.Prompts, protocol.KindItemRemoved)
	}
}

// bagExpired: the pending item's weight did not come within bag_timeout.
// Expiries 1..bag_prompts prompt again (attention); the next one raises
// bag_timeout.
func (e *Engine) bagExpired() {
	p := e.st.Pending
	p.Prompts++
	if p.Prompts <= e.pol.BagPrompts {
		p.Deadline = p.Deadline.Add(e.pol.BagTimeout)
		e.eff.Prompts = append(e.eff.Prompts, protocol.KindBagTimeout)
		return
	}
	p.Deadline = time.Time{}
	if p.Alert != "" {
		return
	}
	it := e.line(p.Line).Item
	p.Alert = e.raise(protocol.KindBagTimeout, "",
		fmt.Sprintf("no stable gain of %dg on the bagging area after %d prompts", it.WeightG, e.pol.BagPrompts),
		e.pol.BagPrompts, itemRef(it))
}

// anomalyExpired: the unexpected item was not removed, or the removed
// item not put back, within the grace.
func (e *Engine) anomalyExpired() {
	a := e.st.Anomaly
	a.Deadline = time.Time{}
	if a.Gain {
		a.Alert = e.raise(protocol.KindUnexpectedItem, "", fmt.Sprintf("%+dg on the bagging area with no item scanned", a.DeltaG), 1, nil)
	} else {
		a.Alert = e.raise(protocol.KindItemRemoved, "", fmt.Sprintf("%dg taken from the bagging area", -a.DeltaG), 1, nil)
	}
}

// rearm restarts the shopper timers of a condition whose alert was closed
// while the condition remains (the lane went out of service on it), once
// the lane is in service (and can write its journal).
func (e *Engine) rearm() {
	s := &e.st
	if e.closed() {
		return
	}
	if p := s.Pending; p != nil && p.Alert == "" && p.Deadline.IsZero() {
		p.Deadline = e.at.Add(e.pol.BagTimeout)
		p.Prompts, p.Mismatches = 0, 0
	}
	if a := s.Anomaly; a != nil && a.Alert == "" && a.Deadline.IsZero() {
		grace := e.pol.RemovedGrace
		if a.Gain {
			grace = e.pol.UnexpectedGrace
		}
		a.Deadline = e.at.Add(grace)
	}
}

// rebase accepts the bagging area as it is now: the settled weight, or,
// while the scale is moving, the baseline moved by the anomaly.
func (e *Engine) rebase() {
	e.st.BaselineG, e.st.Anomaly = e.rebaseTarget(), nil
}

func (e *Engine) rebaseTarget() int {
	s := &e.st
	switch {
	case s.Sensors.Settled:
		return s.Sensors.SettledG
	case s.Anomaly != nil:
		return s.BaselineG + s.Anomaly.DeltaG
	}
	return s.BaselineG
}

func itemRef(it Item) *protocol.ItemRef { return &protocol.ItemRef{GTIN: it.GTIN, Name: it.Name} }

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
