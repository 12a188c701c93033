package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/protocol"
)

// Scenario is one scripted checkout.
type Scenario struct {
	Name        string            `yaml:"name"`
	Description string            `yaml:"description"`
	Scale       string            `yaml:"scale"` // nci (default) | toledo | sics
	Policy      map[string]string `yaml:"policy"`
	Pagers      []Pager           `yaml:"pagers"`
	Steps       []Step            `yaml:"steps"`
	Expect      Final             `yaml:"expect"`
	// Escalation overrides the bridge's ladder (short timeouts keep a
	// scenario quick).
	Escalation attendant.Escalation `yaml:"escalation"`
	// Timeout bounds the whole run; default 60s.
	Timeout time.Duration `yaml:"timeout"`
}

// Pager is a virtual attendant and how it answers pages. The attendant's
// name, zone and roles come from the simulated store's roster.
type Pager struct {
	ID           string        `yaml:"id"`
	Status       string        `yaml:"status"` // available (default) | busy | break | offline
	Ignore       bool          `yaml:"ignore"`
	ClaimAfter   time.Duration `yaml:"claim_after"`
	Resolve      string        `yaml:"resolve"` // an action; "" claims and walks over
	ResolveAfter time.Duration `yaml:"resolve_after"`
}

// Step is one thing the shopper does, or one thing to wait for. Exactly one
// field is set.
type Step struct {
	Scan       string        `yaml:"scan"`        // barcode data
	AIM        string        `yaml:"aim"`         // with scan: AIM id, e.g. "]E0"
	Place      int           `yaml:"place"`       // grams put in the bagging area
	Remove     int           `yaml:"remove"`      // grams lifted out
	Help       bool          `yaml:"help"`        // press the help button
	HelpCancel bool          `yaml:"help_cancel"` // cancel the help request
	OwnBag     bool          `yaml:"own_bag"`     // press "I'm using my own bag"
	SkipBag    bool          `yaml:"skip_bag"`    // press "Skip bagging this item"
	Finish     bool          `yaml:"finish"`      // press finish; expect_refused checks it is refused
	Wait       time.Duration `yaml:"wait"`        // let time pass (timers in the lane run)
	Unplug     string        `yaml:"unplug"`      // scanner | scale
	Replug     string        `yaml:"replug"`      // scanner | scale
	Garbage    string        `yaml:"garbage"`     // scanner | scale: line noise
	Expect     *Expectation  `yaml:"expect"`
}

// Expectation waits until something has happened.
type Expectation struct {
	Alert     string        `yaml:"alert"`      // an alert of this kind was raised
	Cancelled string        `yaml:"cancelled"`  // an alert of this kind was cancelled by the lane
	Resolved  string        `yaml:"resolved"`   // an alert of this kind was resolved
	Paged     string        `yaml:"paged"`      // this attendant was paged
	Claimed   string        `yaml:"claimed"`    // this attendant claimed
	State     string        `yaml:"state"`      // the lane is in this state
	Prompt    string        `yaml:"prompt"`     // the prompt contains this text
	NotPrompt string        `yaml:"not_prompt"` // the prompt does not contain this text
	Items     *int          `yaml:"items"`      // the basket has this many items
	Refused   bool          `yaml:"refused"`    // the previous finish was refused
	Within    time.Duration `yaml:"within"`     // default 10s
}

// Final is checked after the last step.
type Final struct {
	Alerts     []string `yaml:"alerts"`      // exactly these kinds were raised, in order
	Paged      []string `yaml:"paged"`       // these attendants were paged (any order)
	NotPaged   []string `yaml:"not_paged"`   // these were never paged
	State      string   `yaml:"state"`       // final lane state
	Items      *int     `yaml:"items"`       // final basket size (of the last session)
	TotalCents *int64   `yaml:"total_cents"` // final total (of the last session)
	OpenAlerts *int     `yaml:"open_alerts"` // alerts still open at the end
}

// Load reads and validates a scenario file.
func Load(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	s, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Parse decodes and validates a scenario. Unknown keys are errors.
func Parse(b []byte) (*Scenario, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var s Scenario
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Validate checks the scenario and names the step at fault.
func (s *Scenario) Validate() error {
	if s.Name == "" {
		return errors.New("scenario: name is required")
	}
	switch s.Scale {
	case "":
		s.Scale = "nci"
	case "nci", "toledo", "sics":
	default:
		return fmt.Errorf("scenario %s: scale %q is not nci, toledo or sics", s.Name, s.Scale)
	}
	if s.Timeout == 0 {
		s.Timeout = 60 * time.Second
	}
	if len(s.Steps) == 0 {
		return fmt.Errorf("scenario %s: no steps", s.Name)
	}
	for i, p := range s.Pagers {
		if !protocol.ValidID(p.ID) {
			return fmt.Errorf("scenario %s: pagers[%d]: id %q must match [a-z0-9-]+", s.Name, i, p.ID)
		}
		switch p.Status {
		case "":
			s.Pagers[i].Status = protocol.PresenceAvailable
		case protocol.PresenceAvailable, protocol.PresenceBusy, protocol.PresenceBreak, protocol.PresenceOffline:
		default:
			return fmt.Errorf("scenario %s: pagers[%d]: status %q", s.Name, i, p.Status)
		}
		if p.Resolve != "" && !protocol.Action(p.Resolve).Valid() {
			return fmt.Errorf("scenario %s: pagers[%d]: resolve %q is not an action", s.Name, i, p.Resolve)
		}
	}
	for i, st := range s.Steps {
		if err := st.validate(); err != nil {
			return fmt.Errorf("scenario %s: step %d: %w", s.Name, i+1, err)
		}
	}
	for _, k := range s.Expect.Alerts {
		if !protocol.Kind(k).Valid() {
			return fmt.Errorf("scenario %s: expect.alerts: unknown kind %q", s.Name, k)
		}
	}
	return nil
}

func (st Step) validate() error {
	n := 0
	count := func(set bool) {
		if set {
			n++
		}
	}
	count(st.Scan != "")
	count(st.Place != 0)
	count(st.Remove != 0)
	count(st.Help)
	count(st.HelpCancel)
	count(st.OwnBag)
	count(st.SkipBag)
	count(st.Finish)
	count(st.Wait != 0)
	count(st.Unplug != "")
	count(st.Replug != "")
	count(st.Garbage != "")
	count(st.Expect != nil)
	if n != 1 {
		return fmt.Errorf("exactly one action per step, found %d", n)
	}
	if st.AIM != "" && st.Scan == "" {
		return errors.New("aim goes with scan")
	}
	if st.Place < 0 || st.Remove < 0 {
		return errors.New("place/remove take positive grams")
	}
	for _, d := range []string{st.Unplug, st.Replug, st.Garbage} {
		if d != "" && d != "scanner" && d != "scale" {
			return fmt.Errorf("device %q is not scanner or scale", d)
		}
	}
	if e := st.Expect; e != nil {
		for _, k := range []string{e.Alert, e.Cancelled, e.Resolved} {
			if k != "" && !protocol.Kind(k).Valid() {
				return fmt.Errorf("expect: unknown alert kind %q", k)
			}
		}
		if e.Within == 0 {
			e.Within = 10 * time.Second
		}
	}
	return nil
}

// String describes a step for reports.
func (st Step) String() string {
	switch {
	case st.Scan != "":
		return "scan " + st.AIM + st.Scan
	case st.Place != 0:
		return fmt.Sprintf("place %dg", st.Place)
	case st.Remove != 0:
		return fmt.Sprintf("remove %dg", st.Remove)
	case st.Help:
		return "press help"
	case st.HelpCancel:
		return "cancel help"
	case st.OwnBag:
		return "own bag"
	case st.SkipBag:
		return "skip bagging"
	case st.Finish:
		return "finish"
	case st.Wait != 0:
		return "wait " + st.Wait.String()
	case st.Unplug != "":
		return "unplug " + st.Unplug
	case st.Replug != "":
		return "replug " + st.Replug
	case st.Garbage != "":
		return "garbage on " + st.Garbage
	case st.Expect != nil:
		return "expect " + st.Expect.String()
	}
	return "?"
}

// String describes an expectation.
func (e *Expectation) String() string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+" "+v)
		}
	}
	add("alert", e.Alert)
	add("cancelled", e.Cancelled)
	add("resolved", e.Resolved)
	add("paged", e.Paged)
	add("claimed", e.Claimed)
	add("state", e.State)
	if e.Prompt != "" {
		parts = append(parts, fmt.Sprintf("prompt %q", e.Prompt))
	}
	if e.NotPrompt != "" {
		parts = append(parts, fmt.Sprintf("prompt without %q", e.NotPrompt))
	}
	if e.Items != nil {
		parts = append(parts, fmt.Sprintf("items %d", *e.Items))
	}
	if e.Refused {
		parts = append(parts, "finish refused")
	}
	return strings.Join(parts, ", ")
}
