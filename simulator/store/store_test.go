package store

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/simulator/floors"
)

// A tiny floor gives the same numbers every run with a seed, and they
// hold together: nobody arrives before they could walk there, more
// staff never leaves more shoppers waiting on the same troubles.
func TestTinyFloorSeeded(t *testing.T) {
	f, err := LoadFloor("testdata/tiny.yaml")
	require.NoError(t, err)
	rs, err := Sweep(f, []int{1, 2}, nil, 1, 1)
	require.NoError(t, err)
	again, err := Sweep(f, []int{1, 2}, nil, 1, 1)
	require.NoError(t, err)
	require.Equal(t, rs, again, "seeded: the same numbers")
	other, err := Sweep(f, []int{1}, nil, 2, 1)
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
	r, err := RunShifts(f, 1, attendant.RouteWalk, 1, 1)
	require.NoError(t, err)
	require.Zero(t, r.Troubles)
	_, err = RunShifts(f, 2, attendant.RouteWalk, 1, 1)
	require.EqualError(t, err, "store: 2 attendants: the floor lists 1")
	_, err = RunShifts(f, 1, attendant.RouteWalk, 1, 0)
	require.EqualError(t, err, "store: 0 shifts: at least one")
}

// The targets for the shipped 12-lane floor at about one attendant per
// five lanes (2.4: played with 2 and with 3), over twenty shifts with the
// troubles pooled: every stuck shopper is reached, p95 trouble to arrival
// is at most a minute, and the bridge's routing (walk) does measurably
// better than zone-only routing on the same troubles: a shorter p95 to
// the claim and to the arrival, no more shoppers waiting over a minute,
// fewer alerts left to escalate. docs/benchmarks.md shows the table.
func TestShippedFloorTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("twenty shifts per line")
	}
	f, err := ParseFloor(floors.TwelveLaneName, floors.TwelveLane)
	require.NoError(t, err)
	rs, err := Sweep(f, []int{2, 3}, []attendant.Routing{attendant.RouteWalk, attendant.RouteZone}, 1, 20)
	require.NoError(t, err)
	var table bytes.Buffer
	require.NoError(t, WriteTable(&table, rs))
	t.Log("\n" + table.String())
	for i := 0; i < len(rs); i += 2 {
		walk, zone := rs[i], rs[i+1]
		require.Equal(t, attendant.RouteWalk, walk.Routing)
		require.Equal(t, attendant.RouteZone, zone.Routing)
		require.Equal(t, walk.Troubles, zone.Troubles, "the same troubles")
		require.Greater(t, walk.Troubles, 5000, "twenty shifts")
		n := walk.Attendants
		require.Zero(t, walk.Unreached, "%d attendants: every stuck shopper reached", n)
		require.LessOrEqual(t, walk.Arrival.P95, Wait, "%d attendants: p95 trouble to arrival", n)
		require.Less(t, walk.Claim.P95, zone.Claim.P95, "%d attendants: p95 to the claim", n)
		require.Less(t, walk.Arrival.P95, zone.Arrival.P95, "%d attendants: p95 to the arrival", n)
		require.LessOrEqual(t, walk.WaitedOver, zone.WaitedOver, "%d attendants: waited over a minute", n)
		require.Less(t, walk.Tier2, zone.Tier2, "%d attendants: alerts escalated to tier 2", n)
	}
}
