package kiosk

import (
	"time"

	"github.com/sco-project/sco/protocol"
)

// keyJournal is the device_fault key of the journal.
const keyJournal = "journal"

// onJournal: the daemon could not write its journal (err, whose text
// names the file), or can again (nil).
//
// A lane that cannot journal stops selling: it is closed to the shopper
// (out_of_service, scans and finish refused, the shopper's timers stopped)
// and raises device_fault at once, with no grace, until writes succeed
// again; then the alert is cancelled and the shopper's timers start
// afresh. The daemon rolls back the step whose write failed and every
// step it cannot write meanwhile, so nothing the shopper saw was ever
// ahead of the disk. The fault itself is never journaled (it cannot be):
// a lane restarted on a disk that still fails finds out again.
func (e *Engine) onJournal(err error) {
	s := &e.st
	if err != nil {
		if s.JournalFault != "" {
			return
		}
		s.JournalFault = err.Error()
		e.raise(protocol.KindDeviceFault, keyJournal, s.JournalFault, 1, nil)
		return
	}
	if s.JournalFault == "" {
		return
	}
	s.JournalFault = ""
	e.deviceOK(keyJournal)
	e.resumeTimers()
}

// closed reports whether the lane is closed to the shopper: an attendant
// took it out of service, or it cannot write its journal.
func (e *Engine) closed() bool { return e.st.OutOfService || e.st.JournalFault != "" }

// resumeTimers restarts, from now (rearm), the shopper's timers that
// waited while the lane was closed.
func (e *Engine) resumeTimers() {
	if p := e.st.Pending; p != nil && p.Alert == "" {
		p.Deadline = time.Time{}
	}
	if a := e.st.Anomaly; a != nil && a.Alert == "" {
		a.Deadline = time.Time{}
	}
}
