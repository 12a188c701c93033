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
	status  string
	seq     uint64    // the highest seq seen; 0: none yet
	expires time.Time // in-process devices (DevicePresence with a ttl): offline from then on
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
	dev.expires = time.Time{}
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

// DevicePresence sets the presence of one of an attendant's devices that
// lives inside the bridge process (a web app session), as a pager's
// presence message with that device would: status is available, busy,
// break or offline. The caller keeps no seq. With ttl > 0 the device
// counts as offline once ttl has passed since this call or the last
// DeviceSeen (Tick does it; NextDeadline includes it), as a pager's will
// would say; ttl 0 keeps it until changed. Device names share one space
// with pagers' "device" field: give in-process devices a prefix of their
// own ("web:" and the session).
func (d *Dispatcher) DevicePresence(now time.Time, attendant, device, status string, ttl time.Duration) (Effects, error) {
	p := protocol.Presence{Status: status, Device: device}
	if err := p.Validate(); err != nil {
		return Effects{}, fmt.Errorf("attendant: %s device %q: %w", attendant, device, err)
	}
	if device == "" {
		return Effects{}, fmt.Errorf("attendant: %s: an in-process device needs a name", attendant)
	}
	fx, err := d.Presence(now, attendant, p)
	if err == nil && ttl > 0 {
		d.devices[attendant][device].expires = now.Add(ttl)
	}
	return fx, err
}

// DeviceSeen keeps an in-process device's presence for another ttl (a
// heartbeat: no effects). It reports false when the device has no
// presence to keep (it never set one, timed out or said offline): set
// it again with DevicePresence.
func (d *Dispatcher) DeviceSeen(now time.Time, attendant, device string, ttl time.Duration) bool {
	dev := d.devices[attendant][device]
	if dev == nil || dev.status == protocol.PresenceOffline {
		return false
	}
	if ttl > 0 {
		dev.expires = now.Add(ttl)
	}
	return true
}

// expireDevices takes in-process devices whose ttl passed offline.
func (d *Dispatcher) expireDevices(now time.Time, fx *Effects) {
	for _, id := range sortedKeys(d.devices) {
		for _, name := range sortedKeys(d.devices[id]) {
			dev := d.devices[id][name]
			if dev.expires.IsZero() || now.Before(dev.expires) {
				continue
			}
			dev.status, dev.expires = protocol.PresenceOffline, time.Time{}
			fx.add(d.presenceChanged(now, id))
		}
	}
}

// nextExpiry is the earliest time an in-process device times out.
func (d *Dispatcher) nextExpiry() time.Time {
	var next time.Time
	for _, devs := range d.devices {
		for _, dev := range devs {
			if !dev.expires.IsZero() && (next.IsZero() || dev.expires.Before(next)) {
				next = dev.expires
			}
		}
	}
	return next
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
