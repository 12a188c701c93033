package attendant

import (
	"strings"
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
	// Declining the only page escalates at once, without the one who
	// declined.
	require.Equal(t, []string{"result ana c1 ok=true", "withdraw ana a1: released", "page ben a1 tier 2", "page sue a1 tier 2", "record a1 paged tier 2", "assist 3 paged tier 2 "},
		h.cmd(at(time.Second), "ana", "c1", "a1", "release", ""))
	h.cmd(at(2*time.Second), "sue", "c2", "a1", "claim", "")
	require.Equal(t, []string{"result sue c3 ok=true", "withdraw sue a1: released", "page ben a1 tier 1", "record a1 paged tier 1", "assist 3 paged tier 1 "},
		h.cmd(at(3*time.Second), "sue", "c3", "a1", "release", ""))
}

// Ids (a command's id, its alert) are at most 128 bytes of
// [A-Za-z0-9._:-]: others are refused "bad id" when the id can be echoed,
// logged otherwise, and change nothing.
func TestBadIDs(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	h.raise(t0, "a1", "front", protocol.KindHelp)
	long := strings.Repeat("x", 129)
	cases := []struct {
		id, alert string
		want      []string
	}{
		{"c/1", "a1", []string{"result ana c/1 ok=false error=bad id"}},
		{"c 1", "a1", []string{"result ana c 1 ok=false error=bad id"}},
		{"c1", "a/1", []string{"result ana c1 ok=false error=bad id"}},
		{"c1", long, []string{"result ana c1 ok=false error=bad id"}},
		{long, "a1", nil}, // too long to echo: logged only
	}
	for _, c := range cases {
		fx, err := h.d.PagerCmd(at(time.Second), "ana", protocol.PagerCmd{ID: c.id, Alert: c.alert, Action: "claim"})
		require.ErrorContains(t, err, "bad id")
		require.Equal(t, c.want, fxLines(fx), "%.20s on %.20s", c.id, c.alert)
	}
	st, _ := h.d.Alert("a1")
	require.Empty(t, st.ClaimedBy, "nothing changed")
	require.Empty(t, h.d.State().Results, "nothing remembered")
	// A 128-byte id is fine; the lane command id stays within 128 bytes.
	id := strings.Repeat("c", 128)
	got := h.cmd(at(2*time.Second), "ana", id, "a1", "resolve", protocol.ActionClear)
	require.Len(t, got, 3)
	require.Regexp(t, `^command 3 a1 clear by ana id ana:[0-9a-f]{40}$`, got[2])
}

// The answers follow the contract's order: the first check that fails
// answers, and claimed_by always says who holds the alert.
func TestPagerErrorOrder(t *testing.T) {
	max := Attendant{ID: "max", Name: "Max", Zone: "office", Roles: []string{"supervisor"}}
	h := newHarness(t, testConfig(t, max), map[string]string{"ana": "available", "ben": "available", "max": "available"})
	h.raise(t0, "a1", "front", protocol.KindAgeCheck)
	h.tick(at(20 * time.Second)) // tier 2: ana (the only age verifier available)
	h.tick(at(40 * time.Second)) // tier 3: ana and max
	require.Equal(t, []string{"result ana c1 ok=true claimed_by=ana", "withdraw max a1: claimed by ana", "record a1 claimed tier 3 by ana", "assist 3 claimed tier 3 Ana"},
		h.cmd(at(41*time.Second), "ana", "c1", "a1", "claim", ""))
	cases := []struct {
		name, who, id, alert, action string
		res                          protocol.Action
		want                         string
	}{
		{"bad command before bad id", "max", "c/2", "a1", "dance", "", `result max c/2 ok=false error=bad command: pager cmd c/2: unknown action "dance" claimed_by=ana`},
		{"bad id before unknown attendant", "zed", "c/2", "a1", "claim", "", "result zed c/2 ok=false error=bad id claimed_by=ana"},
		{"unknown attendant before unknown alert", "zed", "c2", "nope", "claim", "", "result zed c2 ok=false error=unknown attendant"},
		{"unknown alert", "max", "c3", "nope", "claim", "", "result max c3 ok=false error=unknown alert"},
		{"not paged before role required", "ben", "c4", "a1", "resolve", protocol.ActionAgeOK, "result ben c4 ok=false error=not paged for this alert claimed_by=ana"},
		{"resolution not allowed before role required", "max", "c5", "a1", "resolve", protocol.ActionApprove, "result max c5 ok=false error=resolution not allowed for this alert: approve for age_check claimed_by=ana"},
		{"role required before already claimed", "max", "c6", "a1", "resolve", protocol.ActionAgeOK, "result max c6 ok=false error=role required: age_ok needs age_verifier claimed_by=ana"},
		{"already claimed", "max", "c7", "a1", "claim", "", "result max c7 ok=false error=already claimed claimed_by=ana"},
		{"already claimed before pending", "max", "c8", "a1", "release", "", "result max c8 ok=false error=already claimed claimed_by=ana"},
	}
	for _, c := range cases {
		require.Equal(t, []string{c.want}, h.cmd(at(42*time.Second), c.who, c.id, c.alert, c.action, c.res), c.name)
	}
	require.Equal(t, []string{"command 3 a1 age_ok by ana id a1:ana:c9"}, h.cmd(at(43*time.Second), "ana", "c9", "a1", "resolve", protocol.ActionAgeOK))
	require.Equal(t, []string{"result ana c10 ok=false error=resolution pending claimed_by=ana"}, h.cmd(at(44*time.Second), "ana", "c10", "a1", "release", ""))
	require.Equal(t, []string{"result max c6 ok=false error=role required: age_ok needs age_verifier claimed_by=ana"},
		h.cmd(at(45*time.Second), "max", "c6", "a1", "resolve", protocol.ActionAgeOK), "a duplicate gets the same answer")
	h.result(at(46*time.Second), "a1:ana:c9", true, "")
	require.Equal(t, []string{"result max c11 ok=false error=alert closed"}, h.cmd(at(47*time.Second), "max", "c11", "a1", "claim", ""))
}

// A command that cannot be decoded is answered when its id can be read
// (a string of at most 128 bytes, or a number), even over 16 KiB; the
// rest is only logged.
func TestMalformedCommandsAnsweredWhenPossible(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	topic := "sco/v1/s1/pager/ana/cmd"
	pad := strings.Repeat("x", protocol.MaxPayload)
	cases := []struct{ payload, want, log string }{
		{`{"id":12,"alert":"a1","action":"claim"}`, "result ana 12 ok=false error=bad command: malformed JSON", "cannot unmarshal number"},
		{`{"id":"c1","alert":"a1","action":"claim","pad":"` + pad + `"}`, "result ana c1 ok=false error=bad command: payload too large", "payload too large"},
		{`{"id":"c2","alert":"a1"`, "result ana c2 ok=false error=bad command: malformed JSON", "malformed JSON"},
		{`{"id":"c3","action":"claim"}`, `result ana c3 ok=false error=bad command: pager cmd c3: "alert" is required`, `"alert" is required`},
		{`[{"id":"c4"}]`, "", "malformed JSON"},
		{`"claim"`, "", "malformed JSON"},
		{`{"id":"` + strings.Repeat("y", 129) + `","action":"claim"}`, "", `"alert" is required`},
		{`{"id":{"x":1},"action":"claim"}`, "", "malformed JSON"},
	}
	for _, c := range cases {
		fx, err := h.d.Handle(t0, topic, []byte(c.payload))
		require.ErrorContains(t, err, c.log, "%.60s", c.payload)
		got := fxLines(fx)
		if c.want == "" {
			require.Empty(t, got, "%.60s", c.payload)
			continue
		}
		require.Len(t, got, 1, "%.60s", c.payload)
		require.True(t, strings.HasPrefix(got[0], c.want), "%s\nwant prefix %s", got[0], c.want)
	}
}

// A command whose ts is more than limits.cmd_max_age behind the bridge's
// clock is answered "stale" and changes nothing; one without ts, or
// within the age, is accepted.
func TestStaleCommands(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	h.raise(t0, "a1", "front", protocol.KindHelp)
	send := func(now time.Time, id string, ts time.Time) []string {
		fx, _ := h.d.PagerCmd(now, "ana", protocol.PagerCmd{ID: id, Alert: "a1", Action: protocol.PagerClaim, TS: protocol.At(ts)})
		return fxLines(fx)
	}
	now := at(20 * time.Minute)
	require.Equal(t, []string{"result ana c1 ok=false error=stale"}, send(now, "c1", now.Add(-DefaultLimits.CmdMaxAge-time.Millisecond)))
	require.Equal(t, []string{"result ana c1 ok=false error=stale"}, send(now, "c1", now.Add(-16*time.Minute)), "checked again, not remembered")
	st, _ := h.d.Alert("a1")
	require.Empty(t, st.ClaimedBy, "nothing changed")
	require.Equal(t, "result ana c2 ok=true claimed_by=ana", send(now, "c2", now.Add(-DefaultLimits.CmdMaxAge))[0], "exactly cmd_max_age old is accepted")
	require.Equal(t, []string{"result ana c3 ok=true claimed_by=ana"}, send(now, "c3", time.Time{}), "no ts: accepted")
	require.Equal(t, []string{"result ana c4 ok=true claimed_by=ana"}, send(now, "c4", now.Add(time.Minute)), "a clock ahead is not stale")
	require.Equal(t, []string{"result ana c5 ok=false error=stale claimed_by=ana"}, send(now, "c5", now.Add(-time.Hour)),
		"claimed_by says who holds the alert, on a refusal too")
}

// A declined page stays declined, at every tier, until the ladder
// repeats; when only those who declined could be paged, the alert waits
// one ack_timeout and asks them again.
func TestDeclineHoldsUntilTheLadderRepeats(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	steps := []struct {
		at   time.Duration
		do   func(time.Time) []string
		want []string
	}{
		{0, func(n time.Time) []string { return h.raise(n, "a1", "front", protocol.KindHelp) }, []string{"page ana a1 tier 1", "record a1 paged tier 1", "assist 3 paged tier 1 "}},
		{time.Second, func(n time.Time) []string { return h.cmd(n, "ana", "c1", "a1", "release", "") },
			[]string{"result ana c1 ok=true", "withdraw ana a1: released", "page ben a1 tier 2", "page sue a1 tier 2", "record a1 paged tier 2", "assist 3 paged tier 2 "}},
		{2 * time.Second, func(n time.Time) []string { return h.presence(n, "ana", "available") }, nil},
		{21 * time.Second, h.tick, []string{"page ben a1 tier 3", "page sue a1 tier 3", "record a1 paged tier 3", "assist 3 paged tier 3 "}},
		{22 * time.Second, func(n time.Time) []string { return h.cmd(n, "ben", "c2", "a1", "release", "") }, []string{"result ben c2 ok=true", "withdraw ben a1: released"}},
		// The ladder repeats (repeat: 2): everyone may be paged again.
		{41 * time.Second, h.tick, []string{"page ana a1 tier 1", "record a1 paged tier 1", "assist 3 paged tier 1 "}},
	}
	for _, s := range steps {
		require.Equal(t, s.want, s.do(at(s.at)), "at %v", s.at)
	}
	// Ana can still change her mind and claim it: she was paged.
	require.Equal(t, "result ana c3 ok=true claimed_by=ana", h.cmd(at(42*time.Second), "ana", "c3", "a1", "claim", "")[0])

	// Alone on shift, she declines: nobody is paged; after ack_timeout
	// she is asked again.
	h2 := newHarness(t, testConfig(t), map[string]string{"ana": "available"})
	h2.raise(t0, "a2", "front", protocol.KindHelp)
	require.Equal(t, []string{"result ana d1 ok=true", "withdraw ana a2: released", "record a2 open tier 0", "assist 3 open tier 0 "},
		h2.cmd(at(time.Second), "ana", "d1", "a2", "release", ""))
	dl, ok := h2.d.NextDeadline()
	require.True(t, ok)
	require.Equal(t, at(21*time.Second), dl)
	require.Empty(t, h2.presence(at(2*time.Second), "ana", "available"), "no re-sync of a declined page")
	require.Equal(t, "page ana a2 tier 1", h2.tick(at(21 * time.Second))[0])
}
