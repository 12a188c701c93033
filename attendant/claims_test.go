package attendant

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol"
)

func TestClaimRaceAndResolve(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	h.raise(t0, "a1", "front", protocol.KindBagTimeout)
	h.tick(at(20 * time.Second)) // tier 2: everyone
	require.Equal(t, []string{"result ben c1 ok=true claimed_by=ben", "withdraw ana a1: claimed by ben", "withdraw sue a1: claimed by ben", "record a1 claimed tier 2 by ben", "assist 3 claimed tier 2 Ben"},
		h.cmd(at(21*time.Second), "ben", "c1", "a1", "claim", ""))
	require.Equal(t, []string{"result ana x1 ok=false error=already claimed claimed_by=ben"}, h.cmd(at(21*time.Second), "ana", "x1", "a1", "claim", ""))
	require.Equal(t, []string{"result sue x1 ok=false error=already claimed claimed_by=ben"}, h.cmd(at(21*time.Second), "sue", "x1", "a1", "resolve", protocol.ActionApprove))
	// Duplicate delivery of the claim: same answer, nothing else.
	require.Equal(t, []string{"result ben c1 ok=true claimed_by=ben"}, h.cmd(at(22*time.Second), "ben", "c1", "a1", "claim", ""))
	// No approve for a help call -- here a bag timeout allows it, void too.
	require.Equal(t, []string{"command 3 a1 approve by ben id a1:ben:c2"}, h.cmd(at(30*time.Second), "ben", "c2", "a1", "resolve", protocol.ActionApprove))
	require.Empty(t, h.cmd(at(30*time.Second), "ben", "c2", "a1", "resolve", protocol.ActionApprove), "a duplicate resolve sends nothing")
	require.Equal(t, []string{"result ben c3 ok=false error=resolution pending claimed_by=ben"}, h.cmd(at(31*time.Second), "ben", "c3", "a1", "resolve", protocol.ActionVoid))
	require.Equal(t, []string{"result ben c2 ok=true claimed_by=ben", "withdraw ben a1: resolved", "record a1 resolved tier 2 by ben approve closed", "assist 3 clear"},
		h.result(at(32*time.Second), "a1:ben:c2", true, ""))
	require.Empty(t, h.result(at(33*time.Second), "a1:ben:c2", true, ""), "duplicate lane result")
	require.Equal(t, []string{"result ben c2 ok=true claimed_by=ben"}, h.cmd(at(34*time.Second), "ben", "c2", "a1", "resolve", protocol.ActionApprove))
	require.Equal(t, []string{"result ana y1 ok=false error=alert closed"}, h.cmd(at(34*time.Second), "ana", "y1", "a1", "claim", ""))
	require.Empty(t, h.raise(at(35*time.Second), "a1", "front", protocol.KindBagTimeout), "a closed id stays closed")
}

func TestResolveChecks(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	h.raise(t0, "a1", "front", protocol.KindHelp)
	require.Equal(t, []string{"result ben c1 ok=false error=not paged for this alert"}, h.cmd(at(time.Second), "ben", "c1", "a1", "claim", ""))
	require.Equal(t, []string{"result ana c1 ok=false error=resolution not allowed for this alert: approve for help"}, h.cmd(at(time.Second), "ana", "c1", "a1", "resolve", protocol.ActionApprove))
	require.Equal(t, []string{"result zed c1 ok=false error=unknown attendant"}, h.cmd(at(time.Second), "zed", "c1", "a1", "claim", ""))
	require.Equal(t, []string{"result ana c2 ok=false error=unknown alert"}, h.cmd(at(time.Second), "ana", "c2", "nope", "claim", ""))
	// Resolving remotely without a claim claims implicitly.
	require.Equal(t, []string{"record a1 claimed tier 1 by ana", "assist 3 claimed tier 1 Ana", "command 3 a1 clear by ana id a1:ana:c3"}, h.cmd(at(2*time.Second), "ana", "c3", "a1", "resolve", protocol.ActionClear))
	// The lane refuses: the alert stays claimed and ana is told why.
	require.Equal(t, []string{"result ana c3 ok=false error=lane: no help request claimed_by=ana"}, h.result(at(3*time.Second), "a1:ana:c3", false, "no help request"))
	st, ok := h.d.Alert("a1")
	require.True(t, ok)
	require.Equal(t, protocol.AlertClaimed, st.Status)
	require.Nil(t, st.Pending)
}

func TestClaimTimeoutReopens(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	h.raise(t0, "a1", "front", protocol.KindHelp)
	h.cmd(at(time.Second), "ana", "c1", "a1", "claim", "")
	require.Empty(t, h.tick(at(time.Second+3*time.Minute-time.Millisecond)))
	require.Equal(t, []string{"withdraw ana a1: claim expired", "page ben a1 tier 1", "record a1 paged tier 1", "assist 3 paged tier 1 "}, h.tick(at(time.Second+3*time.Minute)))
	// The claimer who let it expire is paged again from tier 2.
	require.Equal(t, "page ana a1 tier 2", h.tick(at(time.Second + 3*time.Minute + 20*time.Second))[0])
}

func TestReleaseAndDecline(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	h.raise(t0, "a1", "front", protocol.KindHelp)
	// Declining the only page escalates at once.
	require.Equal(t, []string{"result ana c1 ok=true", "withdraw ana a1: released", "page ana a1 tier 2", "page ben a1 tier 2", "page sue a1 tier 2", "record a1 paged tier 2", "assist 3 paged tier 2 "},
		h.cmd(at(time.Second), "ana", "c1", "a1", "release", ""))
	h.cmd(at(2*time.Second), "sue", "c2", "a1", "claim", "")
	require.Equal(t, []string{"result sue c3 ok=true", "withdraw sue a1: released", "page ben a1 tier 1", "record a1 paged tier 1", "assist 3 paged tier 1 "},
		h.cmd(at(3*time.Second), "sue", "c3", "a1", "release", ""))
}
