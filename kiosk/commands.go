package kiosk

import (
	"errors"
	"fmt"
	"slices"

	"github.com/sco-project/sco/protocol"
)

// onCommand answers an attendant command. A command id seen before gets
// the same result as the first time and changes nothing; a new one is
// checked (the alert is open, the action applies to its kind), applied,
// and remembered.
func (e *Engine) onCommand(c protocol.Command) {
	if c.ID == "" {
		e.eff.Results = append(e.eff.Results, protocol.CommandResult{OK: false, Error: "command has no id", TS: protocol.At(e.at)})
		return
	}
	s := &e.st
	if i := slices.IndexFunc(s.Processed, func(r protocol.CommandResult) bool { return r.ID == c.ID }); i >= 0 {
		e.eff.Results = append(e.eff.Results, s.Processed[i])
		return
	}
	res := protocol.CommandResult{ID: c.ID, OK: true, TS: protocol.At(e.at)}
	if err := e.apply(c); err != nil {
		res.OK, res.Error = false, err.Error()
	}
	s.Processed = append(s.Processed, res)
	if len(s.Processed) > maxProcessed {
		s.Processed = slices.Delete(s.Processed, 0, len(s.Processed)-maxProcessed)
	}
	e.eff.Results = append(e.eff.Results, res)
}

func (e *Engine) apply(c protocol.Command) error {
	s := &e.st
	if c.Alert == "" {
		switch c.Action {
		case protocol.ActionOutOfService:
			s.OutOfService = true
			return nil
		case protocol.ActionInService:
			e.inService()
			return nil
		}
		return fmt.Errorf("action %q needs an alert", c.Action)
	}
	a := e.findID(c.Alert)
	if a == nil {
		if i := slices.IndexFunc(s.Closed, func(x ClosedAlert) bool { return x.ID == c.Alert }); i >= 0 {
			return fmt.Errorf("alert %s is already %s", c.Alert, s.Closed[i].Status)
		}
		return fmt.Errorf("%s %s", protocol.LaneErrUnknownAlert, c.Alert)
	}
	kind := a.Alert.Kind
	if !protocol.Allowed(kind, c.Action) {
		return fmt.Errorf("action %q does not apply to a %s alert", c.Action, kind)
	}
	if _, ok := e.close(c.Alert, protocol.AlertResolved); !ok {
		return errors.New("alert vanished") // cannot happen: found above
	}
	s.Notice = ""
	switch c.Action {
	case protocol.ActionApprove:
		e.approve(kind)
	case protocol.ActionVoid:
		e.void(kind)
	case protocol.ActionAgeOK:
		s.AgeVerified = true
	case protocol.ActionAgeRefused:
		e.removeLines(func(l Line) bool { return l.Item.AgeRestricted })
	case protocol.ActionClear:
		switch kind {
		case protocol.KindUnknownItem:
			s.UnknownScans = 0
		case protocol.KindUnexpectedItem:
			e.rebase()
		}
	case protocol.ActionOutOfService:
		s.OutOfService = true
	case protocol.ActionInService:
		e.inService()
	}
	return nil
}

// approve accepts the pending item or the bagging-area weight as it is.
func (e *Engine) approve(k protocol.Kind) {
	s := &e.st
	switch k {
	case protocol.KindBagTimeout, protocol.KindWeightMismatch:
		p := s.Pending
		if p == nil {
			return
		}
		l := e.line(p.Line)
		l.Bagged = true
		if s.Sensors.Settled {
			l.BaggedG = s.Sensors.SettledG - s.BaselineG
			s.BaselineG = s.Sensors.SettledG
		} else {
			l.BaggedG = l.Item.WeightG
			s.BaselineG += l.Item.WeightG
		}
		s.Pending = nil
	case protocol.KindUnexpectedItem, protocol.KindItemRemoved:
		e.rebase()
	}
}

// void removes the item in question: the pending item, or for
// item_removed the bagged line whose weight best matches the loss.
func (e *Engine) void(k protocol.Kind) {
	s := &e.st
	switch k {
	case protocol.KindBagTimeout, protocol.KindWeightMismatch:
		if p := s.Pending; p != nil {
			n := p.Line
			e.removeLines(func(l Line) bool { return l.N == n })
		}
	case protocol.KindItemRemoved:
		target := e.rebaseTarget()
		if s.Anomaly != nil {
			loss, best, bestDiff := -s.Anomaly.DeltaG, -1, 0
			for _, l := range s.Basket {
				if d := abs(l.BaggedG - loss); l.Bagged && (best < 0 || d < bestDiff) {
					best, bestDiff = l.N, d
				}
			}
			e.removeLines(func(l Line) bool { return l.N == best })
		}
		s.BaselineG, s.Anomaly = target, nil
	case protocol.KindUnknownItem:
		s.UnknownScans = 0
	}
}

// inService puts the lane back in service and restarts the shopper's
// timers from now.
func (e *Engine) inService() {
	s := &e.st
	if !s.OutOfService {
		return
	}
	s.OutOfService = false
	e.resumeTimers()
}
