package attendant

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol"
)

// Every roster entry has a profile with the resolutions their roles
// allow for every kind; a page carries those of its alert.
func TestProfilesAndPageResolutions(t *testing.T) {
	max := Attendant{ID: "max", Name: "Max", Zone: "office", Roles: []string{"supervisor"}}
	h := newHarness(t, testConfig(t, max), map[string]string{"ben": "available", "max": "available"})
	ps := h.d.Profiles(t0)
	require.Len(t, ps, 4)
	ben := ps[1]
	require.Equal(t, "ben", ben.To)
	require.Equal(t, protocol.Profile{ID: "ben", Name: "Ben", Zone: "back", Roles: []string{"attendant"}, Store: "s1", Resolutions: ben.Profile.Resolutions, TS: protocol.At(t0)}, ben.Profile)
	require.Len(t, ben.Profile.Resolutions, len(protocol.Kinds), "every kind, even those they may not resolve")
	require.Equal(t, []protocol.Action{protocol.ActionOutOfService}, ben.Profile.Resolutions[protocol.KindAgeCheck], "no age decisions without age_verifier")
	require.Equal(t, []protocol.Action{protocol.ActionApprove, protocol.ActionVoid, protocol.ActionOutOfService}, ben.Profile.Resolutions[protocol.KindBagTimeout])
	require.Equal(t, []protocol.Action{protocol.ActionAgeOK, protocol.ActionAgeRefused, protocol.ActionOutOfService}, ps[0].Profile.Resolutions[protocol.KindAgeCheck], "ana verifies ages")
	require.Equal(t, []protocol.Action{protocol.ActionClear, protocol.ActionOutOfService}, ps[3].Profile.Resolutions[protocol.KindHelp], "a supervisor counts as an attendant")

	fx, err := h.d.LaneAlert(t0, "3", alertMsg("a1", "3", "back", protocol.KindAgeCheck, protocol.AlertOpen))
	require.NoError(t, err)
	require.Equal(t, "max", fx.Pages[0].To, "tier 3 at once: nobody available verifies ages")
	pages := map[string][]protocol.Action{}
	for _, p := range fx.Pages {
		pages[p.To] = p.Page.Resolutions
	}
	require.Equal(t, map[string][]protocol.Action{"max": {protocol.ActionOutOfService}}, pages)
}
