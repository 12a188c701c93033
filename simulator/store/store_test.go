package store

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/attendant"
)

// A tiny floor gives the same numbers every run with a seed, and they
// hold together: nobody arrives before they could walk there, more
// staff never leaves more shoppers waiting on the same troubles.
func TestTinyFloorSeeded(t *testing.T) {
	f, err := LoadFloor("testdata/tiny.yaml")
	require.NoError(t, err)
	rs, err := Sweep(f, []int{1, 2}, 1)
	require.NoError(t, err)
	again, err := Sweep(f, []int{1, 2}, 1)
	require.NoError(t, err)
	require.Equal(t, rs, again, "seeded: the same numbers")
	other, err := Sweep(f, []int{1}, 2)
	require.NoError(t, err)
	require.NotEqual(t, rs[0].Troubles, other[0].Troubles, "another seed, another shift")

	one, two := rs[0], rs[1]
	// The numbers of seed 1 (they change only when the dispatcher's
	// choices or this simulation do).
	require.Equal(t, []int{21, 1, 4, 2}, []int{one.Troubles, one.WaitedOver, one.Tier2, one.Tier3})
	require.Equal(t, []int{21, 0, 1, 0}, []int{two.Troubles, two.WaitedOver, two.Tier2, two.Tier3})
	require.Equal(t, one.Troubles, two.Troubles, "every level plays the same troubles")
	for _, r := range rs {
		require.Zero(t, r.Unreached, "everyone is reached")
		require.Equal(t, r.Troubles, r.Resolved.N)
		require.GreaterOrEqual(t, r.Claim.P50, f.Notice, "nobody claims before noticing")
		require.LessOrEqual(t, r.Claim.Max, r.Resolved.Max)
		require.Greater(t, r.Utilisation, 0.0)
		require.Less(t, r.Utilisation, 1.0)
	}
	require.LessOrEqual(t, two.WaitedOver, one.WaitedOver)
	require.LessOrEqual(t, two.Claim.P95, one.Claim.P95)
	require.Zero(t, two.Tier3)

	var table bytes.Buffer
	require.NoError(t, WriteTable(&table, rs))
	t.Log("\n" + table.String())
	var js bytes.Buffer
	require.NoError(t, WriteJSON(&js, rs[:1]))
	require.Contains(t, js.String(), `"trouble_to_arrival"`)
}

// A floor with no trouble rates has nothing to page.
func TestNoTroubleRatesNoTroubles(t *testing.T) {
	f := &Floor{
		Lanes:               map[string]int{"a": 1},
		Attendants:          []attendant.Attendant{{ID: "ana", Name: "Ana", Zone: "a", Roles: []string{"attendant"}}},
		ShoppersPerLaneHour: 1,
	}
	require.NoError(t, f.Validate())
	r, err := Run(f, 1, 1)
	require.NoError(t, err)
	require.Zero(t, r.Troubles)
	_, err = Run(f, 2, 1)
	require.EqualError(t, err, "store: 2 attendants: the floor lists 1")
}
