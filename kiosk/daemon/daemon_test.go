package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/devices/devicestest"
	"github.com/sco-project/sco/internal/broker"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/kiosk"
	"github.com/sco-project/sco/kiosk/laneconfig"
	"github.com/sco-project/sco/protocol"
)

const testCatalog = "gtin,name,price_cents,weight_g,tolerance_g,flags\n" +
	"5000112637922,Cola 330ml,89,355,15,\n" +
	"5010477348678,Red wine 75cl,899,1250,30,age_restricted\n" +
	"0012345678905,Garden chair,2999,0,0,no_bag\n"

// rig is one lane's surroundings: a config file, a catalogue, and the
// scanner and scale played on pseudo-terminals.
type rig struct {
	lane    string
	dir     string
	path    string // lane.yaml
	scanner *devicestest.Line
	scale   *fakeScale
}

// newRig writes a lane config with short policy times (so that every rule
// fires within a second) against brokerURL.
func newRig(t testing.TB, lane, brokerURL string) *rig {
	t.Helper()
	return newRigAs(t, lane, brokerURL, "", "")
}

// newRigAs is newRig with MQTT credentials.
func newRigAs(t testing.TB, lane, brokerURL, user, password string) *rig {
	t.Helper()
	r := &rig{lane: lane, dir: t.TempDir(), scanner: devicestest.NewLine(t), scale: newFakeScale(t)}
	r.path = filepath.Join(r.dir, "lane.yaml")
	require.NoError(t, os.WriteFile(filepath.Join(r.dir, "catalog.csv"), []byte(testCatalog), 0o600))
	conf := fmt.Sprintf(`store: %s
lane: %q
zone: front
data_dir: data
catalog: catalog.csv
mqtt:
  broker: %s
  username: %q
  password: %q
scanner:
  port: %s
scale:
  port: %s
  protocol: nci
  poll_interval: 50ms
ui:
  listen: 127.0.0.1:0
policy:
  unknown_item_attempts: 2
  bag_timeout: 400ms
  bag_prompts: 1
  mismatch_attempts: 2
  unexpected_grace: 400ms
  removed_grace: 400ms
  device_grace: 800ms
  settle_readings: 2
`, testStore, lane, brokerURL, user, password, r.scanner.Path, r.scale.line.Path)
	require.NoError(t, os.WriteFile(r.path, []byte(conf), 0o600))
	return r
}

func (r *rig) config(t testing.TB) *laneconfig.Config {
	t.Helper()
	cfg, err := laneconfig.Load(r.path)
	require.NoError(t, err)
	return cfg
}

// scan sends a barcode from the scanner, CR-terminated.
func (r *rig) scan(code string) { r.scanner.WriteString(code + "\r") }

// inProc is a Daemon run in the test process, without devices.
type inProc struct {
	d      *Daemon
	base   string
	cancel context.CancelFunc
	done   chan error
}

func startInProc(t testing.TB, cfg *laneconfig.Config) *inProc {
	t.Helper()
	return startInProcOpts(t, cfg, Opts{})
}

// startInProcOpts runs a Daemon with o, on a free local API port.
func startInProcOpts(t testing.TB, cfg *laneconfig.Config, o Opts) *inProc {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	o.Listener = ln
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	o.ClientID = "lane-" + cfg.Lane + "-" + t.Name()
	d, err := New(cfg, &o)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	p := &inProc{d: d, base: "http://" + d.Addr(), cancel: cancel, done: make(chan error, 1)}
	go func() { p.done <- d.Run(ctx) }()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop cancels Run (as SIGTERM does) and waits for a clean return.
func (p *inProc) stop(t testing.TB) {
	t.Helper()
	if p.cancel == nil {
		return
	}
	p.cancel()
	p.cancel = nil
	select {
	case err := <-p.done:
		require.NoError(t, err)
	case <-time.After(waitFor):
		t.Fatal("daemon did not stop")
	}
}

func TestHelpCommandAssistAndShutdown(t *testing.T) {
	b := testsupport.Mochi(t)
	w := newWatcher(t, b.URL())
	r := newRig(t, "3", b.URL())
	p := startInProc(t, r.config(t))
	stateTopic := protocol.LaneStateTopic(testStore, "3")
	alertTopic := protocol.LaneAlertTopic(testStore, "3")

	at := 0
	raw := w.next(&at, stateTopic, nil)
	require.NotContains(t, string(raw), `"ts":null`, "a new lane's first state carries a timestamp")
	st := decodeState(t, raw)
	require.True(t, st.Online)
	require.False(t, st.TS.IsZero())
	require.Equal(t, 2, openFDs(t, r.scanner.Path), "the lane holds the scanner port")
	require.Equal(t, "front", st.Zone)

	events := openSSE(t, p.base+"/api/events")
	first := events.next(t, func(protocol.LaneState) bool { return true })
	require.Equal(t, "3", first.Lane, "the first event comes at once")
	require.False(t, first.TS.IsZero(), "the local API's state carries a timestamp too")
	require.NotContains(t, getBody(t, p.base+"/api/state"), `"ts":null`)

	var got protocol.LaneState
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/help", &got))
	require.Len(t, got.Alerts, 1, "the reply is the new state")
	a := decodeAlert(t, w.next(&at, alertTopic, isKind(protocol.KindHelp, protocol.AlertOpen)))
	require.Equal(t, got.Alerts[0], a.ID)
	require.Equal(t, "front", a.Zone)
	require.Equal(t, protocol.SeverityHigh, a.Severity)
	w.next(&at, stateTopic, stateWhere(func(s protocol.LaneState) bool { return len(s.Alerts) == 1 && s.Alerts[0] == a.ID }))
	events.next(t, func(s protocol.LaneState) bool { return len(s.Alerts) == 1 })

	// The bridge says Ana claimed it: the shopper screen says so.
	as := protocol.Assist{Alert: a.ID, Status: protocol.AlertClaimed, Attendant: "ana", Name: "Ana", Tier: 1, TS: protocol.At(time.Now())}
	w.publish(protocol.LaneAssistTopic(testStore, "3"), true, protocol.Encode(as))
	pollState(t, p.base, func(s protocol.LaneState) bool { return s.Assist != nil && s.Assist.Name == "Ana" })
	events.next(t, func(s protocol.LaneState) bool { return s.Assist != nil && s.Assist.Attendant == "ana" })
	page := getBody(t, p.base+"/")
	require.Contains(t, page, "Ana is on the way")
	require.Contains(t, page, "EventSource")

	// A bad command is logged and changes nothing; the lane goes on. One
	// whose id can be read is answered: "bad id" for a bad id or alert
	// (also one too long), "bad command" for the rest.
	cmdTopic := protocol.LaneCommandTopic(testStore, "3")
	refused := at
	w.publish(cmdTopic, false, []byte(`{"id":"c0","action":"teleport"}`))
	w.publish(cmdTopic, false, []byte(`{"id":"c/9","alert":"`+a.ID+`","action":"clear"}`))
	w.publish(cmdTopic, false, []byte(`{"id":"c8","alert":"a 1","action":"clear"}`))
	w.publish(cmdTopic, false, []byte(`not json`))
	w.publish(cmdTopic, false, []byte(`{"id":"c-big","alert":"`+strings.Repeat("x", protocol.MaxPayload)+`","action":"clear"}`))
	w.publish(protocol.BridgeStateTopic(testStore), false, []byte(`{"online":"maybe"}`))
	w.publish(protocol.LaneAssistTopic(testStore, "3"), false, []byte(`{"status":"claimed"}`)) // no alert: invalid

	// The attendant clears it; the answer comes on command/result, and a
	// second delivery of the same command gets the same answer.
	// Messages are handled in order: once a good one is through, the bad
	// ones before it were dropped without effect.
	w.publish(protocol.LaneAssistTopic(testStore, "3"), true, protocol.Encode(protocol.Assist{Alert: a.ID, Status: protocol.AlertClaimed, Attendant: "ana", Name: "Ana B.", TS: protocol.At(time.Now())}))
	pollState(t, p.base, func(s protocol.LaneState) bool { return s.Assist != nil && s.Assist.Name == "Ana B." })
	require.Equal(t, []string{a.ID}, p.d.State().Alerts)

	cmd := protocol.Command{ID: "c1", Alert: a.ID, Action: protocol.ActionClear, By: "ana", TS: protocol.At(time.Now())}
	w.publish(cmdTopic, false, protocol.Encode(cmd))
	resTopic := protocol.LaneResultTopic(testStore, "3")
	var res protocol.CommandResult
	require.NoError(t, protocol.Decode(w.next(&at, resTopic, isID("c1")), &res))
	require.True(t, res.OK, "%+v", res)
	w.publish(cmdTopic, false, protocol.Encode(cmd))
	var again protocol.CommandResult
	require.NoError(t, protocol.Decode(w.next(&at, resTopic, isID("c1")), &again))
	require.Equal(t, res.OK, again.OK)
	for id, want := range map[string]string{"c0": `bad command: command c0: unknown action "teleport"`, "c/9": "bad id", "c8": "bad id", "c-big": "bad id"} {
		var r protocol.CommandResult
		from := refused // the answers in any order
		require.NoError(t, json.Unmarshal(w.next(&from, resTopic, isID(id)), &r), id)
		require.Equal(t, protocol.CommandResult{ID: id, Error: want, TS: r.TS}, r)
		require.False(t, r.TS.IsZero())
	}

	pollState(t, p.base, func(s protocol.LaneState) bool { return len(s.Alerts) == 0 })

	// Errors are JSON with a 4xx status.
	var e map[string]string
	require.Equal(t, http.StatusConflict, api(t, "POST", p.base+"/api/finish", &e))
	require.NotEmpty(t, e["error"])
	require.Equal(t, http.StatusNotFound, api(t, "GET", p.base+"/api/nope", &e))
	require.Contains(t, e["error"], "/api/nope")
	require.Equal(t, http.StatusMethodNotAllowed, statusOf(t, "GET", p.base+"/api/help"))

	// SIGTERM: the retained state says offline.
	p.stop(t)
	off := decodeState(t, w.next(&at, stateTopic, stateWhere(func(s protocol.LaneState) bool { return !s.Online })))
	require.Equal(t, protocol.StateOffline, off.State)
	requireRetained(t, b.URL(), stateTopic, func(s protocol.LaneState) bool { return !s.Online && s.State == protocol.StateOffline })
	// The ports are closed: only the test's own end of each pty is open.
	for _, path := range []string{r.scanner.Path, r.scale.line.Path} {
		require.Equal(t, 1, openFDs(t, path), "%s still held after shutdown", path)
	}
}

// openFDs counts this process's file descriptors open on path (after
// symlinks).
func openFDs(t testing.TB, path string) int {
	t.Helper()
	target, err := filepath.EvalSymlinks(path)
	require.NoError(t, err)
	fds, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	n := 0
	for _, fd := range fds {
		if l, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && l == target {
			n++
		}
	}
	return n
}

func getBody(t testing.TB, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return string(b)
}

func statusOf(t testing.TB, method, url string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// requireRetained connects a fresh client and checks the retained state.
func requireRetained(t testing.TB, brokerURL, topic string, f func(protocol.LaneState) bool) {
	t.Helper()
	requireRetainedAs(t, brokerURL, "", "", topic, f)
}

func requireRetainedAs(t testing.TB, brokerURL, user, password, topic string, f func(protocol.LaneState) bool) {
	t.Helper()
	w := newWatcherAs(t, brokerURL, user, password)
	at := 0
	w.next(&at, topic, stateWhere(f))
}

func TestBrokerOutageNothingLost(t *testing.T) {
	b, err := broker.Start(broker.Opts{})
	require.NoError(t, err)
	addr := b.Addr()
	t.Cleanup(func() { b.Close() })
	p, clock := startInProcClocked(t, newRig(t, "4", b.URL()).config(t))
	w := newWatcher(t, b.URL())
	stateTopic := protocol.LaneStateTopic(testStore, "4")
	alertTopic := protocol.LaneAlertTopic(testStore, "4")
	at := 0
	w.next(&at, stateTopic, stateWhere(func(s protocol.LaneState) bool { return s.Online }))

	// The broker goes away; the shopper asks for help, cancels, asks
	// again: three alert messages wait in the outbox.
	require.NoError(t, b.Close())
	var st protocol.LaneState
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/help", &st))
	first := st.Alerts[0]
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/help/cancel", &st))
	require.Empty(t, st.Alerts)
	clock.Advance(kiosk.DefaultPolicy.HelpDebounce) // help_debounce
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/help", &st))
	second := st.Alerts[0]
	require.NotEqual(t, first, second)

	// A new broker on the same address: everything arrives, in order.
	b2, err := broker.Start(broker.Opts{Addr: addr})
	require.NoError(t, err)
	t.Cleanup(func() { b2.Close() })
	w2 := newWatcher(t, b2.URL())
	at2 := 0
	a1 := decodeAlert(t, w2.next(&at2, alertTopic, isID(first)))
	require.Equal(t, protocol.AlertOpen, a1.Status)
	a2 := decodeAlert(t, w2.next(&at2, alertTopic, isID(first)))
	require.Equal(t, protocol.AlertCancelled, a2.Status)
	a3 := decodeAlert(t, w2.next(&at2, alertTopic, isID(second)))
	require.Equal(t, protocol.AlertOpen, a3.Status)
	requireRetained(t, b2.URL(), stateTopic, func(s protocol.LaneState) bool {
		return s.Online && len(s.Alerts) == 1 && s.Alerts[0] == second
	})
}

func TestBridgeOfflinePagesAndOnlineRepublishes(t *testing.T) {
	b := testsupport.Mochi(t)
	w := newWatcher(t, b.URL())
	bridgeTopic := protocol.BridgeStateTopic(testStore)
	w.publish(bridgeTopic, true, protocol.Encode(protocol.BridgeState{Online: false, TS: protocol.At(time.Now())}))
	p, clock := startInProcClocked(t, newRig(t, "5", b.URL()).config(t))
	at := 0
	w.next(&at, protocol.LaneStateTopic(testStore, "5"), nil)

	var st protocol.LaneState
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/help", &st))
	id := st.Alerts[0]
	var page protocol.Page
	require.NoError(t, protocol.Decode(w.next(&at, protocol.BroadcastPageTopic(testStore), isID(id)), &page))
	require.Equal(t, "5", page.Lane)
	require.Equal(t, protocol.KindHelp, page.Kind)
	require.Contains(t, page.Text, "Lane 5")

	// The bridge comes back: the open alert is published again for it.
	mark := w.mark()
	w.publish(bridgeTopic, true, protocol.Encode(protocol.BridgeState{Online: true, TS: protocol.At(time.Now())}))
	again := decodeAlert(t, w.next(&mark, protocol.LaneAlertTopic(testStore, "5"), isID(id)))
	require.Equal(t, protocol.AlertOpen, again.Status)

	// With the bridge online, a new alert is not broadcast.
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/help/cancel", &st))
	clock.Advance(kiosk.DefaultPolicy.HelpDebounce) // help_debounce
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/help", &st))
	id2 := st.Alerts[0]
	w.next(&mark, protocol.LaneAlertTopic(testStore, "5"), isID(id2))
	// The state follows the alert (and a page would sit between them).
	w.next(&mark, protocol.LaneStateTopic(testStore, "5"), stateWhere(func(s protocol.LaneState) bool { return len(s.Alerts) == 1 && s.Alerts[0] == id2 }))
	require.Zero(t, w.count(protocol.BroadcastPageTopic(testStore), isID(id2)), "no page while the bridge is online")
}

// TestHelpButtonAndLight: a press of the help button raises help; the
// tower light follows the lane state, and goes off at shutdown.
func TestHelpButtonAndLight(t *testing.T) {
	b := testsupport.Mochi(t)
	w := newWatcher(t, b.URL())
	light, button := devicestest.NewLight(), devicestest.NewButton()
	p := startInProcOpts(t, newRig(t, "6", b.URL()).config(t), Opts{Light: light, Button: button})
	waitLight(t, light, devices.LightGreen)
	at := 0
	button.Press(time.Now())
	a := decodeAlert(t, w.next(&at, protocol.LaneAlertTopic(testStore, "6"), isKind(protocol.KindHelp, protocol.AlertOpen)))
	waitLight(t, light, devices.LightYellowFlash)
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/help/cancel", nil))
	require.Equal(t, protocol.AlertCancelled, decodeAlert(t, w.next(&at, protocol.LaneAlertTopic(testStore, "6"), isID(a.ID))).Status)
	waitLight(t, light, devices.LightGreen)
	p.stop(t)
	waitLight(t, light, devices.LightOff)
}

func waitLight(t testing.TB, l *devicestest.Light, want devices.LightPattern) {
	t.Helper()
	deadline := time.After(waitFor)
	for {
		select {
		case got := <-l.Changes():
			if got == want {
				return
			}
		case <-deadline:
			t.Fatalf("light never showed %s; history %v", want, l.History())
		}
	}
}

// TestBridgeOfflineAtRestartPagesOpenAlerts: a lane that restarts while
// the bridge is offline pages the alerts it still has open.
func TestBridgeOfflineAtRestartPagesOpenAlerts(t *testing.T) {
	b := testsupport.Mochi(t)
	w := newWatcher(t, b.URL())
	cfg := newRig(t, "7", b.URL()).config(t)
	p := startInProc(t, cfg)
	var st protocol.LaneState
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/help", &st))
	id := st.Alerts[0]
	at := 0
	w.next(&at, protocol.LaneAlertTopic(testStore, "7"), isID(id))
	require.Zero(t, w.count(protocol.BroadcastPageTopic(testStore), nil), "no bridge state seen: no page")
	p.stop(t)

	w.publish(protocol.BridgeStateTopic(testStore), true, protocol.Encode(protocol.BridgeState{Online: false, TS: protocol.At(time.Now())}))
	p2 := startInProc(t, cfg)
	require.Equal(t, []string{id}, p2.d.State().Alerts)
	var page protocol.Page
	require.NoError(t, protocol.Decode(w.next(&at, protocol.BroadcastPageTopic(testStore), isID(id)), &page))
	require.Equal(t, protocol.KindHelp, page.Kind)
}

// A new alert does not wait for the journal: with the commit that holds
// it stalled, the alert is on the broker and the state of the same step
// is not; once the commit is done the state follows, and the outbox does
// not send the alert a second time.
func TestNewAlertGoesOutWhileJournaled(t *testing.T) {
	b := testsupport.Mochi(t)
	w := newWatcher(t, b.URL())
	cfg := newRig(t, "9", b.URL()).config(t)
	var held atomic.Bool
	holding, release := make(chan struct{}, 1), make(chan struct{})
	var once sync.Once
	unhold := func() { once.Do(func() { held.Store(false); close(release) }) }
	scanner := devicestest.NewScanner(nil)
	p := startInProcOpts(t, cfg, Opts{
		Scanner: scanner, Scale: devicestest.NewScale(nil),
		beforeCommit: func() {
			if held.Load() {
				holding <- struct{}{}
				<-release
			}
		},
	})
	t.Cleanup(unhold) // before p.stop, which needs the engine
	stateTopic, alertTopic := protocol.LaneStateTopic(testStore, "9"), protocol.LaneAlertTopic(testStore, "9")
	from := 0
	w.next(&from, stateTopic, stateWhere(func(s protocol.LaneState) bool { return s.Online }))

	const unknown = "4006381333931" // a valid EAN-13 not in the catalogue
	scanner.Scan(unknown, "")       // the first of unknown_item_attempts: 2 only prompts
	w.next(&from, stateTopic, stateWhere(func(s protocol.LaneState) bool { return s.State == protocol.StateAttention }))

	held.Store(true)
	scanner.Scan(unknown, "")
	select {
	case <-holding:
	case <-time.After(waitFor):
		t.Fatal("the lane never journaled the second scan")
	}
	a := decodeAlert(t, w.next(&from, alertTopic, isKind(protocol.KindUnknownItem, protocol.AlertOpen)))
	withAlert := stateWhere(func(s protocol.LaneState) bool { return slices.Contains(s.Alerts, a.ID) })
	require.Zero(t, w.count(stateTopic, withAlert), "the step's state went out before its commit")

	unhold()
	w.next(&from, stateTopic, withAlert)
	require.Equal(t, 1, w.count(alertTopic, isID(a.ID)), "the outbox sent the alert again")
	pollState(t, p.base, func(s protocol.LaneState) bool { return slices.Contains(s.Alerts, a.ID) })
}

// A finished session's checkout goes through the outbox: finished while
// the broker is down and the lane restarted before it came back, it
// still arrives, with the session's id, items and total.
func TestCheckoutNothingLostAcrossOutageAndRestart(t *testing.T) {
	b, err := broker.Start(broker.Opts{})
	require.NoError(t, err)
	addr := b.Addr()
	t.Cleanup(func() { b.Close() })
	r := newRig(t, "5", b.URL())
	p := startInProcOpts(t, r.config(t), Opts{ShutdownTimeout: 100 * time.Millisecond})
	w := newWatcher(t, b.URL())
	at := 0
	w.next(&at, protocol.LaneStateTopic(testStore, "5"), stateWhere(func(s protocol.LaneState) bool { return s.Online }))

	require.NoError(t, b.Close())
	r.scan("0012345678905") // the garden chair: no bagging
	st := pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == 1 })
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/finish", nil))
	p.stop(t) // the checkout stays in the outbox

	b2, err := broker.Start(broker.Opts{Addr: addr})
	require.NoError(t, err)
	t.Cleanup(func() { b2.Close() })
	w2 := newWatcher(t, b2.URL())
	startInProc(t, r.config(t))
	at2 := 0
	var c protocol.Checkout
	require.NoError(t, protocol.Decode(w2.next(&at2, protocol.LaneCheckoutTopic(testStore, "5"), nil), &c))
	require.Equal(t, st.Session, c.Session)
	require.Equal(t, 1, c.Items)
	require.Equal(t, int64(2999), c.TotalCents)
	require.Equal(t, 0, c.Alerts)
	require.False(t, c.Started.IsZero())
	require.False(t, c.Finished.Before(c.Started.Time))
}
