package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Version is the protocol version in every topic.
const Version = "v1"

// MaxPayload is the largest payload any daemon accepts. Larger messages
// are rejected with ErrTooLarge before they are parsed.
const MaxPayload = 16 << 10

// ErrTooLarge is returned by Decode for payloads over MaxPayload.
var ErrTooLarge = errors.New("payload too large")

var idRe = regexp.MustCompile(`^[a-z0-9-]+$`)

// ValidID reports whether s is a valid store, lane or zone id: [a-z0-9-]+.
func ValidID(s string) bool { return idRe.MatchString(s) }

// MaxMsgID is the longest message id (id, alert, session) in bytes.
const MaxMsgID = 128

// ValidMsgID reports whether s is a valid message id (a command's or a
// result's id, an alert id, a session id): 1 to MaxMsgID bytes of
// [A-Za-z0-9._:-]. An alert id is a topic level (alert/{id}), so nothing
// else is safe there; and a bounded id keeps a lane command within what
// a broker delivers.
func ValidMsgID(s string) bool {
	if s == "" || len(s) > MaxMsgID {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// Lane states.
const (
	StateIdle         = "idle"
	StateShopping     = "shopping"
	StateAttention    = "attention"
	StateAssist       = "assist"
	StateOutOfService = "out_of_service"
	StateOffline      = "offline"
)

// Kind is what an alert is about.
type Kind string

// Alert kinds.
const (
	KindUnknownItem    Kind = "unknown_item"
	KindBagTimeout     Kind = "bag_timeout"
	KindWeightMismatch Kind = "weight_mismatch"
	KindUnexpectedItem Kind = "unexpected_item"
	KindItemRemoved    Kind = "item_removed"
	KindAgeCheck       Kind = "age_check"
	KindHelp           Kind = "help"
	KindDeviceFault    Kind = "device_fault"
	KindSkipBag        Kind = "skip_bag" // v1.1: the shopper skipped bagging beyond the lane's limit
)

// Kinds lists every alert kind.
var Kinds = []Kind{KindUnknownItem, KindBagTimeout, KindWeightMismatch, KindUnexpectedItem, KindItemRemoved, KindAgeCheck, KindHelp, KindDeviceFault, KindSkipBag}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	for _, x := range Kinds {
		if k == x {
			return true
		}
	}
	return false
}

// Severities, in increasing order of urgency.
const (
	SeverityLow    = "low"
	SeverityMedium = "medium"
	SeverityHigh   = "high"
)

// SeverityOf is the severity a lane gives each kind: weight and scan
// troubles the shopper could still fix are medium; a shopper who asked
// for help or waits for an age check, and a broken lane, are high.
func SeverityOf(k Kind) string {
	switch k {
	case KindHelp, KindAgeCheck, KindDeviceFault:
		return SeverityHigh
	default:
		return SeverityMedium
	}
}

// RoleFor is the attendant role a kind needs.
func RoleFor(k Kind) string {
	if k == KindAgeCheck {
		return RoleAgeVerifier
	}
	return RoleAttendant
}

// Roles.
const (
	RoleAttendant   = "attendant"
	RoleAgeVerifier = "age_verifier"
	RoleSupervisor  = "supervisor"
)

// LaneErrUnknownAlert begins the error a lane answers on
// lane/{lane}/command/result for a command naming an alert it has no
// record of, open or closed: "unknown alert {id}". The bridge closes such
// an alert (a lane publishes a new alert while it journals it, so a lane
// that died in between comes back without it).
const LaneErrUnknownAlert = "unknown alert"

// LaneErrAlreadyCancelled ends the error a lane answers for a command
// naming an alert it has closed as cancelled: "alert {id} is already
// cancelled". The bridge closes such an alert too (the cancel was lost on
// the way).
const LaneErrAlreadyCancelled = "is already " + AlertCancelled

// Alert statuses. A lane publishes open and cancelled on lane/{lane}/alert;
// the bridge publishes all of them on alert/{id}.
const (
	AlertOpen      = "open"
	AlertPaged     = "paged"
	AlertClaimed   = "claimed"
	AlertResolved  = "resolved"
	AlertCancelled = "cancelled"
)

// AssistArrived is the status lane/{lane}/assist says once the claimer
// sent arrive: they are at the lane. The alert itself stays claimed.
const AssistArrived = "arrived"

// Action is a resolution or lane command action.
type Action string

// Actions.
const (
	ActionApprove      Action = "approve"
	ActionVoid         Action = "void"
	ActionAgeOK        Action = "age_ok"
	ActionAgeRefused   Action = "age_refused"
	ActionClear        Action = "clear"
	ActionOutOfService Action = "out_of_service"
	ActionInService    Action = "in_service"
)

// Actions lists every action.
var Actions = []Action{ActionApprove, ActionVoid, ActionAgeOK, ActionAgeRefused, ActionClear, ActionOutOfService, ActionInService}

// Valid reports whether a is a known action.
func (a Action) Valid() bool {
	for _, x := range Actions {
		if a == x {
			return true
		}
	}
	return false
}

// ActionsFor lists the resolutions that make sense for an alert kind.
// out_of_service is allowed for every kind.
func ActionsFor(k Kind) []Action {
	switch k {
	case KindUnknownItem:
		return []Action{ActionVoid, ActionClear, ActionOutOfService}
	case KindBagTimeout, KindWeightMismatch, KindItemRemoved, KindSkipBag:
		return []Action{ActionApprove, ActionVoid, ActionOutOfService}
	case KindUnexpectedItem:
		return []Action{ActionApprove, ActionClear, ActionOutOfService}
	case KindAgeCheck:
		return []Action{ActionAgeOK, ActionAgeRefused, ActionOutOfService}
	case KindHelp:
		return []Action{ActionClear, ActionOutOfService}
	case KindDeviceFault:
		return []Action{ActionClear, ActionOutOfService, ActionInService}
	}
	return nil
}

// Allowed reports whether action a may resolve an alert of kind k.
func Allowed(k Kind, a Action) bool {
	for _, x := range ActionsFor(k) {
		if x == a {
			return true
		}
	}
	return false
}

// Pager command actions.
const (
	PagerClaim   = "claim"
	PagerRelease = "release"
	PagerResolve = "resolve"
	// PagerArrive: the attendant is at the lane of the alert they claimed.
	PagerArrive = "arrive"
	// PagerLane: take a lane out of service or put it back (resolution
	// out_of_service or in_service, lane in "lane"); supervisors only.
	PagerLane = "lane"
)

// Presence statuses.
const (
	PresenceAvailable = "available"
	PresenceBusy      = "busy"
	PresenceBreak     = "break"
	PresenceOffline   = "offline"
)

// Time is a timestamp that travels as RFC 3339 with milliseconds in UTC
// (2026-11-23T10:04:05.123Z). The zero Time travels as null.
type Time struct{ time.Time }

// TimeFormat is the wire format of every timestamp.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// At wraps t.
func At(t time.Time) Time { return Time{t} }

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.UTC().Format(TimeFormat) + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler; it accepts any RFC 3339
// time and null.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp must be a string: %w", err)
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("timestamp %q is not RFC 3339", s)
	}
	t.Time = v.UTC()
	return nil
}

// Decode parses a JSON payload into v, rejecting payloads over MaxPayload,
// trailing data, and (when v has a Validate method) invalid content.
func Decode(payload []byte, v any) error {
	if len(payload) > MaxPayload {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(payload), MaxPayload)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("malformed JSON: %w", err)
	}
	if dec.More() {
		return errors.New("malformed JSON: trailing data after the object")
	}
	if val, ok := v.(interface{ Validate() error }); ok {
		return val.Validate()
	}
	return nil
}

// Encode marshals v; the types here cannot fail to marshal, so a failure
// is a programming error and panics.
func Encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("protocol: encode: " + err.Error())
	}
	return b
}

func required(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("%q is required", field)
	}
	return nil
}

// maxReadable is the largest payload whose id ReadableID looks for: a
// command over MaxPayload is still answered, up to this.
const maxReadable = 1 << 20

// ReadableID is the "id" of a command that failed to decode or validate,
// if it can be read, so that its sender (a pager, or the bridge for a
// lane) is not left waiting for an answer: a string of 1 to MaxMsgID bytes, or a number (by its digits),
// at the top level of a JSON object of at most maxReadable bytes, read
// up to the id (what follows it may be broken).
func ReadableID(payload []byte) string {
	if len(payload) > maxReadable {
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return ""
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return ""
		}
		if key != "id" {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return ""
			}
			continue
		}
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		var id string
		switch v := tok.(type) {
		case string:
			id = v
		case json.Number:
			id = v.String()
		}
		if len(id) > MaxMsgID {
			return ""
		}
		return id
	}
	return ""
}
