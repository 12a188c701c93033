package daemon

// End-to-end tests: the real kioskd binary, its scanner and scale played on
// pseudo-terminals, a real broker (embedded mochi, and Mosquitto).

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/devices/serialport"
	"github.com/sco-project/sco/internal/broker"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/protocol"
)

var kioskdBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kioskd-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	kioskdBin = filepath.Join(dir, "kioskd")
	build := exec.Command("go", "build", "-o", kioskdBin, "github.com/sco-project/sco/cmd/kioskd")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build kioskd:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running kioskd process (testsupport.Proc) and the address
// of its local API.
type proc struct {
	*testsupport.Proc
	t    testing.TB
	base string // http://host:port of its local API
}

// startKioskd runs kioskd on r's config and waits until it serves its
// local API (it logs the address it listens on).
func startKioskd(t testing.TB, r *rig, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, Proc: testsupport.StartProc(t, "kioskd", kioskdBin, append([]string{"-config", r.path, "-log-format", "json"}, args...)...)}
	p.Wait = waitFor
	p.base = "http://" + p.WaitMsg("kioskd running")["ui"].(string)
	return p
}

func (p *proc) state() protocol.LaneState {
	p.t.Helper()
	var st protocol.LaneState
	require.Equal(p.t, http.StatusOK, api(p.t, "GET", p.base+"/api/state", &st))
	return st
}

// command sends an attendant command and returns the lane's answer.
func command(t testing.TB, w *watcher, lane, id, alert string, action protocol.Action) protocol.CommandResult {
	t.Helper()
	at := w.mark()
	c := protocol.Command{ID: id, Alert: alert, Action: action, By: "ana", TS: protocol.At(time.Now())}
	w.publish(protocol.LaneCommandTopic(testStore, lane), false, protocol.Encode(c))
	var res protocol.CommandResult
	require.NoError(t, protocol.Decode(w.next(&at, protocol.LaneResultTopic(testStore, lane), isID(id)), &res))
	return res
}

// e2eLane starts kioskd for lane against brokerURL with a watcher on the
// store's topics, and waits for the lane's online state. at is the
// watcher position after that state.
func e2eLane(t testing.TB, brokerURL, lane string) (w *watcher, r *rig, p *proc, at int) {
	t.Helper()
	w = newWatcher(t, brokerURL)
	r = newRig(t, lane, brokerURL)
	p = startKioskd(t, r)
	w.next(&at, protocol.LaneStateTopic(testStore, lane), stateWhere(func(s protocol.LaneState) bool { return s.Online }))
	r.scale.waitPolls(t, 4) // settle_readings 2, plus 2
	return w, r, p, at
}

func noAlerts(s protocol.LaneState) bool { return len(s.Alerts) == 0 }

func TestE2ECleanCheckout(t *testing.T) {
	b := testsupport.Mochi(t)
	w, r, p, at := e2eLane(t, b.URL(), "10")
	stateTopic := protocol.LaneStateTopic(testStore, "10")
	require.Equal(t, protocol.StateIdle, p.state().State)
	require.Contains(t, getBody(t, p.base+"/api/state"), `"basket":[]`, "an empty basket is an empty list, not left out")

	r.scan("5000112637922") // cola, 355 g
	st := pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == 1 })
	require.NotEmpty(t, st.Session)
	require.Contains(t, st.Prompt, "bagging area")
	r.scale.set(355)
	pollState(t, p.base, func(s protocol.LaneState) bool {
		return s.State == protocol.StateShopping && !strings.Contains(s.Prompt, "place")
	})
	r.scan("0012345678905") // garden chair, no_bag
	st = pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == 2 })
	require.Equal(t, int64(89+2999), st.TotalCents)
	require.Len(t, st.Basket, 2)
	require.Equal(t, "Garden chair", st.Basket[1].Name)
	page := getBody(t, p.base+"/")
	require.Contains(t, page, "Garden chair")
	require.Contains(t, page, "30.88")

	session := st.Session
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/finish", &st))
	require.Empty(t, st.Session)
	require.Equal(t, 0, st.Items)
	ended := w.next(&at, stateTopic, stateWhere(func(s protocol.LaneState) bool { return s.Session == "" && s.Seq > 0 }))
	require.NotContains(t, string(ended), "basket", "the MQTT state has no basket")
	require.Contains(t, getBody(t, p.base+"/api/state"), `"basket":[]`)
	require.Zero(t, w.count(protocol.LaneAlertTopic(testStore, "10"), nil), "a clean checkout raises nothing")
	require.NotEmpty(t, session)

	p.Term()
	requireRetained(t, b.URL(), stateTopic, func(s protocol.LaneState) bool { return !s.Online && s.State == protocol.StateOffline })
}

// TestE2EEveryAlertKind walks one lane through every alert kind; each
// reaches MQTT, and each is then fixed by the shopper (cancelled) or
// resolved by an attendant command (answered on command/result).
func TestE2EEveryAlertKind(t *testing.T) {
	const lane = "11"
	w, r, p, at := e2eLane(t, testsupport.Mochi(t).URL(), lane)
	alertTopic := protocol.LaneAlertTopic(testStore, lane)
	open := func(k protocol.Kind) protocol.Alert {
		t.Helper()
		a := decodeAlert(t, w.next(&at, alertTopic, isKind(k, protocol.AlertOpen)))
		require.Equal(t, lane, a.Lane)
		require.Equal(t, "front", a.Zone)
		require.Equal(t, protocol.SeverityOf(k), a.Severity)
		return a
	}
	cancelled := func(a protocol.Alert) {
		t.Helper()
		got := decodeAlert(t, w.next(&at, alertTopic, isID(a.ID)))
		require.Equal(t, protocol.AlertCancelled, got.Status, "%s cancelled when the shopper fixed it", a.Kind)
	}
	weight := 0
	place := func(g int) { weight += g; r.scale.set(weight) }

	t.Run("help", func(t *testing.T) {
		require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/help", nil))
		a := open(protocol.KindHelp)
		require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/help/cancel", nil))
		cancelled(a)
	})
	t.Run("unknown_item", func(t *testing.T) {
		r.scan("4006381333931") // valid check digit, not in the catalogue
		pollState(t, p.base, func(s protocol.LaneState) bool { return strings.Contains(s.Prompt, "not recognised") })
		r.scan("4006381333931")
		a := open(protocol.KindUnknownItem)
		require.Contains(t, a.Detail, "4006381333931")
		res := command(t, w, lane, "cmd-unknown", a.ID, protocol.ActionClear)
		require.True(t, res.OK, "%+v", res)
		pollState(t, p.base, noAlerts)
	})
	t.Run("bag_timeout", func(t *testing.T) {
		r.scan("5000112637922") // cola: waits for 355 g
		a := open(protocol.KindBagTimeout)
		require.Equal(t, "Cola 330ml", a.Item.Name)
		place(355)
		cancelled(a)
	})
	t.Run("weight_mismatch", func(t *testing.T) {
		r.scan("5000112637922")
		pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == 2 })
		place(800) // a stable gain that is not 355 ± 15
		pollState(t, p.base, func(s protocol.LaneState) bool { return strings.Contains(s.Prompt, "weight does not match") })
		place(10) // settles again, still wrong: the second mismatch
		a := open(protocol.KindWeightMismatch)
		res := command(t, w, lane, "cmd-mismatch", a.ID, protocol.ActionApprove)
		require.True(t, res.OK, "%+v", res)
		pollState(t, p.base, noAlerts)
	})
	t.Run("unexpected_item", func(t *testing.T) {
		place(500)
		a := open(protocol.KindUnexpectedItem)
		place(-500)
		cancelled(a)
	})
	t.Run("item_removed", func(t *testing.T) {
		place(-355)
		a := open(protocol.KindItemRemoved)
		res := command(t, w, lane, "cmd-removed", a.ID, protocol.ActionApprove)
		require.True(t, res.OK, "%+v", res)
		pollState(t, p.base, noAlerts)
	})
	t.Run("age_check", func(t *testing.T) {
		r.scan("5010477348678") // red wine, age restricted
		a := open(protocol.KindAgeCheck)
		require.Equal(t, protocol.SeverityHigh, a.Severity)
		place(1250) // scanning and bagging go on
		var e map[string]string
		require.Equal(t, http.StatusConflict, api(t, "POST", p.base+"/api/finish", &e), "finish waits for the age check")
		require.NotEmpty(t, e["error"])
		res := command(t, w, lane, "cmd-age", a.ID, protocol.ActionAgeOK)
		require.True(t, res.OK, "%+v", res)
		pollState(t, p.base, noAlerts)
	})
	t.Run("device_fault", func(t *testing.T) {
		r.scanner.Unplug()
		a := open(protocol.KindDeviceFault)
		require.Contains(t, a.Detail, "scanner")
		st := pollState(t, p.base, func(s protocol.LaneState) bool { return len(s.Alerts) == 1 })
		require.Equal(t, "red_flash", st.Light)
		r.scanner.Replug()
		cancelled(a)
	})
	t.Run("device_fault scale", func(t *testing.T) {
		r.scale.fault.Store(true) // the scale reports a RAM error on every poll
		a := open(protocol.KindDeviceFault)
		require.Contains(t, a.Detail, "scale")
		r.scale.fault.Store(false)
		cancelled(a)
	})
	st := pollState(t, p.base, noAlerts)
	require.Equal(t, 3, st.Items)

	// The golden transcript of lane/{lane}/alert: raised (open) and, when
	// the shopper fixed the cause, cancelled; alerts resolved by a command
	// close on the lane's state and command/result, not here.
	var transcript []string
	for _, m := range w.all(alertTopic) {
		a := decodeAlert(t, m)
		transcript = append(transcript, string(a.Kind)+" "+a.Status)
	}
	require.Equal(t, []string{
		"help open", "help cancelled",
		"unknown_item open",
		"bag_timeout open", "bag_timeout cancelled",
		"weight_mismatch open",
		"unexpected_item open", "unexpected_item cancelled",
		"item_removed open",
		"age_check open",
		"device_fault open", "device_fault cancelled",
		"device_fault open", "device_fault cancelled",
	}, transcript)
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/finish", nil))
	p.Term()
}

// TestE2EKill9Recovery kills kioskd with SIGKILL mid-session: after a
// restart the lane has the same session, the same items and the same
// open alert, and nothing was doubled.
func TestE2EKill9Recovery(t *testing.T) {
	const lane = "12"
	w, r, p, at := e2eLane(t, testsupport.Mochi(t).URL(), lane)
	alertTopic := protocol.LaneAlertTopic(testStore, lane)
	r.scan("5000112637922")
	pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == 1 })
	r.scale.set(355)
	pollState(t, p.base, func(s protocol.LaneState) bool {
		return s.State == protocol.StateShopping && !strings.Contains(s.Prompt, "place")
	})
	r.scan("5010477348678") // wine: age check open, waiting for its weight
	age := decodeAlert(t, w.next(&at, alertTopic, isKind(protocol.KindAgeCheck, protocol.AlertOpen)))
	before := pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == 2 && len(s.Alerts) == 1 })

	mark := w.mark()
	p.Kill()
	// The broker publishes the lane's will: the retained state says offline.
	will := decodeState(t, w.next(&mark, protocol.LaneStateTopic(testStore, lane), stateWhere(func(s protocol.LaneState) bool { return !s.Online })))
	require.Equal(t, protocol.StateOffline, will.State)
	// The bridge (played here) is online: its retained state makes every
	// lane re-publish its open alerts when it connects.
	w.publish(protocol.BridgeStateTopic(testStore), true, protocol.Encode(protocol.BridgeState{Online: true, TS: protocol.At(time.Now())}))
	p2 := startKioskd(t, r)
	after := p2.state()
	require.Equal(t, before.Session, after.Session, "same session")
	require.Equal(t, before.Items, after.Items, "same items, none doubled")
	require.Equal(t, before.Basket, after.Basket)
	require.Equal(t, before.TotalCents, after.TotalCents)
	require.Equal(t, []string{age.ID}, after.Alerts, "same open alert")
	require.Equal(t, "Cola 330ml", after.Basket[0].Name)

	// Back on the broker, the lane re-publishes its open alert; the
	// bridge (played here) answers that as the real one does, with the
	// resolution. (Sent earlier, during the broker's session takeover, a
	// command can be lost; the real bridge re-sends a pending command when
	// it sees the alert again.)
	w.next(&mark, alertTopic, isID(age.ID))

	// The session goes on where it was: the wine is placed, the age
	// check approved, the shopper pays.
	r.scale.set(355 + 1250)
	res := command(t, w, lane, "cmd-age-after-restart", age.ID, protocol.ActionAgeOK)
	require.True(t, res.OK, "%+v", res)
	st := pollState(t, p2.base, func(s protocol.LaneState) bool { return len(s.Alerts) == 0 && !strings.Contains(s.Prompt, "place") })
	require.Equal(t, 2, st.Items)
	require.Equal(t, http.StatusOK, api(t, "POST", p2.base+"/api/finish", nil))
	// Raised once: every age_check message is this alert (a kill between
	// the PUBACK and the outbox removal may deliver it twice, same id).
	require.Equal(t, w.count(alertTopic, isKind(protocol.KindAgeCheck, protocol.AlertOpen)), w.count(alertTopic, isID(age.ID)))
	p2.Term()
}

// TestE2EOutageAcrossRestart: the broker goes away, the shopper asks for
// help, kioskd is killed and restarted while the broker is still away;
// when a broker returns on the same address, the alert arrives, before the
// state that lists it.
func TestE2EOutageAcrossRestart(t *testing.T) {
	b, err := broker.Start(broker.Opts{})
	require.NoError(t, err)
	t.Cleanup(func() { b.Close() })
	addr := b.Addr()
	const lane = "13"
	r := newRig(t, lane, b.URL())
	p := startKioskd(t, r)
	w := newWatcher(t, b.URL())
	at := 0
	w.next(&at, protocol.LaneStateTopic(testStore, lane), stateWhere(func(s protocol.LaneState) bool { return s.Online }))

	require.NoError(t, b.Close())
	var st protocol.LaneState
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/help", &st))
	id := st.Alerts[0]
	p.Kill()
	p2 := startKioskd(t, r)
	require.Equal(t, []string{id}, p2.state().Alerts)

	b2, err := broker.Start(broker.Opts{Addr: addr})
	require.NoError(t, err)
	t.Cleanup(func() { b2.Close() })
	w2 := newWatcher(t, b2.URL())
	at2 := 0
	a := decodeAlert(t, w2.next(&at2, protocol.LaneAlertTopic(testStore, lane), isID(id)))
	require.Equal(t, protocol.AlertOpen, a.Status)
	require.Equal(t, protocol.KindHelp, a.Kind)
	w2.next(&at2, protocol.LaneStateTopic(testStore, lane), stateWhere(func(s protocol.LaneState) bool {
		return s.Online && len(s.Alerts) == 1 && s.Alerts[0] == id
	}))
	p2.Term()
}

// TestE2EMosquitto runs a lane against a real Mosquitto: an alert, an
// attendant's assist and command, and the offline state on SIGTERM.
func TestE2EMosquitto(t *testing.T) {
	m := testsupport.StartMosquitto(t, "")
	const lane = "14"
	w, _, p, at := e2eLane(t, m.URL(), lane)
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/help", nil))
	a := decodeAlert(t, w.next(&at, protocol.LaneAlertTopic(testStore, lane), isKind(protocol.KindHelp, protocol.AlertOpen)))
	as := protocol.Assist{Alert: a.ID, Status: protocol.AlertClaimed, Attendant: "ana", Name: "Ana", Tier: 1, TS: protocol.At(time.Now())}
	w.publish(protocol.LaneAssistTopic(testStore, lane), true, protocol.Encode(as))
	pollState(t, p.base, func(s protocol.LaneState) bool { return s.Assist != nil && s.Assist.Name == "Ana" })
	require.Contains(t, getBody(t, p.base+"/"), "Ana is on the way")
	res := command(t, w, lane, "cmd-mosq", a.ID, protocol.ActionClear)
	require.True(t, res.OK, "%+v", res)
	pollState(t, p.base, noAlerts)
	p.Term()
	requireRetained(t, m.URL(), protocol.LaneStateTopic(testStore, lane), func(s protocol.LaneState) bool { return !s.Online })
}

func TestE2ECheckConfig(t *testing.T) {
	r := newRig(t, "15", "tcp://127.0.0.1:1")
	out, err := exec.Command(kioskdBin, "-check-config", r.path).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), r.path+": ok (store ")
	require.Contains(t, string(out), " with 3 items, ")

	bad := filepath.Join(r.dir, "bad.yaml")
	conf, err := os.ReadFile(r.path)
	require.NoError(t, err)
	conf = []byte(strings.Replace(string(conf), "protocol: nci", "protocol: foo", 1) + "colour: blue\n")
	require.NoError(t, os.WriteFile(bad, conf, 0o600))
	cmd := exec.Command(kioskdBin, "-check-config", bad)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	require.Error(t, err)
	require.Equal(t, 1, cmd.ProcessState.ExitCode())
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	require.Len(t, lines, 2, "every problem, one line each, in one run: %q", lines)
	require.Regexp(t, `^kioskd: bad\.yaml: line \d+: unknown key colour$`, lines[0])
	require.Equal(t, "kioskd: bad.yaml: scale.protocol: \"foo\" is not nci, toledo or sics", lines[1])

	conf = []byte(strings.Replace(string(conf), "colour: blue\n", "", 1))
	require.NoError(t, os.WriteFile(bad, conf, 0o600))
	out, err = exec.Command(kioskdBin, "-check-config", bad).CombinedOutput()
	require.Error(t, err)
	require.Equal(t, "kioskd: bad.yaml: scale.protocol: \"foo\" is not nci, toledo or sics\n", string(out))

	require.NoError(t, os.WriteFile(filepath.Join(r.dir, "catalog.csv"), []byte(testCatalog+"5000112637923,Bad check digit,1,1,1,\n"), 0o600))
	out, err = exec.Command(kioskdBin, "-check-config", r.path).CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(out), "catalog.csv:5: gtin \"5000112637923\": bad check digit")
}

// TestE2ESighupReloadsCatalogue: SIGHUP loads the catalogue again; a bad
// one is logged and the old one stays in use.
func TestE2ESighupReloadsCatalogue(t *testing.T) {
	const lane = "16"
	_, r, p, _ := e2eLane(t, testsupport.Mochi(t).URL(), lane)
	const tea = "4006381333931"
	catPath := filepath.Join(r.dir, "catalog.csv")
	require.NoError(t, os.WriteFile(catPath, []byte(testCatalog+tea+",Green tea,250,0,0,no_bag\n"), 0o600))
	p.Signal(syscall.SIGHUP)
	p.WaitLog(func(m map[string]any) bool { return m["msg"] == "catalogue reloaded" })
	r.scan(tea)
	st := pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == 1 })
	require.Equal(t, "Green tea", st.Basket[0].Name)

	require.NoError(t, os.WriteFile(catPath, []byte("gtin,name\nnot a catalogue\n"), 0o600))
	p.Signal(syscall.SIGHUP)
	rec := p.WaitLog(func(m map[string]any) bool { return m["msg"] == "catalogue reload failed" })
	require.Contains(t, rec["err"], "catalog.csv")
	r.scan(tea)
	pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == 2 })
	p.Term()
}

// TestE2EDeviceMissingAtStart: a scanner that is not plugged in when
// kioskd starts does not stop the lane; it raises device_fault after
// device_grace, and plugging it in cancels the alert.
func TestE2EDeviceMissingAtStart(t *testing.T) {
	b := testsupport.Mochi(t)
	w := newWatcher(t, b.URL())
	const lane = "17"
	r := newRig(t, lane, b.URL())
	r.scanner.Unplug()
	require.NoError(t, os.Remove(r.scanner.Path))
	p := startKioskd(t, r)
	at := 0
	a := decodeAlert(t, w.next(&at, protocol.LaneAlertTopic(testStore, lane), isKind(protocol.KindDeviceFault, protocol.AlertOpen)))
	require.Contains(t, a.Detail, "scanner")
	r.scanner.Replug()
	got := decodeAlert(t, w.next(&at, protocol.LaneAlertTopic(testStore, lane), isID(a.ID)))
	require.Equal(t, protocol.AlertCancelled, got.Status)
	r.scan("0012345678905")
	pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == 1 })
	p.Term()
}

// TestE2EKill9Repeatedly kills kioskd right after each change the shopper
// saw: every restart resumes the same session with exactly the items
// acknowledged so far, none doubled, and at the end the open help alert.
func TestE2EKill9Repeatedly(t *testing.T) {
	const lane = "18"
	w, r, p, _ := e2eLane(t, testsupport.Mochi(t).URL(), lane)
	var session, help string
	for i := 1; i <= 4; i++ {
		r.scan("0012345678905") // garden chair, no_bag
		st := pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == i })
		if i == 4 { // (an open help alert stops scanning, so last)
			require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/help", &st))
			help = st.Alerts[0]
		}
		if session == "" {
			session = st.Session
		}
		p.Kill()
		p = startKioskd(t, r)
		st = p.state()
		require.Equal(t, session, st.Session, "cycle %d", i)
		require.Equal(t, i, st.Items, "cycle %d: exactly the acknowledged items", i)
		require.Len(t, st.Basket, i)
		if help != "" {
			require.Equal(t, []string{help}, st.Alerts, "cycle %d", i)
		}
		r.scale.waitPolls(t, r.scale.polls.Load()+4)
	}
	// The alert was journaled before the shopper saw it; if the kill came
	// before the broker had it, the restarted lane delivers it. (If the
	// kill came between the PUBACK and the outbox removal, it is delivered
	// twice: at least once, deduplicated by id.)
	at := 0
	w.next(&at, protocol.LaneAlertTopic(testStore, lane), isID(help))
	w.next(&at, protocol.LaneStateTopic(testStore, lane), stateWhere(func(s protocol.LaneState) bool {
		return s.Online && s.Items == 4 && len(s.Alerts) == 1 && s.Alerts[0] == help
	}))
	p.Term()
}

// TestE2EMosquittoACL runs a lane as user lane-19 on a Mosquitto with the
// shipped ACL (scripts/mosquitto): every topic the lane publishes and
// reads is allowed to it.
func TestE2EMosquittoACL(t *testing.T) {
	testsupport.NeedMosquittoPasswd(t)
	const lane = "19"
	dir := t.TempDir()
	acl, err := os.ReadFile("../../scripts/mosquitto/acl")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "acl"), acl, 0o600))
	for _, args := range [][]string{{"bridge", "b-pw"}, {"lane", testStore, lane, "l-pw"}} {
		out, err := exec.Command("../../scripts/mosquitto/add-user.sh", append([]string{"-d", dir}, args...)...).CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	m := testsupport.StartMosquitto(t, "user root\nallow_anonymous false\npassword_file "+filepath.Join(dir, "passwd")+"\nacl_file "+filepath.Join(dir, "acl")+"\n")
	bridge := newWatcherAs(t, m.URL(), "bridge", "b-pw")
	bridge.publish(protocol.BridgeStateTopic(testStore), true, protocol.Encode(protocol.BridgeState{Online: true, TS: protocol.At(time.Now())}))
	r := newRigAs(t, lane, m.URL(), "lane-"+lane, "l-pw")
	p := startKioskd(t, r)
	at := 0
	bridge.next(&at, protocol.LaneStateTopic(testStore, lane), stateWhere(func(s protocol.LaneState) bool { return s.Online }))

	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/help", nil))
	a := decodeAlert(t, bridge.next(&at, protocol.LaneAlertTopic(testStore, lane), isKind(protocol.KindHelp, protocol.AlertOpen)))
	bridge.publish(protocol.LaneAssistTopic(testStore, lane), true, protocol.Encode(protocol.Assist{Alert: a.ID, Status: protocol.AlertClaimed, Attendant: "ana", Name: "Ana", TS: protocol.At(time.Now())}))
	pollState(t, p.base, func(s protocol.LaneState) bool { return s.Assist != nil && s.Assist.Name == "Ana" })

	// The bridge goes offline: the lane pages on broadcast/page.
	bridge.publish(protocol.BridgeStateTopic(testStore), true, protocol.Encode(protocol.BridgeState{Online: false, TS: protocol.At(time.Now())}))
	bridge.next(&at, protocol.BroadcastPageTopic(testStore), isID(a.ID))

	res := command(t, bridge, lane, "cmd-acl", a.ID, protocol.ActionClear)
	require.True(t, res.OK, "%+v", res)
	p.Term()
	requireRetainedAs(t, m.URL(), "bridge", "b-pw", protocol.LaneStateTopic(testStore, lane), func(s protocol.LaneState) bool { return !s.Online })
}

// TestE2ECommandWhileDown: a command the bridge sends while the lane is
// down waits in the lane's broker session and is applied and answered
// when the lane is back, even when it arrives before the lane has
// subscribed again.
func TestE2ECommandWhileDown(t *testing.T) {
	const lane = "20"
	w, r, p, at := e2eLane(t, testsupport.Mochi(t).URL(), lane)
	var st protocol.LaneState
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/help", &st))
	id := st.Alerts[0]
	w.next(&at, protocol.LaneAlertTopic(testStore, lane), isID(id))
	p.Kill()
	w.publish(protocol.LaneCommandTopic(testStore, lane), false, protocol.Encode(protocol.Command{
		ID: "cmd-while-down", Alert: id, Action: protocol.ActionClear, By: "ana", TS: protocol.At(time.Now())}))
	p2 := startKioskd(t, r)
	var res protocol.CommandResult
	require.NoError(t, protocol.Decode(w.next(&at, protocol.LaneResultTopic(testStore, lane), isID("cmd-while-down")), &res))
	require.True(t, res.OK, "%+v", res)
	pollState(t, p2.base, noAlerts)
	p2.Term()
}

// TestE2ERecord: -record writes each device session as a transcript that
// serialport.ParseTranscript reads back (a fixture for Line.Play).
func TestE2ERecord(t *testing.T) {
	b := testsupport.Mochi(t)
	r := newRig(t, "21", b.URL())
	dir := filepath.Join(t.TempDir(), "rec")
	p := startKioskd(t, r, "-record", dir)
	r.scale.waitPolls(t, 4)
	r.scan("0012345678905")
	pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == 1 })
	p.Term()

	// (Reads may split or join frames, so the bytes are compared per
	// direction.)
	in, _ := readTranscript(t, filepath.Join(dir, "scanner_session.txt"))
	require.Contains(t, in, "0012345678905\r")
	in, out := readTranscript(t, filepath.Join(dir, "scale_session.txt"))
	require.True(t, strings.HasPrefix(out, "W\rW\r"), "the scale is polled: %q", out)
	require.Contains(t, in, "\n00.000KG\r\nS20\r\x03")
}

// readTranscript returns what the devices sent and what the host sent.
func readTranscript(t testing.TB, path string) (fromDevice, fromHost string) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	steps, err := serialport.ParseTranscript(f)
	require.NoError(t, err)
	for _, s := range steps {
		switch s.Dir {
		case '<':
			fromDevice += s.Data
		case '>':
			fromHost += s.Data
		}
	}
	return fromDevice, fromHost
}
