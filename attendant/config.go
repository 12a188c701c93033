package attendant

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sco-project/sco/protocol"
)

// Config is what the dispatcher needs from the bridge config: the store,
// the roster, the escalation ladder, the walking times between zones and
// the limits on what a pager may send. The bridge's config file (package
// attendant/bridge) holds it inline, which is why it carries YAML tags;
// this package reads no file.
type Config struct {
	Store      string      `yaml:"store"`
	Attendants []Attendant `yaml:"attendants"`
	Escalation Escalation  `yaml:"escalation"`
	// Zones gives the walking time between zones, either way round:
	// zones: {front: {back: 40s, office: 60s}, back: {office: 30s}}. A
	// zone is 0 from itself; a pair not listed takes the longest walk
	// listed (DefaultWalk when none is), and MissingWalks names it.
	Zones  map[string]map[string]time.Duration `yaml:"zones"`
	Limits Limits                              `yaml:"limits"`
	// Routing is how tier 1 chooses. The zero value is the contract's
	// rule (RouteWalk); RouteZone is the rule of thumb it replaced, kept
	// so that kiosk-sim store can measure the difference. It is not a
	// bridge.yaml key.
	Routing Routing `yaml:"-"`

	longest time.Duration // set by Validate: what an unlisted pair takes
}

// Routing is a rule for choosing the one attendant tier 1 pages.
type Routing string

const (
	// RouteWalk is the contract's rule: the shortest walk to the lane
	// from where each attendant is (the zone of the lane they last
	// arrived at, else their roster zone), never someone who holds an
	// unresolved claim.
	RouteWalk Routing = ""
	// RouteZone is zone-only routing, the rule of thumb most stores
	// staff by: the lane's own zone's attendant first, else anyone, as
	// placed on the roster, whether or not they are already on their way
	// to another lane. Ties in both rules go to the least recently
	// paged, then roster order.
	RouteZone Routing = "zone"
)

// String is the rule's name: walk or zone.
func (r Routing) String() string {
	if r == RouteWalk {
		return "walk"
	}
	return string(r)
}

// ParseRouting reads a rule's name (walk or zone).
func ParseRouting(s string) (Routing, error) {
	switch s {
	case "walk":
		return RouteWalk, nil
	case "zone":
		return RouteZone, nil
	}
	return "", fmt.Errorf("routing %q: want walk or zone", s)
}

// DefaultWalk is the walk between two zones when zones: lists none.
const DefaultWalk = time.Minute

// Attendant is one roster entry. Roles come from the config only, never
// from a pager's message.
type Attendant struct {
	ID    string   `yaml:"id"`
	Name  string   `yaml:"name"`
	Zone  string   `yaml:"zone"`
	Roles []string `yaml:"roles"`
	// PinHash is the bcrypt hash of the attendant's PIN for the web app
	// (attendant-bridge hash-pin prints one); "" means no web sign-in.
	PinHash string `yaml:"pin_hash"`
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

// Limits bound what one pager or lane can make the bridge do. Zero
// fields take the defaults (DefaultLimits) in Config.Validate.
type Limits struct {
	// PagerCmdsPerS is the rate of commands a pager may send, a second;
	// PagerCmdBurst how many it may send at once. Beyond them a command
	// is answered "rate limited" and dropped.
	PagerCmdsPerS float64 `yaml:"pager_cmds_per_s"`
	PagerCmdBurst int     `yaml:"pager_cmd_burst"`
	// OpenAlertsPerLane is how many open alerts one lane may have at the
	// bridge; further ones are logged and ignored.
	OpenAlertsPerLane int `yaml:"open_alerts_per_lane"`
	// CmdMaxAge is how far behind the bridge's clock a command's ts may
	// be; an older command is answered "stale" and changes nothing.
	CmdMaxAge time.Duration `yaml:"cmd_max_age"`
}

// DefaultLimits are the limits the contract documents.
var DefaultLimits = Limits{PagerCmdsPerS: 5, PagerCmdBurst: 20, OpenAlertsPerLane: 16, CmdMaxAge: time.Minute}

var knownRoles = []string{protocol.RoleAttendant, protocol.RoleAgeVerifier, protocol.RoleSupervisor}

// bcryptHash is the shape of a bcrypt hash: $2a$10$ and 53 characters of
// bcrypt's base64 (salt and hash).
var bcryptHash = regexp.MustCompile(`^\$2[abxy]?\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$`)

// reservedID reports why an attendant id cannot be used: it would be the
// MQTT username of a lane (lane-*), of the bridge or of the console.
func reservedID(id string) string {
	switch {
	case strings.HasPrefix(id, "lane-"):
		return "looks like a lane's username (lane-*)"
	case id == "bridge", id == "console":
		return "is reserved for the " + id
	}
	return ""
}

// Validate applies the defaults (an attendant's name, the ladder, the
// limits) and checks the store, the roster, the ladder, the zones and
// the limits; the error names the key at fault, as in the config file.
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
		if why := reservedID(a.ID); why != "" {
			return fmt.Errorf("%s.id: %q %s; choose another id", key, a.ID, why)
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
		if a.PinHash != "" && !bcryptHash.MatchString(a.PinHash) {
			return fmt.Errorf("%s.pin_hash: not a bcrypt hash ($2a$10$ and 53 characters; attendant-bridge hash-pin prints one)", key)
		}
	}
	e, l := &c.Escalation, &c.Limits
	if err := cmp.Or(
		orDefault("escalation.ack_timeout", &e.AckTimeout, DefaultEscalation.AckTimeout),
		orDefault("escalation.claim_timeout", &e.ClaimTimeout, DefaultEscalation.ClaimTimeout),
		orDefault("escalation.repeat", &e.Repeat, DefaultEscalation.Repeat),
	); err != nil {
		return err
	}
	if err := c.validateZones(); err != nil {
		return err
	}
	return cmp.Or(
		orDefault("limits.pager_cmds_per_s", &l.PagerCmdsPerS, DefaultLimits.PagerCmdsPerS),
		orDefault("limits.pager_cmd_burst", &l.PagerCmdBurst, DefaultLimits.PagerCmdBurst),
		orDefault("limits.open_alerts_per_lane", &l.OpenAlertsPerLane, DefaultLimits.OpenAlertsPerLane),
		orDefault("limits.cmd_max_age", &l.CmdMaxAge, DefaultLimits.CmdMaxAge),
	)
}

func (c *Config) validateZones() error {
	c.longest = 0
	listed := false
	for _, from := range sortedKeys(c.Zones) {
		if !protocol.ValidID(from) {
			return fmt.Errorf("zones: %q must match [a-z0-9-]+", from)
		}
		for _, to := range sortedKeys(c.Zones[from]) {
			d := c.Zones[from][to]
			key := "zones." + from + "." + to
			switch {
			case !protocol.ValidID(to):
				return fmt.Errorf("zones.%s: %q must match [a-z0-9-]+", from, to)
			case d < 0:
				return fmt.Errorf("%s: walking time %v must not be negative", key, d)
			case from == to && d != 0:
				return fmt.Errorf("%s: a zone is 0 from itself, not %v", key, d)
			}
			if back, ok := c.Zones[to][from]; ok && back != d && from < to {
				return fmt.Errorf("%s: %v, but zones.%s.%s says %v (a walk takes as long both ways; list it once)", key, d, to, from, back)
			}
			listed = listed || from != to
			c.longest = max(c.longest, d)
		}
	}
	if !listed {
		c.longest = DefaultWalk
	}
	return nil
}

// orDefault checks that *v, the value of key, is not negative and sets
// it to def when it is zero.
func orDefault[T int | float64 | time.Duration](key string, v *T, def T) error {
	switch {
	case *v < 0:
		return fmt.Errorf("%s: %v must not be negative", key, *v)
	case *v == 0:
		*v = def
	}
	return nil
}

// Walk is the walking time between zones a and b as tier 1 counts it
// (0 within a zone; an unlisted pair takes the longest walk). The config
// must have been validated.
func (c *Config) Walk(a, b string) time.Duration { return c.walk(a, b) }

func (c *Config) walk(a, b string) time.Duration {
	if a == b {
		return 0
	}
	if d, ok := c.Zones[a][b]; ok {
		return d
	}
	if d, ok := c.Zones[b][a]; ok {
		return d
	}
	return c.longest
}

// MissingWalks lists, one line each, the pairs of zones the config names
// (the attendants' zones and those under zones:) that have no walking
// time, and what they take instead; attendant-bridge -check-config prints
// them. The lanes' zones are known only when they publish.
func (c *Config) MissingWalks() []string {
	set := map[string]bool{}
	for _, a := range c.Attendants {
		set[a.Zone] = true
	}
	for from, to := range c.Zones {
		set[from] = true
		for z := range to {
			set[z] = true
		}
	}
	zones := sortedKeys(set)
	var out []string
	for i, a := range zones {
		for _, b := range zones[i+1:] {
			_, ab := c.Zones[a][b]
			_, ba := c.Zones[b][a]
			if !ab && !ba {
				out = append(out, fmt.Sprintf("zones: no walking time between %s and %s: taken as %v (the longest walk)", a, b, c.longest))
			}
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
