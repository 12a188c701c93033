package protocol

import "fmt"

// AssistInfo is the lane state's view of who is coming.
type AssistInfo struct {
	Alert     string `json:"alert"`
	Attendant string `json:"attendant"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	// EtaS and TS are the assist's eta_s and ts (the shopper screen
	// counts down from them); absent when the assist has no eta.
	EtaS *int  `json:"eta_s,omitempty"`
	TS   *Time `json:"ts,omitempty"`
}

// BasketItem is one line of the basket in GET /api/state.
type BasketItem struct {
	GTIN       string `json:"gtin"`
	Name       string `json:"name"`
	PriceCents int64  `json:"price_cents"`
}

// LaneState is lane/{lane}/state (retained) and GET /api/state.
type LaneState struct {
	Store      string       `json:"store"`
	Lane       string       `json:"lane"`
	Zone       string       `json:"zone"`
	Online     bool         `json:"online"`
	State      string       `json:"state"`
	Light      string       `json:"light"`
	Prompt     string       `json:"prompt"`
	Session    string       `json:"session"`
	Items      int          `json:"items"`
	TotalCents int64        `json:"total_cents"`
	Alerts     []string     `json:"alerts"`
	Assist     *AssistInfo  `json:"assist"`
	Seq        uint64       `json:"seq"`
	TS         Time         `json:"ts"`
	Basket     []BasketItem `json:"basket,omitzero"` // GET /api/state only, always ([] when empty); nil on MQTT
}

// Validate implements the check Decode runs.
func (m *LaneState) Validate() error {
	if err := required("lane", m.Lane); err != nil {
		return err
	}
	return nil
}

// ItemRef names the item an alert is about.
type ItemRef struct {
	GTIN string `json:"gtin"`
	Name string `json:"name"`
}

// Alert is lane/{lane}/alert.
type Alert struct {
	ID       string   `json:"id"`
	Store    string   `json:"store"`
	Lane     string   `json:"lane"`
	Zone     string   `json:"zone"`
	Kind     Kind     `json:"kind"`
	Severity string   `json:"severity"`
	Status   string   `json:"status"` // open | cancelled
	Attempts int      `json:"attempts"`
	Detail   string   `json:"detail"`
	Item     *ItemRef `json:"item"`
	TS       Time     `json:"ts"`
}

// Validate implements the check Decode runs.
func (m *Alert) Validate() error {
	for f, v := range map[string]string{"id": m.ID, "lane": m.Lane} {
		if err := required(f, v); err != nil {
			return fmt.Errorf("alert: %w", err)
		}
	}
	if !m.Kind.Valid() {
		return fmt.Errorf("alert %s: unknown kind %q", m.ID, m.Kind)
	}
	if m.Status != AlertOpen && m.Status != AlertCancelled {
		return fmt.Errorf("alert %s: status %q must be open or cancelled", m.ID, m.Status)
	}
	return nil
}

// Command is lane/{lane}/command: the bridge tells a lane how an alert was
// resolved (or to go out of / back into service).
type Command struct {
	ID     string `json:"id"`
	Alert  string `json:"alert"`
	Action Action `json:"action"`
	By     string `json:"by"`
	TS     Time   `json:"ts"`
}

// Validate implements the check Decode runs.
func (m *Command) Validate() error {
	if err := required("id", m.ID); err != nil {
		return fmt.Errorf("command: %w", err)
	}
	if !ValidMsgID(m.ID) {
		return fmt.Errorf("command: bad id %.40q (at most 128 bytes of [A-Za-z0-9._:-])", m.ID)
	}
	if m.Alert != "" && !ValidMsgID(m.Alert) {
		return fmt.Errorf("command %s: bad alert id %.40q", m.ID, m.Alert)
	}
	if !m.Action.Valid() {
		return fmt.Errorf("command %s: unknown action %q", m.ID, m.Action)
	}
	if m.Alert == "" && m.Action != ActionOutOfService && m.Action != ActionInService {
		return fmt.Errorf("command %s: %q needs an alert", m.ID, m.Action)
	}
	return nil
}

// CommandResult is lane/{lane}/command/result.
type CommandResult struct {
	ID    string `json:"id"`
	OK    bool   `json:"ok"`
	Error string `json:"error"`
	TS    Time   `json:"ts"`
}

// Validate implements the check Decode runs.
func (m *CommandResult) Validate() error { return required("id", m.ID) }

// Checkout is lane/{lane}/checkout: a finished session, published once
// per session through the lane's outbox (at least once: the bridge
// deduplicates by session), so that the store's report counts
// interventions per checkout exactly.
type Checkout struct {
	Session    string `json:"session"`
	Items      int    `json:"items"`
	TotalCents int64  `json:"total_cents"`
	Started    Time   `json:"started"`  // the first scan
	Finished   Time   `json:"finished"` // finish
	Alerts     int    `json:"alerts"`   // alerts the lane raised during the session
	TS         Time   `json:"ts"`
}

// Validate implements the check Decode runs.
func (m *Checkout) Validate() error {
	if err := required("session", m.Session); err != nil {
		return fmt.Errorf("checkout: %w", err)
	}
	if !ValidMsgID(m.Session) {
		return fmt.Errorf("checkout: bad session id (at most %d bytes of [A-Za-z0-9._:-])", MaxMsgID)
	}
	if m.Items < 0 || m.Alerts < 0 {
		return fmt.Errorf("checkout %s: items %d and alerts %d must not be negative", m.Session, m.Items, m.Alerts)
	}
	if m.Finished.IsZero() {
		return fmt.Errorf("checkout %s: finished: required", m.Session)
	}
	return nil
}

// Assist is lane/{lane}/assist (retained): who is coming to the lane. An
// empty payload clears it.
type Assist struct {
	Alert     string `json:"alert"`
	Status    string `json:"status"` // open, paged, claimed, or AssistArrived
	Attendant string `json:"attendant"`
	Name      string `json:"name"`
	Tier      int    `json:"tier"`
	// EtaS is the claimer's walk to the lane in seconds, counted from TS;
	// absent unless the status is claimed.
	EtaS *int `json:"eta_s,omitempty"`
	TS   Time `json:"ts"`
}

// Validate implements the check Decode runs.
func (m *Assist) Validate() error {
	if err := required("alert", m.Alert); err != nil {
		return err
	}
	if m.EtaS != nil && *m.EtaS < 0 {
		return fmt.Errorf("assist %s: eta_s: negative", m.Alert)
	}
	return nil
}

// AlertRecord is alert/{id} (retained): the bridge's view of an alert. An
// empty payload means the alert is closed.
type AlertRecord struct {
	ID         string `json:"id"`
	Lane       string `json:"lane"`
	Kind       Kind   `json:"kind"`
	Severity   string `json:"severity"`
	Status     string `json:"status"`
	Tier       int    `json:"tier"`
	ClaimedBy  string `json:"claimed_by"`
	Raised     Time   `json:"raised"`
	Claimed    Time   `json:"claimed"`
	Resolved   Time   `json:"resolved"`
	Resolution string `json:"resolution"`
}

// Validate implements the check Decode runs.
func (m *AlertRecord) Validate() error { return required("id", m.ID) }

// Presence is pager/{attendant}/presence (retained; the will says
// offline).
type Presence struct {
	Status string `json:"status"`
	Zone   string `json:"zone"`
	Seq    uint64 `json:"seq"`
	// Device names one of the attendant's handhelds (stable per device;
	// "" means the attendant has one). Each device's presence counts on
	// its own, and its seq only grows.
	Device string `json:"device,omitempty"`
	TS     Time   `json:"ts"`
}

// Validate implements the check Decode runs.
func (m *Presence) Validate() error {
	switch m.Status {
	case PresenceAvailable, PresenceBusy, PresenceBreak, PresenceOffline:
		return nil
	}
	return fmt.Errorf("presence: unknown status %q", m.Status)
}

// Page is pager/{attendant}/page and broadcast/page: a page, or (with
// Withdrawn) the withdrawal of one.
type Page struct {
	Alert    string `json:"alert"`
	Lane     string `json:"lane,omitempty"`
	Zone     string `json:"zone,omitempty"`
	Kind     Kind   `json:"kind,omitempty"`
	Severity string `json:"severity,omitempty"`
	Text     string `json:"text,omitempty"`
	Tier     int    `json:"tier,omitempty"`
	// Resolutions are those this attendant may use for this alert (by
	// its kind and their roles); the bridge's pages have them, a lane's
	// broadcast pages and withdrawals do not.
	Resolutions []Action `json:"resolutions,omitempty"`
	Withdrawn   bool     `json:"withdrawn,omitempty"`
	Reason      string   `json:"reason,omitempty"`
	TS          Time     `json:"ts"`
}

// Validate implements the check Decode runs.
func (m *Page) Validate() error { return required("alert", m.Alert) }

// PagerCmd is pager/{attendant}/cmd.
type PagerCmd struct {
	ID         string `json:"id"`
	Alert      string `json:"alert"`
	Action     string `json:"action"` // claim | release | resolve | arrive | lane
	Resolution Action `json:"resolution"`
	// Lane is the lane a "lane" command closes or opens; "" otherwise.
	Lane string `json:"lane,omitempty"`
	TS   Time   `json:"ts"`
}

// Validate implements the check Decode runs: the fields each action
// needs (ids are checked by the bridge, which answers "bad id").
func (m *PagerCmd) Validate() error {
	if err := required("id", m.ID); err != nil {
		return fmt.Errorf("pager cmd: %w", err)
	}
	switch m.Action {
	case PagerClaim, PagerRelease, PagerArrive, PagerResolve:
		if err := required("alert", m.Alert); err != nil {
			return fmt.Errorf("pager cmd %s: %w", m.ID, err)
		}
		if m.Action == PagerResolve && !m.Resolution.Valid() {
			return fmt.Errorf("pager cmd %s: unknown resolution %q", m.ID, m.Resolution)
		}
	case PagerLane:
		if !ValidID(m.Lane) {
			return fmt.Errorf("pager cmd %s: lane %q must match [a-z0-9-]+", m.ID, m.Lane)
		}
		if m.Resolution != ActionOutOfService && m.Resolution != ActionInService {
			return fmt.Errorf("pager cmd %s: a lane command's resolution is out_of_service or in_service, not %q", m.ID, m.Resolution)
		}
	default:
		return fmt.Errorf("pager cmd %s: unknown action %q", m.ID, m.Action)
	}
	return nil
}

// PagerResult is pager/{attendant}/result.
type PagerResult struct {
	ID        string `json:"id"`
	OK        bool   `json:"ok"`
	Error     string `json:"error"`
	ClaimedBy string `json:"claimed_by"`
	TS        Time   `json:"ts"`
}

// Validate implements the check Decode runs.
func (m *PagerResult) Validate() error { return required("id", m.ID) }

// Profile is pager/{attendant}/profile (retained): the roster entry the
// bridge has for an attendant, and the resolutions they may use by alert
// kind. An empty payload clears it: the attendant left the roster. A
// pager without a profile is not on the roster.
type Profile struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Zone        string            `json:"zone"`
	Roles       []string          `json:"roles"`
	Store       string            `json:"store"`
	Resolutions map[Kind][]Action `json:"resolutions"`
	TS          Time              `json:"ts"`
}

// Validate implements the check Decode runs.
func (m *Profile) Validate() error { return required("id", m.ID) }

// BridgeState is bridge/state (retained; the will says online:false).
type BridgeState struct {
	Online bool `json:"online"`
	TS     Time `json:"ts"`
}

// DecodePresence parses a presence payload. Besides the JSON object it
// accepts the bare word offline (older pagers' will: a v1 pager's will is
// the object, docs/protocol.md) and an empty payload (a cleared retained
// message), both as offline from a device without a name.
func DecodePresence(payload []byte) (Presence, error) {
	switch s := string(payload); s {
	case "", "offline", `"offline"`:
		return Presence{Status: PresenceOffline}, nil
	}
	var p Presence
	err := Decode(payload, &p)
	return p, err
}
