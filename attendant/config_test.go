package attendant

import (
	"testing"

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

func TestZoneDistance(t *testing.T) {
	c := &Config{Zones: map[string]map[string]int{"front": {"back": 2}}}
	require.Equal(t, 2, c.distance("front", "back"))
	require.Equal(t, 2, c.distance("back", "front"), "distances are symmetric")
	require.Equal(t, 0, c.distance("back", "back"))
	require.Equal(t, 1, c.distance("front", "office"), "unlisted zones are 1 apart")
}
