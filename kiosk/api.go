package kiosk

import (
	"time"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/protocol"
)

// EventKind says what an Event carries.
type EventKind uint8

// Event kinds.
const (
	EvTick       EventKind = iota // the clock moved (At); fire due timers
	EvScan                        // Scan
	EvReading                     // Reading from the bagging scale
	EvConn                        // Conn: scanner or scale lost / restored
	EvHelp                        // the shopper asked for help (button or screen)
	EvHelpCancel                  // the shopper cancelled the help request
	EvFinish                      // the shopper pressed finish / pay
	EvCommand                     // Command from the attendant bridge
	EvAssist                      // Assist from the bridge (nil Assist clears)
	EvJournal                     // the journal cannot be written (Err), or can again (nil Err)
	EvStart                       // the lane (re)started at At: the first event after NewEngine or Restore
	EvOwnBag                      // the shopper is about to place their own bag
	EvSkipBag                     // the shopper asks to skip bagging the pending item
)

// Event is one input to the engine. At is the time of the event and is the
// engine's only clock.
type Event struct {
	Kind    EventKind
	At      time.Time
	Scan    devices.Scan
	Reading devices.Reading
	Conn    devices.ConnEvent
	Command protocol.Command
	Assist  *protocol.Assist
	// Err is why the journal cannot be written (EvJournal; its text
	// names the file and becomes the device_fault detail), nil when it
	// can again.
	Err error
}

// Effects is what the daemon must do after an event, in this order:
// journal the snapshot (when Changed), then publish Alerts and Results,
// then publish the state and push it to the shopper screen.
type Effects struct {
	// Changed is true when the lane state or the session changed: the
	// daemon journals Snapshot() (synced) before anything else, then
	// publishes State().
	Changed bool
	// Alerts to publish on lane/{lane}/alert, in order: raised (status
	// open) or cancelled.
	Alerts []protocol.Alert
	// Results answers the commands in this event, for
	// lane/{lane}/command/result.
	Results []protocol.CommandResult
	// Scanner, when non-nil, asks the daemon to enable (true) or disable
	// (false) the scanner.
	Scanner *bool
	// Learned holds the learned-weight entries this event updated (see
	// Learned); the daemon stores them in data_dir. They are not session
	// state and never set Changed.
	Learned []Learned
	// Refused, when non-empty, says why the shopper's request in this
	// event (scan, finish, help cancel) was not carried out; the local API
	// answers it as a 4xx error. The prompt usually says it too.
	Refused string
	// Checkout is the session this event finished, for
	// lane/{lane}/checkout: the daemon journals it with the end of the
	// session and publishes it through the outbox.
	Checkout *protocol.Checkout
	// For the lane's metrics: what became of each scan the engine took
	// in this event, and the nudges it showed the shopper, by the kind
	// of alert each leads to when it does not work.
	Scans   []ScanOutcome
	Prompts []protocol.Kind
}

// ScanOutcome is what became of a scan.
type ScanOutcome string

// Scan outcomes. A scan held while the last item waits for its weight
// counts when it is scanned.
const (
	ScanRecognised   ScanOutcome = "recognised"
	ScanUnrecognised ScanOutcome = "unrecognised"
	ScanRefused      ScanOutcome = "refused" // out of service, waiting for the attendant or for the bagging area
)

// Item is a catalogue entry as the engine sees it, after any embedded
// price or weight of a variable-measure code has been applied.
type Item struct {
	GTIN          string // GTIN-14
	Name          string
	PriceCents    int64
	WeightG       int // expected weight; 0 with NoBag or unknown weight
	ToleranceG    int // 0 means Policy.DefaultToleranceG
	AgeRestricted bool
	NoBag         bool
	// Variable is a variable-measure item (its price or weight came in
	// the barcode): its weight is not learned.
	Variable bool `json:",omitempty"`
}

// Catalog looks a scan up. The engine calls it for every scan; an error
// means the scan is not a recognised item (bad check digit, not in the
// catalogue, unreadable), and its text is shown to store IT in the alert
// detail.
type Catalog interface {
	Lookup(s devices.Scan) (Item, error)
}

// Policy holds the lane's nudge and escalation thresholds (the `policy:`
// block of the lane config). Zero fields take the defaults from
// DefaultPolicy when passed through Policy.WithDefaults.
type Policy struct {
	UnknownItemAttempts int           `yaml:"unknown_item_attempts"`
	BagTimeout          time.Duration `yaml:"bag_timeout"`
	BagPrompts          int           `yaml:"bag_prompts"`
	MismatchAttempts    int           `yaml:"mismatch_attempts"`
	DefaultToleranceG   int           `yaml:"default_tolerance_g"`
	UnexpectedGrace     time.Duration `yaml:"unexpected_grace"`
	RemovedGrace        time.Duration `yaml:"removed_grace"`
	DeviceGrace         time.Duration `yaml:"device_grace"`
	// SettleReadings is how many consecutive stable readings within
	// SettleToleranceG of each other make a settled weight.
	SettleReadings   int `yaml:"settle_readings"`
	SettleToleranceG int `yaml:"settle_tolerance_g"`
	// OwnBagMaxG is the heaviest gain taken as the shopper's own bag.
	OwnBagMaxG int `yaml:"own_bag_max_g"`
	// SkipBagLimit is how many items a session may skip bagging without
	// an attendant.
	SkipBagLimit int `yaml:"skip_bag_limit"`
	// LearnMinSamples is how many samples a GTIN's learned weight needs
	// before it may replace the catalogue's; LearnApproveWeight is how
	// many samples an attendant's approve counts for.
	LearnMinSamples    int `yaml:"learn_min_samples"`
	LearnApproveWeight int `yaml:"learn_approve_weight"`
	// HelpDebounce: a help press this soon after the shopper cancelled
	// help does not page again.
	HelpDebounce time.Duration `yaml:"help_debounce"`
}

// DefaultPolicy is the policy the contract documents.
var DefaultPolicy = Policy{
	UnknownItemAttempts: 3,
	BagTimeout:          10 * time.Second,
	BagPrompts:          2,
	MismatchAttempts:    2,
	DefaultToleranceG:   20,
	UnexpectedGrace:     5 * time.Second,
	RemovedGrace:        5 * time.Second,
	DeviceGrace:         3 * time.Second,
	SettleReadings:      3,
	SettleToleranceG:    2,
	OwnBagMaxG:          500,
	SkipBagLimit:        2,
	LearnMinSamples:     5,
	LearnApproveWeight:  3,
	HelpDebounce:        5 * time.Second,
}

// EngineConfig identifies the lane and sets its policy.
type EngineConfig struct {
	Store, Lane, Zone string
	Policy            Policy
	// NewID returns a new unique id (session and alert ids). It must be
	// unique across restarts of the lane, and at most 128 bytes of
	// [A-Za-z0-9._:-] (the contract's ids).
	NewID func() string
}
