package attendant

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol"
)

func TestLadderExactTimings(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	require.Equal(t, []string{"page ana a1 tier 1", "record a1 paged tier 1", "assist 3 paged tier 1 "}, h.raise(t0, "a1", "front", protocol.KindBagTimeout))
	dl, ok := h.d.NextDeadline()
	require.True(t, ok)
	require.Equal(t, at(20*time.Second), dl)
	require.Empty(t, h.tick(at(20*time.Second-time.Millisecond)))
	require.Equal(t, []string{"page ana a1 tier 2", "page ben a1 tier 2", "page sue a1 tier 2", "record a1 paged tier 2", "assist 3 paged tier 2 "}, h.tick(at(20*time.Second)))
	require.Equal(t, []string{"page ana a1 tier 3", "page ben a1 tier 3", "page sue a1 tier 3", "record a1 paged tier 3", "assist 3 paged tier 3 "}, h.tick(at(40*time.Second)))
	// Second run of the ladder (repeat: 2).
	require.Equal(t, []string{"page ana a1 tier 1", "record a1 paged tier 1", "assist 3 paged tier 1 "}, h.tick(at(60*time.Second)))
	require.Len(t, h.tick(at(80*time.Second)), 5)
	require.Len(t, h.tick(at(100*time.Second)), 5)
	st, _ := h.d.Alert("a1")
	require.Equal(t, 3, st.Tier)
	require.Equal(t, 2, st.Round)
	_, ok = h.d.NextDeadline()
	require.False(t, ok, "after the last run the alert stays at tier 3")
	require.Empty(t, h.tick(at(time.Hour)))
}

func TestTierOneIsNearestWithRole(t *testing.T) {
	cases := []struct {
		name    string
		zone    string
		kind    protocol.Kind
		present map[string]string
		want    string
	}{
		{"same zone", "back", protocol.KindHelp, allAvailable, "page ben a1 tier 1"},
		{"configured distance", "front", protocol.KindHelp, map[string]string{"ben": "available", "sue": "available"}, "page ben a1 tier 1"},
		{"age check needs age_verifier; an unlisted pair takes the longest walk", "back", protocol.KindAgeCheck, allAvailable, "page ana a1 tier 1"},
		{"busy is not available", "front", protocol.KindHelp, map[string]string{"ana": "busy", "ben": "available"}, "page ben a1 tier 1"},
		{"break is not paged", "front", protocol.KindHelp, map[string]string{"ana": "break", "sue": "available"}, "page sue a1 tier 1"},
		{"nobody available: tier 3 at once", "front", protocol.KindHelp, map[string]string{"ana": "busy", "ben": "offline"}, "page ana a1 tier 3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, testConfig(t), c.present)
			got := h.raise(t0, "a1", c.zone, c.kind)
			require.Equal(t, c.want, got[0], got)
			require.Contains(t, got[1], "record a1 paged")
		})
	}
}

func TestTierOneTiesGoToLeastRecentlyPaged(t *testing.T) {
	cfg := testConfig(t, Attendant{ID: "dan", Name: "Dan", Zone: "front", Roles: []string{"attendant"}})
	h := newHarness(t, cfg, map[string]string{"ana": "available", "dan": "available"})
	require.Equal(t, "page ana a1 tier 1", h.raise(t0, "a1", "front", protocol.KindHelp)[0])
	require.Equal(t, "page dan a2 tier 1", h.raise(at(time.Second), "a2", "front", protocol.KindHelp)[0])
	require.Equal(t, "page ana a3 tier 1", h.raise(at(2*time.Second), "a3", "front", protocol.KindHelp)[0])
}

func TestTierThreePagesSupervisorsAndBusy(t *testing.T) {
	cfg := testConfig(t, Attendant{ID: "max", Name: "Max", Zone: "office", Roles: []string{"supervisor"}})
	h := newHarness(t, cfg, map[string]string{"ana": "available", "ben": "busy", "sue": "offline", "max": "busy"})
	h.raise(t0, "a1", "front", protocol.KindAgeCheck)
	require.Equal(t, []string{"page ana a1 tier 2", "record a1 paged tier 2", "assist 3 paged tier 2 "}, h.tick(at(20*time.Second)))
	// ben is busy but lacks age_verifier; max is a supervisor.
	require.Equal(t, []string{"page ana a1 tier 3", "page max a1 tier 3", "record a1 paged tier 3", "assist 3 paged tier 3 "}, h.tick(at(40*time.Second)))
	// max may claim (he was paged) but not decide the age check.
	require.Equal(t, []string{"result max c1 ok=true claimed_by=max", "withdraw ana a1: claimed by max", "record a1 claimed tier 3 by max", "assist 3 claimed tier 3 Max"},
		h.cmd(at(41*time.Second), "max", "c1", "a1", "claim", ""))
	require.Equal(t, []string{"result max c2 ok=false error=role required: age_ok needs age_verifier claimed_by=max"},
		h.cmd(at(42*time.Second), "max", "c2", "a1", "resolve", protocol.ActionAgeOK))
}

func TestNobodyPresentWaitsThenPages(t *testing.T) {
	h := newHarness(t, testConfig(t), nil)
	require.Equal(t, []string{"record a1 open tier 0", "assist 3 open tier 0 "}, h.raise(t0, "a1", "front", protocol.KindHelp))
	_, ok := h.d.NextDeadline()
	require.False(t, ok)
	require.Equal(t, []string{"page ben a1 tier 1", "record a1 paged tier 1", "assist 3 paged tier 1 "}, h.presence(at(5*time.Second), "ben", "available"))
}

func TestPagerOfflineMidAlert(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	h.raise(t0, "a1", "front", protocol.KindHelp)
	// ana, paged at tier 1, drops off: tier 2 at once, without her.
	require.Equal(t, []string{"page ben a1 tier 2", "page sue a1 tier 2", "record a1 paged tier 2", "assist 3 paged tier 2 "}, h.presence(at(time.Second), "ana", "offline"))
	// She comes back: she is paged at the current tier.
	require.Equal(t, []string{"page ana a1 tier 2"}, h.presence(at(2*time.Second), "ana", "available"))
	// An offline attendant is never paged.
	h.presence(at(3*time.Second), "ben", "offline")
	require.Equal(t, []string{"page ana a1 tier 3", "page sue a1 tier 3", "record a1 paged tier 3", "assist 3 paged tier 3 "}, h.tick(at(22*time.Second)))
}

func TestPresenceWithoutTheRoleChangesNothing(t *testing.T) {
	h := newHarness(t, testConfig(t), nil)
	h.raise(t0, "a1", "front", protocol.KindAgeCheck)
	require.Empty(t, h.presence(at(time.Second), "ben", "available"), "ben cannot check ages")
	require.Equal(t, "page sue a1 tier 1", h.presence(at(2*time.Second), "sue", "available")[0])
}

// TestRouterTierOne is the router's choice at tier 1, case by case: the
// walk from where each attendant is, ties, attendants busy with a
// claim, and roles; and zone-only routing (RouteZone), the baseline
// kiosk-sim store compares with. Each case sets presence, plays its
// steps, then raises "a1" in zone and checks the first page.
func TestRouterTierOne(t *testing.T) {
	// front–back 40 s, front–office 60 s, back–office 30 s, dock unlisted
	// (the longest walk, 60 s).
	zones := map[string]map[string]time.Duration{
		"front": {"back": 40 * time.Second, "office": 60 * time.Second},
		"back":  {"office": 30 * time.Second},
	}
	roster := []Attendant{
		{ID: "ana", Name: "Ana", Zone: "front", Roles: []string{"attendant", "age_verifier"}},
		{ID: "ben", Name: "Ben", Zone: "back", Roles: []string{"attendant"}},
		{ID: "sue", Name: "Sue", Zone: "office", Roles: []string{"attendant", "age_verifier"}},
		{ID: "dan", Name: "Dan", Zone: "front", Roles: []string{"attendant"}},
		{ID: "max", Name: "Max", Zone: "front", Roles: []string{"supervisor"}},
	}
	raise := func(h *harness, now time.Time, id, zone string) []string {
		return h.raise(now, id, zone, protocol.KindBagTimeout)
	}
	// resolve has who claim, arrive at and approve alert id, and the lane
	// confirm it.
	resolve := func(h *harness, now time.Time, who, id string) {
		require.Contains(h.t, h.cmd(now, who, "c1-"+id, id, protocol.PagerClaim, ""), "result "+who+" c1-"+id+" ok=true claimed_by="+who)
		h.cmd(now, who, "c2-"+id, id, protocol.PagerArrive, "")
		h.cmd(now, who, "c3-"+id, id, protocol.PagerResolve, protocol.ActionApprove)
		require.Contains(h.t, h.result(now, id+":"+who+":c3-"+id, true, ""), "withdraw "+who+" "+id+": resolved")
	}
	cases := []struct {
		name    string
		present []string
		steps   func(h *harness)
		zone    string
		kind    protocol.Kind
		routing Routing
		want    string
	}{
		{name: "walk: same zone", present: []string{"ana", "ben", "sue"}, zone: "back", want: "page ben a1 tier 1"},
		{name: "walk: the shorter configured pair", present: []string{"ana", "ben"}, zone: "office", want: "page ben a1 tier 1"},
		{name: "walk: the pair is listed one way only", present: []string{"ana", "sue"}, zone: "back", want: "page sue a1 tier 1"},
		{name: "walk: an unlisted zone is the longest walk from everyone; roster order decides", present: []string{"sue", "ben"}, zone: "dock", want: "page ben a1 tier 1"},
		{name: "walk: from the lane they last arrived at", present: []string{"ana", "sue"}, zone: "back",
			steps: func(h *harness) {
				// a0 in back: Sue is nearer, but Ana takes it at tier 2.
				require.Equal(t, "page sue a0 tier 1", raise(h, t0, "a0", "back")[0])
				h.tick(at(20 * time.Second))
				resolve(h, at(21*time.Second), "ana", "a0")
			}, want: "page ana a1 tier 1"},
		{name: "tie: the least recently paged", present: []string{"ana", "dan"}, zone: "front",
			steps: func(h *harness) { require.Equal(t, "page ana a0 tier 1", raise(h, t0, "a0", "front")[0]) },
			want:  "page dan a1 tier 1"},
		{name: "tie: roster order when nobody was paged", present: []string{"dan", "ana"}, zone: "front", want: "page ana a1 tier 1"},
		{name: "busy: a claimer is not paged at tier 1, however near", present: []string{"ana", "ben"}, zone: "front",
			steps: func(h *harness) {
				raise(h, t0, "a0", "front")
				h.cmd(at(time.Second), "ana", "c1", "a0", protocol.PagerClaim, "")
			}, want: "page ben a1 tier 1"},
		{name: "busy: nor after arriving, until resolved", present: []string{"ana", "ben"}, zone: "front",
			steps: func(h *harness) {
				raise(h, t0, "a0", "front")
				h.cmd(at(time.Second), "ana", "c1", "a0", protocol.PagerArrive, "")
			}, want: "page ben a1 tier 1"},
		{name: "busy: once resolved, paged again", present: []string{"ana", "ben"}, zone: "front",
			steps: func(h *harness) {
				raise(h, t0, "a0", "front")
				resolve(h, at(time.Second), "ana", "a0")
			}, want: "page ana a1 tier 1"},
		{name: "busy: a released claim frees her", present: []string{"ana", "ben"}, zone: "front",
			steps: func(h *harness) {
				raise(h, t0, "a0", "front")
				h.cmd(at(time.Second), "ana", "c1", "a0", protocol.PagerClaim, "")
				h.cmd(at(2*time.Second), "ana", "c2", "a0", protocol.PagerRelease, "")
			}, want: "page ana a1 tier 1"},
		{name: "busy: the only one with no claim free, tier 2 asks the claimer", present: []string{"ana"}, zone: "front",
			steps: func(h *harness) {
				raise(h, t0, "a0", "front")
				h.cmd(at(time.Second), "ana", "c1", "a0", protocol.PagerClaim, "")
			}, want: "page ana a1 tier 2"},
		{name: "busy: presence busy is not available", present: []string{"ben"}, zone: "front",
			steps: func(h *harness) { h.presence(t0, "ana", protocol.PresenceBusy) }, want: "page ben a1 tier 1"},
		{name: "role: age check skips the nearer attendant without age_verifier", present: []string{"ben", "sue"}, zone: "back", kind: protocol.KindAgeCheck, want: "page sue a1 tier 1"},
		{name: "role: a supervisor alone is not tier 1 or 2", present: []string{"max"}, zone: "front", want: "page max a1 tier 3"},
		{name: "role: nobody with the role is on shift", present: []string{"ben", "dan"}, zone: "front", kind: protocol.KindAgeCheck, want: "record a1 open tier 0"},
		{name: "zone-only: the roster zone, not where she is", present: []string{"ana"}, zone: "front", routing: RouteZone,
			steps: func(h *harness) {
				raise(h, t0, "a0", "back")
				resolve(h, at(time.Second), "ana", "a0") // Ana is in back now
				h.presence(at(2*time.Second), "ben", protocol.PresenceAvailable)
			}, want: "page ana a1 tier 1"},
		{name: "zone-only: nobody in the lane's zone, roster order however far", present: []string{"ana", "ben"}, zone: "office", routing: RouteZone, want: "page ana a1 tier 1"},
		{name: "zone-only: a claimer is paged at tier 1", present: []string{"ana", "ben"}, zone: "front", routing: RouteZone,
			steps: func(h *harness) {
				raise(h, t0, "a0", "front")
				h.cmd(at(time.Second), "ana", "c1", "a0", protocol.PagerClaim, "")
			}, want: "page ana a1 tier 1"},
		{name: "zone-only: ties to the least recently paged", present: []string{"ana", "dan"}, zone: "front", routing: RouteZone,
			steps: func(h *harness) { require.Equal(t, "page ana a0 tier 1", raise(h, t0, "a0", "front")[0]) },
			want:  "page dan a1 tier 1"},
		{name: "zone-only: roles still hold", present: []string{"ben", "sue"}, zone: "back", kind: protocol.KindAgeCheck, routing: RouteZone, want: "page sue a1 tier 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := &Config{Store: "s1", Attendants: roster, Zones: zones, Routing: c.routing,
				Escalation: Escalation{AckTimeout: 20 * time.Second, ClaimTimeout: 3 * time.Minute, Repeat: 2}}
			require.NoError(t, cfg.Validate())
			present := map[string]string{}
			for _, id := range c.present {
				present[id] = protocol.PresenceAvailable
			}
			h := newHarness(t, cfg, present)
			if c.steps != nil {
				c.steps(h)
			}
			kind := c.kind
			if kind == "" {
				kind = protocol.KindHelp
			}
			got := h.raise(at(time.Minute), "a1", c.zone, kind)
			require.Equal(t, c.want, got[0], got)
		})
	}
}

// Tier 3 pages every supervisor who has a device on, on break too (the
// contract's "and every supervisor"), but not one who is offline; tiers 1
// and 2 never page a supervisor on break.
func TestTierThreeReachesASupervisorOnBreak(t *testing.T) {
	cfg := testConfig(t, Attendant{ID: "max", Name: "Max", Zone: "office", Roles: []string{"supervisor"}})
	h := newHarness(t, cfg, map[string]string{"ana": "available", "sue": "break", "max": "offline"})
	assert.Contains(t, h.raise(t0, "a1", "front", protocol.KindHelp), "page ana a1 tier 1")
	tier2 := h.tick(t0.Add(20 * time.Second))
	assert.Contains(t, tier2, "page ana a1 tier 2")
	assert.NotContains(t, strings.Join(tier2, "\n"), "page sue")
	tier3 := strings.Join(h.tick(t0.Add(40*time.Second)), "\n")
	assert.Contains(t, tier3, "page sue a1 tier 3", "a supervisor on break is paged at tier 3")
	assert.NotContains(t, tier3, "page max", "an offline supervisor has nothing to ring")
}
