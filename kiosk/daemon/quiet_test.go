package daemon

// End-to-end tests of the rules that keep a lane quiet for a shopper doing
// it right (issue 14): the real kioskd binary, its scale and scanner on
// pseudo-terminals.

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/devices/devicestest"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/kiosk/laneconfig"
	"github.com/sco-project/sco/protocol"
)

// setPolicy changes (or adds) one key of the rig's policy block.
func (r *rig) setPolicy(t testing.TB, key, value string) {
	t.Helper()
	b, err := os.ReadFile(r.path)
	require.NoError(t, err)
	var out []string
	found := false
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "  "+key+":") {
			l, found = "  "+key+": "+value, true
		}
		out = append(out, l)
	}
	conf := strings.Join(out, "\n")
	if !found {
		conf = strings.TrimRight(conf, "\n") + "\n  " + key + ": " + value + "\n"
	}
	require.NoError(t, os.WriteFile(r.path, []byte(conf), 0o600))
}

// quietLane starts kioskd for lane with bag_timeout long enough that no
// nudge comes while a test waits on real time.
func quietLane(t *testing.T, lane string, policy ...string) (w *watcher, r *rig, p *proc, at int) {
	t.Helper()
	url := testsupport.Mochi(t).URL()
	w = newWatcher(t, url)
	r = newRig(t, lane, url)
	r.setPolicy(t, "bag_timeout", "30s")
	for i := 0; i+1 < len(policy); i += 2 {
		r.setPolicy(t, policy[i], policy[i+1])
	}
	p = startKioskd(t, r)
	w.next(&at, protocol.LaneStateTopic(testStore, lane), stateWhere(func(s protocol.LaneState) bool { return s.Online }))
	r.scale.waitPolls(t, 4) // settle_readings 2, plus 2: the baseline is there
	return w, r, p, at
}

// requireNoNudge checks that no state the lane published (up to now)
// prompted the shopper or called an attendant, and that no alert was
// raised.
func requireNoNudge(t *testing.T, w *watcher, lane string) {
	t.Helper()
	for _, b := range w.all(protocol.LaneStateTopic(testStore, lane)) {
		st := decodeState(t, b)
		require.NotContains(t, []string{protocol.StateAttention, protocol.StateAssist}, st.State, "the lane nudged: %q", st.Prompt)
	}
	require.Zero(t, w.count(protocol.LaneAlertTopic(testStore, lane), nil), "a clean checkout raises nothing")
}

// Quick hands, end to end: the shopper scans a cola and puts it down,
// scans a second one and puts it down too while the scale is still in
// motion. The weight settles on both: both are accepted, nothing nudges.
func TestE2EQuickHands(t *testing.T) {
	const lane = "30"
	w, r, p, _ := quietLane(t, lane)

	r.scale.moving.Store(true)
	r.scan("5000112637922")
	st := pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == 1 })
	r.scale.set(355)
	polls := r.scale.polls.Load()
	r.scale.waitPolls(t, polls+2) // the lane sees the scale moving
	r.scan("5000112637922")
	// The second scan is held (journaled: the state's seq moves on) while
	// the first item waits for its weight.
	pollState(t, p.base, func(s protocol.LaneState) bool { return s.Seq > st.Seq && s.Items == 1 })
	r.scale.set(355 + 355 + 4)
	polls = r.scale.polls.Load()
	r.scale.waitPolls(t, polls+3) // the second item landed; still moving
	require.Equal(t, 1, p.state().Items)
	r.scale.moving.Store(false)

	st = pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == 2 && strings.Contains(s.Prompt, "next item") })
	require.Equal(t, protocol.StateShopping, st.State)
	require.Equal(t, int64(2*89), st.TotalCents)
	var done protocol.LaneState
	require.Equal(t, 200, api(t, "POST", p.base+"/api/finish", &done))
	require.Empty(t, done.Session)
	requireNoNudge(t, w, lane)
}

// Own bag, end to end: refused at an idle lane (where a bag simply joins
// the bagging area) without a change; during a session the next small
// gain is the bag, and the shopper screen has the button.
func TestE2EOwnBag(t *testing.T) {
	const lane = "31"
	w, r, p, _ := quietLane(t, lane)
	require.Contains(t, getBody(t, p.base+"/"), "/api/own-bag")

	before := p.state()
	var e map[string]string
	require.Equal(t, http.StatusConflict, api(t, "POST", p.base+"/api/own-bag", &e))
	require.Contains(t, e["error"], "no session")
	require.Equal(t, before.Seq, p.state().Seq, "a refused call changes nothing")
	r.scale.set(30) // a bag at the idle lane: part of the baseline
	r.scale.waitPolls(t, r.scale.polls.Load()+4)

	r.scan("0012345678905") // garden chair, no_bag: a session
	pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == 1 })
	var st protocol.LaneState
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/own-bag", &st))
	require.Contains(t, st.Prompt, "Please place your bag")
	require.Equal(t, protocol.StateShopping, st.State)
	r.scale.set(30 + 120)
	pollState(t, p.base, func(s protocol.LaneState) bool { return !strings.Contains(s.Prompt, "your bag") })

	r.scan("5000112637922")
	pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == 2 })
	r.scale.set(30 + 120 + 355)
	pollState(t, p.base, func(s protocol.LaneState) bool { return strings.Contains(s.Prompt, "next item") })
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/finish", &st))
	requireNoNudge(t, w, lane)
}

// Skip bagging, end to end: refused with nothing waiting for its weight;
// within skip_bag_limit an item is accepted without weight; beyond, alert
// skip_bag, which the attendant approves.
func TestE2ESkipBag(t *testing.T) {
	const lane = "32"
	w, r, p, at := quietLane(t, lane, "skip_bag_limit", "1")
	require.Contains(t, getBody(t, p.base+"/"), "/api/skip-bag")

	var e map[string]string
	require.Equal(t, http.StatusConflict, api(t, "POST", p.base+"/api/skip-bag", &e))
	require.Equal(t, "no item is waiting for the bagging area", e["error"])

	r.scan("5000112637922")
	pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == 1 })
	var st protocol.LaneState
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/skip-bag", &st))
	require.Contains(t, st.Prompt, "next item")
	requireNoNudge(t, w, lane)

	r.scan("5000112637922")
	pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == 2 })
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/skip-bag", &st))
	require.Equal(t, protocol.StateAssist, st.State)
	a := decodeAlert(t, w.next(&at, protocol.LaneAlertTopic(testStore, lane), isKind(protocol.KindSkipBag, protocol.AlertOpen)))
	require.Equal(t, protocol.SeverityMedium, a.Severity)
	require.Equal(t, "Cola 330ml", a.Item.Name)
	res := command(t, w, lane, "c1", a.ID, protocol.ActionApprove)
	require.True(t, res.OK, res.Error)
	st = pollState(t, p.base, func(s protocol.LaneState) bool { return len(s.Alerts) == 0 })
	require.Equal(t, 2, st.Items)
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/finish", &st))
}

// startInProcClocked runs a lane in the test process on fake devices and
// a clock the test moves, for rules that take time (help_debounce)
// without waiting for it.
func startInProcClocked(t testing.TB, cfg *laneconfig.Config) (*inProc, *testsupport.Clock) {
	t.Helper()
	clock := testsupport.NewClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	p := startInProcOpts(t, cfg, Opts{
		Now:     clock.Now,
		Scanner: devicestest.NewScanner(clock.Now),
		Scale:   devicestest.NewScale(clock.Now),
	})
	return p, clock
}

// Learned weights, end to end: what a lane learns is kept in data_dir and
// used after a restart; kioskd -weights shows it; unreadable learned data
// is set aside with a log line and the lane starts from the catalogue.
func TestE2ELearnedWeights(t *testing.T) {
	const lane = "33"
	w, r, p, _ := quietLane(t, lane, "learn_min_samples", "1")
	r.scan("5000112637922") // cola: 355 ±15 in the catalogue
	pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == 1 })
	r.scale.set(366)
	pollState(t, p.base, func(s protocol.LaneState) bool { return strings.Contains(s.Prompt, "next item") })
	var st protocol.LaneState
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/finish", &st))
	requireNoNudge(t, w, lane)
	p.Term()

	out, err := exec.Command(kioskdBin, "-weights", r.path).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Regexp(t, `05000112637922\s+Cola 330ml\s+1\s+366\.0\s+0\.0\s+8\s+355 ±15\s+learned 366 ±8`, string(out))

	// After a restart the learned 366 ±8 is in force: 352 g more, which
	// the catalogue would take, is a wrong weight.
	p = startKioskd(t, r)
	p.WaitLog(func(m map[string]any) bool { return m["msg"] == "learned weights loaded" && m["items"] == float64(1) })
	r.scale.waitPolls(t, r.scale.polls.Load()+4)
	r.scan("5000112637922")
	pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == 1 })
	r.scale.set(366 + 352)
	pollState(t, p.base, func(s protocol.LaneState) bool { return strings.Contains(s.Prompt, "does not match") })
	r.scale.set(366 + 367)
	pollState(t, p.base, func(s protocol.LaneState) bool { return strings.Contains(s.Prompt, "next item") })
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/finish", &st))
	p.Term()

	// Unreadable learned data.
	path := filepath.Join(r.dir, "data", WeightsFile)
	require.NoError(t, os.WriteFile(path, []byte("\x00garbage\n"), 0o600))
	p = startKioskd(t, r)
	rec := p.WaitLog(func(m map[string]any) bool {
		return m["msg"] == "learned weights unreadable, set aside; starting from the catalogue"
	})
	aside, _ := rec["set_aside_as"].(string)
	require.True(t, strings.HasPrefix(aside, path+".unreadable-"), "%v", rec)
	b, err := os.ReadFile(aside)
	require.NoError(t, err)
	require.Equal(t, "\x00garbage\n", string(b))
	got, err := ReadWeights(filepath.Join(r.dir, "data"))
	require.NoError(t, err)
	require.Empty(t, got, "the lane starts from the catalogue")
	require.Equal(t, protocol.StateIdle, p.state().State)
	p.Term()
}

// help_debounce, end to end: help pressed again right after the shopper
// cancelled it pages nobody and says so.
func TestE2EHelpDebounce(t *testing.T) {
	const lane = "34"
	w, _, p, at := quietLane(t, lane, "help_debounce", "1m")
	alertTopic := protocol.LaneAlertTopic(testStore, lane)
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/help", nil))
	a := decodeAlert(t, w.next(&at, alertTopic, isKind(protocol.KindHelp, protocol.AlertOpen)))
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/help/cancel", nil))
	w.next(&at, alertTopic, isID(a.ID))
	var e map[string]string
	require.Equal(t, http.StatusConflict, api(t, "POST", p.base+"/api/help", &e))
	require.Equal(t, "help was cancelled a moment ago", e["error"])
	// The refused press changed the prompt: its state follows anything
	// the same step published.
	st := decodeState(t, w.next(&at, protocol.LaneStateTopic(testStore, lane), stateWhere(func(s protocol.LaneState) bool {
		return strings.Contains(s.Prompt, "press help again in a moment")
	})))
	require.Empty(t, st.Alerts)
	require.Equal(t, 1, w.count(alertTopic, isKind(protocol.KindHelp, protocol.AlertOpen)), "one page")
}

// A scale that talks garbage recovers at once: ten garbled replies in a
// row, then good ones, raise no device_fault at device_grace 2s (each
// costs one poll, not the 1s reply timeout); a scale that never answers
// still raises it, and is cancelled when it answers again.
func TestE2EGarbledScaleRecovers(t *testing.T) {
	const lane = "35"
	w, r, p, at := quietLane(t, lane, "device_grace", "2s")
	alertTopic := protocol.LaneAlertTopic(testStore, lane)
	r.scale.garble.Store(10)
	polls := r.scale.polls.Load()
	r.scale.waitPolls(t, polls+10+5) // the ten garbled, then five good
	require.LessOrEqual(t, r.scale.garble.Load(), int64(0))
	// A reading after the good ones: the engine has seen them all.
	r.scale.set(0)
	r.scale.waitPolls(t, r.scale.polls.Load()+2)
	require.Zero(t, w.count(alertTopic, nil), "no device_fault for a scale that recovered:\n%s", p.Log())
	require.Empty(t, p.state().Alerts)

	r.scale.mute.Store(true)
	a := decodeAlert(t, w.next(&at, alertTopic, isKind(protocol.KindDeviceFault, protocol.AlertOpen)))
	require.Contains(t, a.Detail, "no reply")
	r.scale.mute.Store(false)
	w.next(&at, alertTopic, isID(a.ID))
	pollState(t, p.base, noAlerts)
}
