package kiosk

import "slices"

// restart starts the shopper's and the devices' timers afresh at a
// (re)start (EvStart). A restored snapshot holds the deadlines of before
// the lane went down; counted from then, a lane down for 70 s would
// prompt and raise bag_timeout "after 2 prompts" the moment it came back,
// though the shopper was never prompted. So a pending item's bag timer
// and prompts start again from now, an unexpected or removed item's
// grace too, and the device conditions being timed are forgotten: the
// drivers report afresh (a port missing at start is reported lost). A
// settled weight from before is not trusted either. Open alerts stay
// open.
func (e *Engine) restart() {
	s := &e.st
	if p := s.Pending; p != nil && p.Alert == "" && !p.Deadline.IsZero() {
		p.Deadline = e.at.Add(e.pol.BagTimeout)
		p.Prompts = 0
	}
	if a := s.Anomaly; a != nil && a.Alert == "" && !a.Deadline.IsZero() {
		grace := e.pol.RemovedGrace
		if a.Gain {
			grace = e.pol.UnexpectedGrace
		}
		a.Deadline = e.at.Add(grace)
	}
	s.Sensors.Devices = slices.DeleteFunc(s.Sensors.Devices, func(d DeviceTimer) bool { return !d.Alerted })
	s.Sensors.Run, s.Sensors.Settled = 0, false
}
