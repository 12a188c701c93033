package kiosk

import (
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/protocol"
)

// SnapshotVersion is the version of the Snapshot layout. Restore refuses
// other versions.
const SnapshotVersion = 1

// Snapshot is the engine's complete state, JSON-serialisable. The daemon
// journals it (synced) after every Effects.Changed and hands it to Restore
// after a restart, so a lane killed at any moment resumes the same
// session, with the same items, pending item, open alerts, counters and
// processed command ids.
//
// Everything except Sensors is session state: a change to it sets
// Effects.Changed. Sensors (the settle run, the current settled weight,
// device timers) changes with nearly every scale reading and is not by
// itself a reason to journal; after a crash it is rebuilt from fresh
// readings within a second. The same holds for the baseline while idle,
// which only follows the scale.
type Snapshot struct {
	Version int       `json:"version"`
	Lane    string    `json:"lane"`
	Seq     uint64    `json:"seq"`
	TS      time.Time `json:"ts"`

	Session  string `json:"session"`   // "" when idle
	NextLine int    `json:"next_line"` // number of the next basket line
	Basket   []Line `json:"basket"`
	// Pending is the scanned item waiting for its weight on the bagging
	// area, or nil.
	Pending *Pending `json:"pending"`
	// Held is a scan that came while Pending waited for its weight; it is
	// scanned once Pending is accepted or voided.
	Held *devices.Scan `json:"held"`
	// UnknownScans counts unrecognised scans in a row.
	UnknownScans int `json:"unknown_scans"`
	// AgeVerified is set by age_ok and lasts for the session.
	AgeVerified bool `json:"age_verified"`
	// OwnBag says the shopper announced their own bag: the next settled
	// gain of at most OwnBagMaxG that no pending item explains is the bag.
	OwnBag bool `json:"own_bag,omitempty"`
	// SkippedBags counts the items of the session accepted without their
	// weight by skip bagging.
	SkippedBags int `json:"skipped_bags,omitempty"`
	// BaselineG is the last accepted bagging-area weight; HasBaseline is
	// false until the scale has settled once.
	BaselineG   int  `json:"baseline_g"`
	HasBaseline bool `json:"has_baseline"`
	// Anomaly is an unexpected gain or a loss on the bagging area.
	Anomaly *Anomaly `json:"anomaly"`
	// LateHeld is an item quick hands took as already down together with
	// the one before it, though the gain fitted that one alone: until
	// the next scan, its weight arriving is that item.
	LateHeld *LateHeld `json:"late_held,omitempty"`
	// Alerts are the open alerts, oldest first.
	Alerts []OpenAlert `json:"alerts"`
	// Closed remembers recently closed alerts (bounded) so that a late
	// command gets "already resolved" rather than "unknown alert".
	Closed []ClosedAlert `json:"closed"`
	// Processed remembers recent command results (bounded) by command id,
	// so that a duplicate delivery gets the same answer.
	Processed    []protocol.CommandResult `json:"processed"`
	Assist       *protocol.Assist         `json:"assist"`
	OutOfService bool                     `json:"out_of_service"`
	// Notice is a one-off message for the shopper (an unrecognised scan,
	// a refused finish); it is cleared by the shopper's next action.
	Notice    string `json:"notice"`
	ScannerOn bool   `json:"scanner_on"`
	// HelpCancelled is when the shopper last cancelled help (zero:
	// never); a press within HelpDebounce of it does not page.
	HelpCancelled time.Time `json:"help_cancelled,omitzero"`
	// JournalFault says why the daemon cannot write its journal ("" when
	// it can). It is never journaled: a restarted lane finds out again.
	JournalFault string `json:"-"`

	// Started is the time of the session's first scan; SessionAlerts
	// counts the alerts raised during the session (for its checkout).
	Started       time.Time `json:"started"`
	SessionAlerts int       `json:"session_alerts"`

	Sensors Sensors `json:"sensors"`
}

// Line is one basket line.
type Line struct {
	N    int  `json:"n"`
	Item Item `json:"item"`
	// Bagged is true once the item's weight was accepted (or approved);
	// BaggedG is the gain that was accepted for it.
	Bagged  bool `json:"bagged"`
	BaggedG int  `json:"bagged_g"`
	// Skipped is true for an item accepted without weight (skip bagging).
	Skipped bool `json:"skipped,omitempty"`
}

// Pending is a scanned item waiting for its weight.
type Pending struct {
	Line int `json:"line"` // Line.N
	// Deadline is the next bag_timeout expiry; zero once an alert is open.
	Deadline   time.Time `json:"deadline"`
	Prompts    int       `json:"prompts"`    // bag_timeout expiries so far
	Mismatches int       `json:"mismatches"` // wrong stable gains so far
	Mismatch   bool      `json:"mismatch"`   // the last judged weight was wrong
	JudgedRun  uint64    `json:"judged_run"` // Sensors.RunID last judged
	Alert      string    `json:"alert"`      // open alert about this item
}

// LateHeld is the second of two items quick hands accepted together.
type LateHeld struct {
	First      int `json:"first"` // Line.N of the pending item
	Line       int `json:"line"`  // Line.N of the held one
	WeightG    int `json:"weight_g"`
	ToleranceG int `json:"tolerance_g"`
}

// Anomaly is a settled bagging-area weight that differs from the baseline
// with no item pending to explain it.
type Anomaly struct {
	Gain     bool      `json:"gain"` // true: unexpected item; false: item removed
	DeltaG   int       `json:"delta_g"`
	Since    time.Time `json:"since"`
	Deadline time.Time `json:"deadline"` // zero once the alert was raised
	Alert    string    `json:"alert"`
}

// OpenAlert is an open alert with the key of the condition that raised it
// (the device for device_fault).
type OpenAlert struct {
	Alert protocol.Alert `json:"alert"`
	Key   string         `json:"key,omitempty"`
}

// ClosedAlert is a recently closed alert.
type ClosedAlert struct {
	ID     string `json:"id"`
	Status string `json:"status"` // resolved | cancelled
}

// Sensors is the engine's view of the devices.
type Sensors struct {
	// Run counts consecutive stable readings within SettleToleranceG of
	// each other; RunMin and RunMax bound them.
	Run    int `json:"run"`
	RunMin int `json:"run_min"`
	RunMax int `json:"run_max"`
	// RunID counts settled weights since the lane started.
	RunID uint64 `json:"run_id"`
	// Settled says SettledG is the current settled weight.
	Settled  bool `json:"settled"`
	SettledG int  `json:"settled_g"`
	// Devices are the device conditions being timed, sorted by key.
	Devices []DeviceTimer `json:"devices"`
}

// DeviceTimer times a device condition (port lost, scale not answering
// with a weight) towards device_grace.
type DeviceTimer struct {
	Key      string    `json:"key"`
	Detail   string    `json:"detail"`
	Deadline time.Time `json:"deadline"`
	Alerted  bool      `json:"alerted"`
}

// Bounds on the remembered closed alerts and processed commands.
const (
	maxClosed    = 256
	maxProcessed = 256
)

// Snapshot returns a deep copy of the engine's state.
func (e *Engine) Snapshot() Snapshot { return cloneSnapshot(e.st) }

// Restore replaces the engine's state with s (from Snapshot, possibly
// through JSON). It checks that s belongs to this lane and is consistent.
// After Restore the daemon applies ScannerEnabled and NextDeadline.
func (e *Engine) Restore(s Snapshot) error {
	if s.Version != SnapshotVersion {
		return fmt.Errorf("kiosk: snapshot version %d, want %d", s.Version, SnapshotVersion)
	}
	if s.Lane != e.cfg.Lane {
		return fmt.Errorf("kiosk: snapshot is for lane %q, not %q", s.Lane, e.cfg.Lane)
	}
	if s.Pending != nil && !slices.ContainsFunc(s.Basket, func(l Line) bool { return l.N == s.Pending.Line }) {
		return fmt.Errorf("kiosk: snapshot pending line %d is not in the basket", s.Pending.Line)
	}
	if s.Session == "" && len(s.Basket) > 0 {
		return fmt.Errorf("kiosk: snapshot has %d basket lines but no session", len(s.Basket))
	}
	for _, a := range s.Alerts {
		if a.Alert.ID == "" || !a.Alert.Kind.Valid() {
			return fmt.Errorf("kiosk: snapshot has an invalid open alert %q (kind %q)", a.Alert.ID, a.Alert.Kind)
		}
	}
	e.st = cloneSnapshot(s)
	return nil
}

func cloneSnapshot(s Snapshot) Snapshot {
	c := s
	c.Basket = slices.Clone(s.Basket)
	c.Pending = clonePtr(s.Pending)
	c.Anomaly = clonePtr(s.Anomaly)
	c.LateHeld = clonePtr(s.LateHeld)
	c.Held = clonePtr(s.Held)
	c.Alerts = slices.Clone(s.Alerts)
	for i := range c.Alerts {
		c.Alerts[i].Alert.Item = clonePtr(c.Alerts[i].Alert.Item)
	}
	c.Closed = slices.Clone(s.Closed)
	c.Processed = slices.Clone(s.Processed)
	c.Assist = clonePtr(s.Assist)
	c.Sensors.Devices = slices.Clone(s.Sensors.Devices)
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// sameSession reports whether a and b hold the same session state:
// everything but Seq, TS and Sensors, and, while idle, the baseline (it
// follows the scale and is taken again after a restart).
func sameSession(a, b *Snapshot) bool {
	x, y := *a, *b
	x.Seq, y.Seq = 0, 0
	x.TS, y.TS = time.Time{}, time.Time{}
	x.Sensors, y.Sensors = Sensors{}, Sensors{}
	if x.Session == "" && y.Session == "" {
		x.BaselineG, y.BaselineG = 0, 0
		x.HasBaseline, y.HasBaseline = false, false
	}
	return reflect.DeepEqual(x, y)
}
