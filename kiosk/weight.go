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
		itol := l.Item.ToleranceG
		if itol == 0 {
			itol = tol
		}
		var match bool
		if l.Item.WeightG > 0 {
			match = abs(delta-l.Item.WeightG) <= itol
		} else {
			match = delta > tol // weight unknown: any gain will do
		}
		switch {
		case match:
			l.Bagged, l.BaggedG = true, delta
			s.BaselineG = w
			s.Notice = "" // a refused finish is answered
			if p.Alert != "" {
				e.cancel(p.Alert)
			}
			s.Pending = nil
			e.setAnomaly(0)
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
					fmt.Sprintf("expected %dg ±%dg, got %+dg", l.Item.WeightG, itol, delta), p.Mismatches, itemRef(l.Item))
			}
			return
		}
		p.Mismatch = false
	}
	if abs(delta) <= tol {
		e.setAnomaly(0)
	} else {
		e.setAnomaly(delta)
	}
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
