package protocol

// PagerError is an error a pager sees in pager/{id}/result "error". Each
// value is part of the contract (docs/protocol.md, "Errors"): pager apps
// branch on them, so they never change wording.
type PagerError string

func (e PagerError) Error() string { return string(e) }

// Pager errors.
const (
	// ErrBadCommand begins the answer to a command that is malformed (not
	// a JSON object of at most 16 KiB, an unknown action or resolution, a
	// field missing): "bad command: " and the reason.
	ErrBadCommand PagerError = "bad command"
	// ErrBadID: an id, alert or session is not 1 to 128 bytes of
	// [A-Za-z0-9._:-] (ValidMsgID).
	ErrBadID PagerError = "bad id"
	// ErrRateLimited: the pager sent more commands than the bridge's
	// limits allow; the command was dropped.
	ErrRateLimited PagerError = "rate limited"
	// ErrStale: the command's ts is more than limits.cmd_max_age behind
	// the bridge's clock; it changed nothing.
	ErrStale            PagerError = "stale"
	ErrUnknownAttendant PagerError = "unknown attendant"
	ErrUnknownAlert     PagerError = "unknown alert"
	ErrAlertClosed      PagerError = "alert closed"
	ErrNotPaged         PagerError = "not paged for this alert"
	// ErrUnknownLane answers a "lane" command for a lane the bridge has
	// never had a state from.
	ErrUnknownLane     PagerError = "unknown lane"
	ErrAlreadyClaimed  PagerError = "already claimed"
	ErrNotAllowed      PagerError = "resolution not allowed for this alert"
	ErrRoleRequired    PagerError = "role required"
	ErrPending         PagerError = "resolution pending"
	ErrCancelledByLane PagerError = "alert cancelled by lane"
	ErrNotOnLane       PagerError = "alert not open on lane"
	// ErrLanePrefix begins the error of a command the lane refused:
	// "lane: " and the lane's own reason.
	ErrLanePrefix PagerError = "lane: "
)
