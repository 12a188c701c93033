package attendant

import (
	"fmt"
	"time"

	"github.com/sco-project/sco/protocol"
)

// Checkout is one finished session of a lane (lane/{lane}/checkout), as
// the bridge keeps it for the store's report.
type Checkout struct {
	Lane string `json:"lane"`
	protocol.Checkout
}

// LaneCheckout handles lane/{lane}/checkout: the checkout joins the
// next Changes (and Effects.Checkouts), for the bridge's history, which
// keeps one per lane and session: a lane delivers each at least once,
// and again after a restart that came before the broker's PUBACK. It
// changes nothing else.
func (d *Dispatcher) LaneCheckout(now time.Time, lane string, c protocol.Checkout) (Effects, error) {
	var fx Effects
	if !protocol.ValidID(lane) {
		return fx, fmt.Errorf("attendant: checkout from a bad lane id %q", clip(lane))
	}
	if !protocol.ValidMsgID(c.Session) {
		return fx, fmt.Errorf("attendant: lane %s checkout: bad session %q", lane, clip(c.Session))
	}
	co := Checkout{Lane: lane, Checkout: c}
	d.checkouts = append(d.checkouts, co)
	fx.Changed = true
	fx.Checkouts = append(fx.Checkouts, co)
	return fx, nil
}
