package attendant

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The bridge's file tests (attendant/bridge) check every error Validate
// names; these are the defaults and the zones the dispatcher relies on.
func TestValidateDefaults(t *testing.T) {
	c := &Config{Store: "s1", Attendants: []Attendant{{ID: "ana", Zone: "front", Roles: []string{"attendant"}}}}
	require.NoError(t, c.Validate())
	require.Equal(t, "ana", c.Attendants[0].Name, "the name defaults to the id")
	require.Equal(t, DefaultEscalation, c.Escalation, "zero escalation takes the defaults")
	require.NoError(t, c.Validate(), "validating twice changes nothing")
	require.Equal(t, DefaultEscalation, c.Escalation)

	require.ErrorContains(t, (&Config{Store: "s1"}).Validate(), "attendants: at least one attendant")
}

func TestZoneWalk(t *testing.T) {
	c := &Config{Store: "s1", Attendants: []Attendant{{ID: "ana", Zone: "front", Roles: []string{"attendant"}}},
		Zones: map[string]map[string]time.Duration{"front": {"back": 40 * time.Second, "office": 60 * time.Second}, "back": {"office": 30 * time.Second}}}
	require.NoError(t, c.Validate())
	require.Equal(t, 40*time.Second, c.walk("front", "back"))
	require.Equal(t, 40*time.Second, c.walk("back", "front"), "a walk takes as long both ways")
	require.Equal(t, time.Duration(0), c.walk("back", "back"))
	require.Equal(t, 60*time.Second, c.walk("front", "cellar"), "an unlisted pair takes the longest walk")
	require.Empty(t, c.MissingWalks())

	c.Zones = map[string]map[string]time.Duration{"front": {"back": 40 * time.Second}}
	c.Attendants = append(c.Attendants, Attendant{ID: "sue", Zone: "office", Roles: []string{"supervisor"}})
	require.NoError(t, c.Validate())
	require.Equal(t, []string{
		"zones: no walking time between back and office: taken as 40s (the longest walk)",
		"zones: no walking time between front and office: taken as 40s (the longest walk)",
	}, c.MissingWalks())

	c.Zones = nil
	require.NoError(t, c.Validate())
	require.Equal(t, DefaultWalk, c.walk("front", "office"), "no zones: every other zone is DefaultWalk away")
	require.Equal(t, time.Duration(0), c.walk("front", "front"), "the same zone still comes first")
}

func TestValidateRefuses(t *testing.T) {
	base := func() *Config {
		return &Config{Store: "s1", Attendants: []Attendant{{ID: "ana", Zone: "front", Roles: []string{"attendant"}}}}
	}
	cases := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"a lane's username", func(c *Config) { c.Attendants[0].ID = "lane-3" }, `attendants[0].id: "lane-3" looks like a lane's username`},
		{"the bridge", func(c *Config) { c.Attendants[0].ID = "bridge" }, `attendants[0].id: "bridge" is reserved for the bridge`},
		{"the console", func(c *Config) { c.Attendants[0].ID = "console" }, `attendants[0].id: "console" is reserved for the console`},
		{"pin_hash not bcrypt", func(c *Config) { c.Attendants[0].PinHash = "1234" }, "attendants[0].pin_hash: not a bcrypt hash"},
		{"walk both ways differ", func(c *Config) {
			c.Zones = map[string]map[string]time.Duration{"front": {"back": time.Minute}, "back": {"front": time.Second}}
		}, "zones.back.front: 1s, but zones.front.back says 1m0s"},
		{"same zone not 0", func(c *Config) { c.Zones = map[string]map[string]time.Duration{"front": {"front": time.Second}} }, "zones.front.front: a zone is 0 from itself"},
		{"negative walk", func(c *Config) { c.Zones = map[string]map[string]time.Duration{"front": {"back": -time.Second}} }, "zones.front.back: walking time -1s must not be negative"},
		{"negative repeat", func(c *Config) { c.Escalation.Repeat = -1 }, "escalation.repeat: -1 must not be negative"},
		{"negative claim timeout", func(c *Config) { c.Escalation.ClaimTimeout = -time.Second }, "escalation.claim_timeout: -1s must not be negative"},
		{"negative burst", func(c *Config) { c.Limits.PagerCmdBurst = -1 }, "limits.pager_cmd_burst: -1 must not be negative"},
		{"negative open alerts", func(c *Config) { c.Limits.OpenAlertsPerLane = -1 }, "limits.open_alerts_per_lane: -1 must not be negative"},
		{"negative rate", func(c *Config) { c.Limits.PagerCmdsPerS = -1 }, "limits.pager_cmds_per_s: -1 must not be negative"},
		{"negative max age", func(c *Config) { c.Limits.CmdMaxAge = -time.Second }, "limits.cmd_max_age: -1s must not be negative"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.mod(c)
			require.ErrorContains(t, c.Validate(), tc.want)
		})
	}
	c := base()
	c.Attendants[0].PinHash = "$2a$10$" + strings.Repeat("a", 53)
	require.NoError(t, c.Validate(), "a bcrypt hash is kept")
	require.Equal(t, DefaultLimits, c.Limits, "zero limits take the defaults")

	c = base()
	c.Escalation = Escalation{Repeat: 1}
	c.Limits = Limits{PagerCmdBurst: 2}
	require.NoError(t, c.Validate())
	require.Equal(t, Escalation{AckTimeout: DefaultEscalation.AckTimeout, ClaimTimeout: DefaultEscalation.ClaimTimeout, Repeat: 1}, c.Escalation, "a value given is kept, the others take the defaults")
	require.Equal(t, 2, c.Limits.PagerCmdBurst)
	require.Equal(t, DefaultLimits.CmdMaxAge, c.Limits.CmdMaxAge)
}
