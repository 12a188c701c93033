package web

import (
	"log/slog"
	"sync"
	"time"

	"github.com/sco-project/sco/protocol"
)

// OfflineAfter is how long a handheld may go unseen before it counts as
// offline, like a pager's will. A handheld is seen when it opens its event
// stream, whenever it answers a ping on it (every Opts.PingEvery), and on
// every action.
const OfflineAfter = 30 * time.Second

// forgetAfter is when an offline device's record is dropped; a handheld
// that comes back re-announces the status it shows.
const forgetAfter = time.Hour

// devices is the presence of every handheld: the status its attendant
// chose on it and whether it is reachable. It tells the Backend each
// change, one device at a time, with a seq that only grows.
type devices struct {
	mu      sync.Mutex
	m       map[devKey]*device
	backend Backend
	log     *slog.Logger
	now     func() time.Time
}

type devKey struct{ attendant, device string }

type device struct {
	chosen   string    // what the attendant chose on it
	reported string    // what the Backend was last told ("" never)
	seen     time.Time // last sign of life
	seq      uint64
}

func newDevices(b Backend, log *slog.Logger, now func() time.Time) *devices {
	return &devices{m: map[devKey]*device{}, backend: b, log: log, now: now}
}

func validStatus(s string) bool {
	switch s {
	case protocol.PresenceAvailable, protocol.PresenceBusy, protocol.PresenceBreak, protocol.PresenceOffline:
		return true
	}
	return false
}

// connect is a view opening its stream. shown is the status the view
// shows (it remembers it across reloads); it counts only when the app has
// no record of the device (the bridge restarted). It returns the device's
// status.
func (ds *devices) connect(attendant, dev, shown string) string {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	k := devKey{attendant, dev}
	d, ok := ds.m[k]
	if !ok {
		if !validStatus(shown) {
			shown = protocol.PresenceOffline
		}
		d = &device{chosen: shown}
		ds.m[k] = d
	}
	d.seen = ds.now()
	ds.sync(k, d)
	return d.chosen
}

// set is the attendant choosing a status on the device.
func (ds *devices) set(attendant, dev, status string) {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	k := devKey{attendant, dev}
	d, ok := ds.m[k]
	if !ok {
		d = &device{}
		ds.m[k] = d
	}
	d.chosen = status
	d.seen = ds.now()
	ds.sync(k, d)
}

// beat is a sign of life from the device.
func (ds *devices) beat(attendant, dev string) {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	k := devKey{attendant, dev}
	if d, ok := ds.m[k]; ok {
		d.seen = ds.now()
		ds.sync(k, d)
	}
}

// status is the status chosen on a device (offline when unknown).
func (ds *devices) status(attendant, dev string) string {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	if d, ok := ds.m[devKey{attendant, dev}]; ok {
		return d.chosen
	}
	return protocol.PresenceOffline
}

// signOut takes the device offline and forgets it.
func (ds *devices) signOut(attendant, dev string) {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	k := devKey{attendant, dev}
	d, ok := ds.m[k]
	if !ok {
		return
	}
	ds.report(k, d, protocol.PresenceOffline)
	delete(ds.m, k)
}

// sweep takes every device unseen for OfflineAfter offline (it comes back
// with its chosen status at its next sign of life) and forgets devices
// offline for forgetAfter.
func (ds *devices) sweep(now time.Time) {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	for k, d := range ds.m {
		idle := now.Sub(d.seen)
		switch {
		case idle >= forgetAfter && (d.reported == protocol.PresenceOffline || d.reported == ""):
			delete(ds.m, k)
		case idle >= OfflineAfter && d.reported != protocol.PresenceOffline && d.reported != "":
			ds.log.Info("handheld unreachable: offline", "attendant", k.attendant, "device", k.device, "unseen", idle.Round(time.Second))
			ds.report(k, d, protocol.PresenceOffline)
		}
	}
}

// sync tells the Backend the chosen status when it differs from what it
// was last told. Called with mu held, on a sign of life.
func (ds *devices) sync(k devKey, d *device) {
	if d.reported != d.chosen {
		ds.report(k, d, d.chosen)
	}
}

func (ds *devices) report(k devKey, d *device, status string) {
	now := ds.now()
	d.seq = max(d.seq+1, uint64(now.UnixMilli()))
	d.reported = status
	if err := ds.backend.Presence(k.attendant, k.device, protocol.Presence{Status: status, Seq: d.seq, TS: protocol.At(now)}); err != nil {
		ds.log.Warn("presence not passed on", "attendant", k.attendant, "device", k.device, "err", err)
	}
}

// online counts the devices the Backend was last told are on shift.
func (ds *devices) online() int {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	n := 0
	for _, d := range ds.m {
		if d.reported == protocol.PresenceAvailable || d.reported == protocol.PresenceBusy {
			n++
		}
	}
	return n
}
