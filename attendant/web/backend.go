package web

import (
	"context"
	"errors"

	"github.com/sco-project/sco/protocol"
)

// Backend is the attendant bridge as the app sees it. The bridge
// implements it by feeding its dispatcher the same inputs an MQTT pager
// produces and by tapping the effects it publishes, so a web attendant is
// paged, escalated and arbitrated exactly like an MQTT pager, and the
// pages, withdrawals and results still go out on MQTT for the attendant's
// other devices.
//
// Attendant ids passed to a Backend are roster ids the app has just looked
// up (the app only acts for a signed-in attendant who is still on the
// roster); the bridge still checks them, as it does for MQTT, and answers
// protocol.ErrUnknownAttendant when one is not on the roster any more.
//
// Every method is safe for concurrent use. None may be called from inside
// a Subscribe callback.
type Backend interface {
	// Presence sets the presence of one device of an attendant, exactly
	// as a retained pager/{attendant}/presence with "device" would:
	// p.Status is available, busy, break or offline; p.Seq grows per
	// device (the app numbers them so that they also grow across its own
	// restarts), p.TS is the app's clock, p.Zone is empty. The attendant
	// is available (or busy) while any of their devices last said so; one
	// device's offline does not take the others off shift. device is the
	// handheld's stable id ("web-" and 32 hex digits). Presence only
	// queues the change and returns; it fails only when the bridge is
	// stopping.
	Presence(attendant, device string, p protocol.Presence) error

	// Command runs a pager command as the attendant, exactly as
	// pager/{attendant}/cmd would: c.Action is claim, release, resolve
	// (with c.Resolution) or arrive; c.ID is a fresh id of at most 128
	// bytes of [A-Za-z0-9._:-] (a retry of the same command re-uses it and
	// gets the same answer); c.TS is the app's clock. It returns the
	// answer the bridge publishes on pager/{attendant}/result for it, with
	// the contract's errors (protocol.ErrAlreadyClaimed with ClaimedBy,
	// protocol.ErrUnknownAlert, protocol.ErrAlertClosed, ...).
	//
	// Claim, release and arrive are answered at once. A resolve is
	// answered when the lane has applied (or refused) it; when ctx ends
	// first, Command returns ctx.Err() and the answer still comes later
	// as an EventResult for the attendant. Any other error means the
	// command was not taken (the bridge is stopping).
	Command(ctx context.Context, attendant string, c protocol.PagerCmd) (protocol.PagerResult, error)

	// Lane closes (protocol.ActionOutOfService) or opens
	// (protocol.ActionInService) a lane for a supervisor: the `lane` pager
	// action, carried to the lane as a lane/{lane}/command with no alert.
	// id is the command id, as for Command. The answer comes when the lane
	// has applied or refused it ("lane: <reason>"); an attendant who is
	// not a supervisor is answered protocol.ErrRoleRequired, and a lane the
	// bridge has never seen is answered ErrUnknownLane. ctx ends the wait
	// as for Command.
	Lane(ctx context.Context, attendant, id, lane string, action protocol.Action) (protocol.PagerResult, error)

	// Escalate moves an open alert that nobody has claimed to its next
	// tier now, as if its ack_timeout had just passed: tier 1 goes to tier
	// 2, tier 2 to tier 3, and at tier 3 everyone at tier 3 is paged again.
	// An alert with nobody to page (tier 0) is paged from tier 1 again.
	// Only a supervisor may (protocol.ErrRoleRequired otherwise); a claimed
	// alert is answered protocol.ErrAlreadyClaimed with ClaimedBy, an
	// unknown or closed one protocol.ErrUnknownAlert or
	// protocol.ErrAlertClosed. The answer's ID is id.
	Escalate(ctx context.Context, attendant, id, alert string) (protocol.PagerResult, error)

	// Snapshot is the state a view (re)connecting for this attendant
	// starts from. It is taken on the bridge's own goroutine, between
	// effects: every event delivered to a Subscribe callback before
	// Snapshot is called is included in it, and any event delivered
	// afterwards is at least as new. Events that arrive while Snapshot
	// runs may or may not be in it; the app applies them again after the
	// snapshot, which is harmless because each event carries the whole
	// state of what it names.
	Snapshot(ctx context.Context, attendant string) (Snapshot, error)

	// Subscribe calls fn for every effect the bridge publishes, in the
	// order it publishes them, on the bridge's own goroutine, from the
	// moment Subscribe returns until cancel returns (after which fn is
	// never called again). fn must return quickly and must not call the
	// Backend; the app only queues.
	Subscribe(fn func(Event)) (cancel func())
}

// ErrUnknownLane answers a lane action for a lane the bridge has never
// seen a state from: the contract's protocol.ErrUnknownLane.
const ErrUnknownLane = protocol.ErrUnknownLane

// ErrStopped is what a Backend returns when the bridge is stopping.
var ErrStopped = errors.New("web: the bridge is stopping")

// EventKind says which field of an Event is set.
type EventKind int

// Event kinds.
const (
	// EventPage: Page was published on pager/{To}/page: a page, or its
	// withdrawal (Page.Withdrawn, with Page.Reason).
	EventPage EventKind = iota + 1
	// EventResult: Result was published on pager/{To}/result.
	EventResult
	// EventAlert: the alert/{id} record changed (Alert); Closed when the
	// alert is closed (resolved or cancelled), after which the retained
	// record is cleared and no page for it is open.
	EventAlert
	// EventLane: a lane's retained lane/{lane}/state changed (Lane),
	// including the will (Online false).
	EventLane
	// EventAssist: lane/{AssistLane}/assist was published; a nil Assist
	// clears it.
	EventAssist
	// EventAttendant: an attendant's status, zone or current alert
	// changed (Attendant).
	EventAttendant
)

// Event is one effect the bridge published. Only the fields of its Kind
// are set.
type Event struct {
	Kind EventKind

	To     string               // EventPage, EventResult: the attendant
	Page   protocol.Page        // EventPage
	Result protocol.PagerResult // EventResult

	Alert  Alert // EventAlert
	Closed bool  // EventAlert

	Lane protocol.LaneState // EventLane

	AssistLane string           // EventAssist
	Assist     *protocol.Assist // EventAssist; nil clears

	Attendant AttendantStatus // EventAttendant
}

// Snapshot is what a view starts from; see Backend.Snapshot.
type Snapshot struct {
	// Pages are the pages this attendant holds now, as the contract's
	// re-sync sends them: the last page sent to them of every open,
	// unclaimed alert they are currently paged for (not withdrawn, not
	// declined), and the page of every open alert they have claimed (made
	// from the alert at its current tier if none was sent). Never a
	// withdrawal.
	Pages []protocol.Page
	// Alerts are every open alert of the store.
	Alerts []Alert
	// Lanes are the last retained state of every lane the bridge has
	// seen, offline ones included (Online false).
	Lanes []protocol.LaneState
	// Assists are the retained assist messages by lane.
	Assists map[string]protocol.Assist
	// Attendants are every roster entry with their status.
	Attendants []AttendantStatus
}

// Alert is an open alert as the app shows it: the alert/{id} record and
// what the lane said when it raised it.
type Alert struct {
	protocol.AlertRecord
	Zone   string            `json:"zone"`   // the lane's zone
	Item   *protocol.ItemRef `json:"item"`   // the item in question, if any
	Detail string            `json:"detail"` // the lane's detail text
	// Arrived is when the attendant who claimed it said they are at the
	// lane (the arrive action); zero until then.
	Arrived protocol.Time `json:"arrived"`
}

// AttendantStatus is one roster entry as the console shows it.
type AttendantStatus struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Zone is where the attendant is now: the zone of the lane they last
	// arrived at, else their roster zone.
	Zone string `json:"zone"`
	// Status is the attendant's presence over all their devices:
	// available, busy, break or offline.
	Status string `json:"status"`
	// Alert is the open alert they have claimed, "" when none.
	Alert string `json:"alert"`
}
