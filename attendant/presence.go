package attendant

import (
	"fmt"
	"slices"
	"time"

	"github.com/sco-project/sco/protocol"
)

// MaxDevicesPerAttendant bounds the devices the dispatcher tracks for one
// attendant; a further device is refused until one of them goes offline.
const MaxDevicesPerAttendant = 16

// device is the last presence of one of an attendant's devices.
type device struct {
	status string
	seq    uint64 // the highest seq seen; 0: none yet
}

// Presence handles pager/{id}/presence, one device's presence. The
// attendant counts as available while any of their devices last said
// available, else as busy while any said busy (else break, else
// offline): one device's will does not take the others off shift. A
// presence whose seq is not above its device's last one is an old one
// delivered late, and is ignored (seq 0, or none, is always taken).
// Zones come from the roster; the zone a pager reports is not used.
//
// A presence that says available or busy re-sends the attendant the
// pages they hold (Resync): a pager that restarted rebuilds its list.
func (d *Dispatcher) Presence(now time.Time, id string, p protocol.Presence) (Effects, error) {
	if _, ok := d.roster[id]; !ok {
		return Effects{}, fmt.Errorf("attendant: presence from %q, who is not on the roster", id)
	}
	if p.Device != "" && !protocol.ValidMsgID(p.Device) {
		return Effects{}, fmt.Errorf("attendant: %s presence: bad device %q", id, clip(p.Device))
	}
	dev := d.devices[id][p.Device]
	if dev != nil && p.Seq != 0 && p.Seq == dev.seq && p.Status == dev.status {
		// The same presence again: the broker re-delivers the retained
		// one on every reconnect of the bridge. Nothing to do or to say.
		return Effects{}, nil
	}
	if dev != nil && p.Seq != 0 && p.Seq <= dev.seq {
		return Effects{}, fmt.Errorf("attendant: %s presence %s from device %q ignored: seq %d is not above %d", id, p.Status, p.Device, p.Seq, dev.seq)
	}
	if dev == nil {
		if err := d.addDevice(id, p.Device); err != nil {
			return Effects{}, err
		}
		dev = d.devices[id][p.Device]
	}
	dev.status = p.Status
	if p.Seq != 0 {
		dev.seq = p.Seq
	}
	fx := d.presenceChanged(now, id)
	if p.Status == protocol.PresenceAvailable || p.Status == protocol.PresenceBusy {
		d.resync(now, id, &fx)
	}
	return fx, nil
}

// resync sends an attendant who just announced themselves (a pager that
// restarted with an empty list, a second device) every page they hold:
// those of the open alerts nobody claimed that they are paged for, and
// those of the alerts they claimed. Pages fx already has are not sent
// twice. Nothing changes: these are copies.
func (d *Dispatcher) resync(now time.Time, id string, fx *Effects) {
	if d.started {
		d.addHeld(now, id, fx)
	}
}

// addHeld adds to fx the pages id holds that it does not have yet.
func (d *Dispatcher) addHeld(now time.Time, id string, fx *Effects) {
	for _, aid := range d.alertIDs() {
		a := d.alerts[aid]
		held := a.ClaimedBy == id || (a.ClaimedBy == "" && slices.Contains(a.Recipients, id))
		if !held || slices.ContainsFunc(fx.Pages, func(p PageOut) bool { return p.To == id && p.Page.Alert == aid }) {
			continue
		}
		fx.Pages = append(fx.Pages, PageOut{To: id, Page: d.page(now, a, id)})
	}
}

// addDevice starts tracking a device, making room by forgetting an
// offline one when the attendant has MaxDevicesPerAttendant.
func (d *Dispatcher) addDevice(id, name string) error {
	devs := d.devices[id]
	if devs == nil {
		devs = map[string]*device{}
		d.devices[id] = devs
	}
	if len(devs) >= MaxDevicesPerAttendant {
		for _, k := range sortedKeys(devs) {
			if devs[k].status == protocol.PresenceOffline {
				delete(devs, k)
				break
			}
		}
	}
	if len(devs) >= MaxDevicesPerAttendant {
		return fmt.Errorf("attendant: %s presence from device %q refused: %d devices are on already", id, name, len(devs))
	}
	devs[name] = &device{}
	return nil
}

// status is an attendant's presence over all their devices: available
// wins over busy, busy over break, break over offline.
func (d *Dispatcher) status(id string) string {
	best := protocol.PresenceOffline
	rank := map[string]int{protocol.PresenceOffline: 0, protocol.PresenceBreak: 1, protocol.PresenceBusy: 2, protocol.PresenceAvailable: 3}
	for _, dev := range d.devices[id] {
		if rank[dev.status] > rank[best] {
			best = dev.status
		}
	}
	return best
}

// presenceChanged recomputes an attendant's presence after one of their
// devices changed, and pages or takes pages away accordingly.
func (d *Dispatcher) presenceChanged(now time.Time, id string) Effects {
	var fx Effects
	old := d.presence[id]
	st := d.status(id)
	d.presence[id] = st
	if old == st || !d.started {
		return fx
	}
	online := st == protocol.PresenceAvailable || st == protocol.PresenceBusy
	for _, aid := range d.alertIDs() {
		a := d.alerts[aid]
		if a.Status == protocol.AlertClaimed {
			continue // a claim stands until claim_timeout
		}
		if !online {
			if !slices.Contains(a.Recipients, id) {
				continue
			}
			fx.Changed = true
			a.Recipients = slices.DeleteFunc(a.Recipients, func(s string) bool { return s == id })
			if len(a.Recipients) == 0 {
				d.escalateNow(now, a, &fx)
			}
			continue
		}
		switch {
		case a.Status == protocol.AlertOpen && slices.Contains(d.members(a, 3), id):
			d.dispatch(now, a, 1, &fx)
		case a.Tier >= 2 && !slices.Contains(a.Recipients, id) && slices.Contains(d.members(a, a.Tier), id):
			fx.Changed = true
			d.sendPage(now, a, id, &fx)
		}
	}
	return fx
}
