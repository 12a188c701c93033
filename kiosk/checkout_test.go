package kiosk

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol"
)

// Finish gives the session's checkout: its id, items, total, first scan,
// finish and the alerts raised during it (not those raised before it
// started); a refused finish gives none.
func TestCheckoutAtFinish(t *testing.T) {
	l := newLane(t, Policy{})
	l.weigh(0, 0)
	l.kind(EvHelp, 0.5) // before the session: not the session's
	l.kind(EvHelpCancel, 0.6)
	l.scan(1, "cola")
	session := l.state().Session
	l.tick(31) // bag_timeout
	open := l.e.OpenAlerts()
	require.Len(t, open, 1)
	require.Nil(t, l.kind(EvFinish, 32).Checkout, "refused while the alert is open")
	l.weigh(33, 355) // the shopper places it: cancelled
	l.scan(35, "chair")
	eff := l.kind(EvFinish, 40)
	require.Empty(t, eff.Refused)
	require.Equal(t, &protocol.Checkout{
		Session: session, Items: 2, TotalCents: cola.PriceCents + chair.PriceCents,
		Started: protocol.At(sec(1)), Finished: protocol.At(sec(40)), Alerts: 1, TS: protocol.At(sec(40)),
	}, eff.Checkout)
	require.Empty(t, l.state().Session)

	// The next session counts from zero.
	l.scan(50, "chair")
	eff = l.kind(EvFinish, 51)
	require.Equal(t, 0, eff.Checkout.Alerts)
	require.Equal(t, protocol.At(sec(50)), eff.Checkout.Started)
}

// The metrics' view of a session: each scan's outcome and each nudge,
// by the kind of alert it would lead to.
func TestScansAndPrompts(t *testing.T) {
	l := newLane(t, Policy{})
	l.weigh(0, 0)
	l.scan(1, "nope")   // prompt
	l.scan(2, "nope")   // prompt
	l.scan(3, "nope")   // unknown_item alert
	l.scan(4, "cola")   // recognised: cancels it
	l.scan(5, "chair")  // held
	l.scan(5.5, "cola") // refused: one is held already
	l.tick(14)          // bag prompt 1
	l.weigh(15, 371)    // mismatch prompt (1 of 2)
	l.weigh(16, 355)    // the right weight: cola accepted, chair scanned
	l.weigh(17, 900)    // unexpected item prompt
	l.weigh(18, 355)    // gone
	l.weigh(19, 100)    // item removed prompt
	require.Equal(t, []ScanOutcome{ScanUnrecognised, ScanUnrecognised, ScanUnrecognised, ScanRecognised, ScanRefused, ScanRecognised}, l.all.Scans)
	require.Equal(t, []protocol.Kind{protocol.KindUnknownItem, protocol.KindUnknownItem, protocol.KindBagTimeout, protocol.KindWeightMismatch,
		protocol.KindUnexpectedItem, protocol.KindItemRemoved}, l.all.Prompts)
}
