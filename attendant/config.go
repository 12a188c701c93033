package attendant

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sco-project/sco/protocol"
)

// Config is what the dispatcher needs from the bridge config: the store,
// the roster, the escalation ladder and the zones. The bridge's config
// file (package attendant/bridge) holds it inline, which is why it
// carries YAML tags; this package reads no file.
type Config struct {
	Store      string      `yaml:"store"`
	Attendants []Attendant `yaml:"attendants"`
	Escalation Escalation  `yaml:"escalation"`
	// Zones optionally gives walking distances between zones:
	// zones: {front: {back: 2, office: 3}}. Distances are symmetric; a
	// zone is 0 from itself and 1 from any zone not listed.
	Zones map[string]map[string]int `yaml:"zones"`
}

// Attendant is one roster entry. Roles come from the config only, never
// from a pager's message.
type Attendant struct {
	ID    string   `yaml:"id"`
	Name  string   `yaml:"name"`
	Zone  string   `yaml:"zone"`
	Roles []string `yaml:"roles"`
}

// HasRole reports whether the attendant holds role r.
func (a *Attendant) HasRole(r string) bool { return slices.Contains(a.Roles, r) }

// Escalation is the escalation ladder. Zero fields take the defaults
// (DefaultEscalation) in Config.Validate.
type Escalation struct {
	// AckTimeout is the time between tiers when nobody claims.
	AckTimeout time.Duration `yaml:"ack_timeout"`
	// ClaimTimeout re-opens a claim not resolved by then.
	ClaimTimeout time.Duration `yaml:"claim_timeout"`
	// Repeat is how many times the ladder runs before the alert stays at
	// tier 3.
	Repeat int `yaml:"repeat"`
}

// DefaultEscalation is the ladder the contract documents.
var DefaultEscalation = Escalation{AckTimeout: 20 * time.Second, ClaimTimeout: 3 * time.Minute, Repeat: 3}

var knownRoles = []string{protocol.RoleAttendant, protocol.RoleAgeVerifier, protocol.RoleSupervisor}

// Validate applies the defaults (an attendant's name, the ladder) and
// checks the store, the roster, the ladder and the zones; the error
// names the key at fault, as in the config file.
func (c *Config) Validate() error {
	if !protocol.ValidID(c.Store) {
		return fmt.Errorf("store: %q must match [a-z0-9-]+", c.Store)
	}
	if len(c.Attendants) == 0 {
		return errors.New("attendants: at least one attendant is required")
	}
	seen := map[string]bool{}
	for i := range c.Attendants {
		a := &c.Attendants[i]
		key := fmt.Sprintf("attendants[%d]", i)
		if !protocol.ValidID(a.ID) {
			return fmt.Errorf("%s.id: %q must match [a-z0-9-]+", key, a.ID)
		}
		if seen[a.ID] {
			return fmt.Errorf("%s.id: %q is listed twice", key, a.ID)
		}
		seen[a.ID] = true
		if a.Name == "" {
			a.Name = a.ID
		}
		if !protocol.ValidID(a.Zone) {
			return fmt.Errorf("%s.zone: %q must match [a-z0-9-]+", key, a.Zone)
		}
		if len(a.Roles) == 0 {
			return fmt.Errorf("%s.roles: at least one role is required", key)
		}
		for _, r := range a.Roles {
			if !slices.Contains(knownRoles, r) {
				return fmt.Errorf("%s.roles: unknown role %q (want one of %v)", key, r, knownRoles)
			}
		}
	}
	e := &c.Escalation
	switch {
	case e.AckTimeout < 0:
		return fmt.Errorf("escalation.ack_timeout: %v must not be negative", e.AckTimeout)
	case e.ClaimTimeout < 0:
		return fmt.Errorf("escalation.claim_timeout: %v must not be negative", e.ClaimTimeout)
	case e.Repeat < 0:
		return fmt.Errorf("escalation.repeat: %d must not be negative", e.Repeat)
	}
	if e.AckTimeout == 0 {
		e.AckTimeout = DefaultEscalation.AckTimeout
	}
	if e.ClaimTimeout == 0 {
		e.ClaimTimeout = DefaultEscalation.ClaimTimeout
	}
	if e.Repeat == 0 {
		e.Repeat = DefaultEscalation.Repeat
	}
	for from, to := range c.Zones {
		if !protocol.ValidID(from) {
			return fmt.Errorf("zones: %q must match [a-z0-9-]+", from)
		}
		for z, d := range to {
			if !protocol.ValidID(z) {
				return fmt.Errorf("zones.%s: %q must match [a-z0-9-]+", from, z)
			}
			if d < 0 {
				return fmt.Errorf("zones.%s.%s: distance %d must not be negative", from, z, d)
			}
		}
	}
	return nil
}

// distance is the walking distance between two zones.
func (c *Config) distance(a, b string) int {
	if a == b {
		return 0
	}
	if d, ok := c.Zones[a][b]; ok {
		return d
	}
	if d, ok := c.Zones[b][a]; ok {
		return d
	}
	return 1
}
