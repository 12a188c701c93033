package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/attendant/web"
	"github.com/sco-project/sco/internal/broker"
	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/protocol"
)

const waitFor = 5 * time.Second

// msg is one message seen by a recorder.
type msg struct {
	Topic    string
	Payload  []byte
	Retained bool
}

// recorder subscribes to a filter and keeps every message, in order.
type recorder struct {
	t      *testing.T
	mu     sync.Mutex
	msgs   []msg
	notify chan struct{}
	c      paho.Client
	wait   time.Duration // how long await waits; 0 means waitFor
}

// mqttClient connects a test client (no reconnect, clean session) and
// disconnects it at the end of the test.
func mqttClient(t *testing.T, broker, id, user, pass string, will *mqttc.Will) paho.Client {
	t.Helper()
	cfg := mqttc.Config{Broker: broker, Username: user, Password: pass}
	o, err := cfg.Options(id, will, nil, nil)
	require.NoError(t, err)
	o.SetAutoReconnect(false).SetConnectRetry(false).SetCleanSession(true).SetOrderMatters(true)
	c := paho.NewClient(o)
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(waitFor), "connect %s", id)
	require.NoError(t, tok.Error(), "connect %s", id)
	t.Cleanup(func() { c.Disconnect(50) })
	return c
}

func newRecorder(t *testing.T, broker, user, pass, filter string) *recorder {
	r := &recorder{t: t, notify: make(chan struct{}, 1)}
	r.c = mqttClient(t, broker, fmt.Sprintf("rec-%p", r), user, pass, nil)
	r.subscribe(filter)
	return r
}

// subscribe adds a filter to the recorder.
func (r *recorder) subscribe(filter string) {
	r.t.Helper()
	tok := r.c.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) {
		r.mu.Lock()
		r.msgs = append(r.msgs, msg{Topic: m.Topic(), Payload: append([]byte(nil), m.Payload()...), Retained: m.Retained()})
		r.mu.Unlock()
		select {
		case r.notify <- struct{}{}:
		default:
		}
	})
	require.True(r.t, tok.WaitTimeout(waitFor))
	require.NoError(r.t, tok.Error())
}

// mark is the position after every message seen so far.
func (r *recorder) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

// await waits for a message from position from on that matches topic
// (suffix after sco/v1/s1/) and contains every fragment of the payload.
func (r *recorder) await(from int, topic string, fragments ...string) msg {
	r.t.Helper()
	wait := r.wait
	if wait == 0 {
		wait = waitFor
	}
	deadline := time.After(wait)
	for {
		r.mu.Lock()
		for _, m := range r.msgs[from:] {
			if m.Topic == "sco/v1/s1/"+topic && containsAll(string(m.Payload), fragments) {
				r.mu.Unlock()
				return m
			}
		}
		r.mu.Unlock()
		select {
		case <-r.notify:
		case <-deadline:
			r.mu.Lock()
			seen := r.dump(from)
			r.mu.Unlock()
			r.t.Fatalf("no message on %s with %q; seen:\n%s", topic, fragments, seen)
		}
	}
}

// awaitEmpty waits for an empty payload (a cleared retained message).
func (r *recorder) awaitEmpty(from int, topic string) {
	r.t.Helper()
	deadline := time.After(waitFor)
	for {
		r.mu.Lock()
		for _, m := range r.msgs[from:] {
			if m.Topic == "sco/v1/s1/"+topic && len(m.Payload) == 0 {
				r.mu.Unlock()
				return
			}
		}
		r.mu.Unlock()
		select {
		case <-r.notify:
		case <-deadline:
			r.t.Fatalf("no empty payload on %s", topic)
		}
	}
}

// count counts the messages from position from on that match.
func (r *recorder) count(from int, topic string, fragments ...string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.msgs[from:] {
		if m.Topic == "sco/v1/s1/"+topic && containsAll(string(m.Payload), fragments) {
			n++
		}
	}
	return n
}

func (r *recorder) dump(from int) string {
	var b strings.Builder
	for _, m := range r.msgs[from:] {
		fmt.Fprintf(&b, "  %s %s\n", m.Topic, m.Payload)
	}
	return b.String()
}

func containsAll(s string, fragments []string) bool {
	for _, f := range fragments {
		if !strings.Contains(s, f) {
			return false
		}
	}
	return true
}

func publish(t *testing.T, c paho.Client, topic string, retain bool, payload []byte) {
	t.Helper()
	tok := c.Publish(topic, 1, retain, payload)
	require.True(t, tok.WaitTimeout(waitFor))
	require.NoError(t, tok.Error())
}

// pager is a test handheld: presence with an offline will, and commands.
type pager struct {
	t  *testing.T
	id string
	c  paho.Client
}

func newPager(t *testing.T, broker, id, pass string) *pager {
	will := &mqttc.Will{Topic: protocol.PresenceTopic("s1", id), Payload: []byte("offline"), QoS: 1, Retain: true}
	return &pager{t: t, id: id, c: mqttClient(t, broker, "pager-"+id, id, pass, will)}
}

func (p *pager) presence(status string) {
	publish(p.t, p.c, protocol.PresenceTopic("s1", p.id), true, protocol.Encode(protocol.Presence{Status: status, Zone: "front", TS: protocol.At(time.Now())}))
}

func (p *pager) cmd(id, alert, action string, res protocol.Action) {
	publish(p.t, p.c, protocol.PagerCmdTopic("s1", p.id), false, protocol.Encode(protocol.PagerCmd{ID: id, Alert: alert, Action: action, Resolution: res, TS: protocol.At(time.Now())}))
}

func laneAlert(id string, kind protocol.Kind, status string) []byte {
	return protocol.Encode(protocol.Alert{ID: id, Store: "s1", Lane: "3", Zone: "front", Kind: kind, Severity: protocol.SeverityOf(kind), Status: status, Item: &protocol.ItemRef{GTIN: "05000112637922", Name: "Cola 330ml"}, TS: protocol.At(time.Now())})
}

type rig struct {
	t     *testing.T
	url   string
	pw    map[string]string // username -> password; nil: anonymous
	cfg   *Config
	rec   *recorder
	lane  paho.Client
	log   *testsupport.SyncBuffer
	pager map[string]*pager
	opts  func(*Opts) // when set, changes the bridge's options before each start
}

// newRig starts a bridge on url with the test roster and the given
// escalation, brings the named pagers online and waits until the bridge
// is online.
func newRig(t *testing.T, url string, esc attendant.Escalation, online ...string) (*rig, *Bridge) {
	return newAuthRig(t, url, nil, nil, esc, online...)
}

// newAuthRig is newRig on a broker with users: the bridge and the
// recorder log in as bridge, the lane as lane-3, pagers as themselves.
// mod, when not nil, changes the config first.
func newAuthRig(t *testing.T, url string, pw map[string]string, mod func(*Config), esc attendant.Escalation, online ...string) (*rig, *Bridge) {
	r := buildRig(t, url, pw, mod, esc, online...)
	return r, r.start()
}

// buildRig is newAuthRig without starting the bridge.
func buildRig(t *testing.T, url string, pw map[string]string, mod func(*Config), esc attendant.Escalation, online ...string) *rig {
	cfg := testConfig(t)
	if mod != nil {
		mod(cfg)
	}
	cfg.MQTT = mqttc.Config{Broker: url}
	if pw != nil {
		cfg.MQTT.Username, cfg.MQTT.Password = "bridge", pw["bridge"]
	}
	cfg.Escalation = esc
	require.NoError(t, cfg.Validate())
	r := &rig{t: t, url: url, pw: pw, cfg: cfg, log: &testsupport.SyncBuffer{}, pager: map[string]*pager{}}
	r.rec = newRecorder(t, url, r.user("bridge"), pw["bridge"], "sco/v1/s1/#")
	r.lane = mqttClient(t, url, "lane-3", r.user("lane-3"), pw["lane-3"], nil)
	for _, id := range online {
		r.pager[id] = newPager(t, url, id, pw[id])
		r.pager[id].presence(protocol.PresenceAvailable)
	}
	return r
}

// user is the username to log in as: none on an anonymous broker.
func (r *rig) user(name string) string {
	if r.pw == nil {
		return ""
	}
	return name
}

// run runs b until the test ends or b is closed, and checks that Run
// returns nil.
func run(t *testing.T, b *Bridge) {
	done := make(chan error, 1)
	go func() { done <- b.Run(context.Background()) }()
	t.Cleanup(func() {
		require.NoError(t, b.Close())
		require.NoError(t, <-done)
	})
}

func (r *rig) start() *Bridge {
	from := r.rec.mark()
	o := &Opts{Logger: slog.New(slog.NewTextHandler(r.log, nil)), Settle: 50 * time.Millisecond, ClientID: fmt.Sprintf("bridge-%p", r)}
	if r.opts != nil {
		r.opts(o)
	}
	b, err := New(r.cfg, o)
	require.NoError(r.t, err)
	run(r.t, b)
	r.rec.await(from, "bridge/state", `"online":true`)
	return b
}

// snapshot subscribes anew and returns what is retained: a sync message
// the new subscriber publishes itself after subscribing marks the end of
// the retained ones (the broker handles one client's packets in order).
// pagingStarted raises alert id and waits until who is paged for it and
// the lane told: the bridge has left its settle time, and pages new
// alerts as they come (those raised before are paged together by Start,
// after its save).
func (r *rig) pagingStarted(id, who string) {
	r.t.Helper()
	from := r.rec.mark()
	r.raise(id, protocol.KindHelp)
	r.rec.await(from, "pager/"+who+"/page", `"alert":"`+id+`"`)
	r.rec.await(from, "lane/3/assist", `"alert":"`+id+`"`)
}

func (r *rig) snapshot() *recorder {
	rec := newRecorder(r.t, r.url, r.user("bridge"), r.pw["bridge"], "sco/v1/s1/#")
	publish(r.t, rec.c, "sco/v1/s1/test/sync", false, []byte("sync"))
	rec.await(0, "test/sync")
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := &recorder{t: r.t, notify: make(chan struct{}, 1)}
	for _, x := range rec.msgs {
		if x.Topic == "sco/v1/s1/test/sync" {
			break
		}
		out.msgs = append(out.msgs, x)
	}
	return out
}

func (r *rig) raise(id string, kind protocol.Kind) {
	publish(r.t, r.lane, protocol.LaneAlertTopic("s1", "3"), false, laneAlert(id, kind, protocol.AlertOpen))
}

func decodeAs[T any](t *testing.T, m msg) T {
	var v T
	require.NoError(t, json.Unmarshal(m.Payload, &v), "%s", m.Payload)
	return v
}

var quick = attendant.Escalation{AckTimeout: 150 * time.Millisecond, ClaimTimeout: time.Minute, Repeat: 1}
var slow = attendant.Escalation{AckTimeout: time.Minute, ClaimTimeout: time.Minute, Repeat: 1}

func TestBridgeLifecycle(t *testing.T) {
	r, b := newRig(t, testsupport.Mochi(t).URL(), slow, "ana", "ben", "sue")
	lifecycle(t, r)
	require.NoError(t, b.Close())
	require.NoError(t, b.Close(), "second close is a no-op")
	r.rec.await(0, "bridge/state", `"online":false`)
}

// Run runs until its context is done, then says offline, releases the
// store and returns nil; a bridge runs once.
func TestBridgeRunUntilCancelled(t *testing.T) {
	url := testsupport.Mochi(t).URL()
	rec := newRecorder(t, url, "", "", protocol.BridgeStateTopic("s1"))
	cfg := testConfig(t)
	cfg.MQTT = mqttc.Config{Broker: url}
	b, err := New(cfg, &Opts{Settle: 10 * time.Millisecond, ClientID: "bridge-run"})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	rec.await(0, "bridge/state", `"online":true`)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(waitFor):
		t.Fatal("Run did not return after its context was cancelled")
	}
	rec.await(0, "bridge/state", `"online":false`)
	s, err := OpenStore(cfg.DataDir)
	require.NoError(t, err, "the store is released")
	require.NoError(t, s.Close())
	require.NoError(t, b.Close(), "Close after Run is a no-op")
	require.ErrorContains(t, b.Run(context.Background()), "Run called twice")
}

// A bridge never run is closed by Close, which releases the store; it
// cannot run after that.
func TestBridgeCloseWithoutRun(t *testing.T) {
	cfg := testConfig(t)
	b, err := New(cfg, nil)
	require.NoError(t, err)
	_, err = New(cfg, nil)
	require.ErrorContains(t, err, "locked", "one bridge per data_dir")
	require.NoError(t, b.Close())
	require.NoError(t, b.Close(), "second close is a no-op")
	require.ErrorContains(t, b.Run(context.Background()), "after Close")
	s, err := OpenStore(cfg.DataDir)
	require.NoError(t, err, "the store is released")
	require.NoError(t, s.Close())
}

// New validates the config it is given.
func TestNewValidates(t *testing.T) {
	cfg := testConfig(t)
	cfg.DataDir = ""
	_, err := New(cfg, nil)
	require.ErrorContains(t, err, "data_dir: required")
}

// lifecycle runs one alert from raise to resolution: page, claim, assist,
// resolve, lane command and result, withdrawal, retained records cleared.
func lifecycle(t *testing.T, r *rig) {
	from := r.rec.mark()
	r.raise("a1", protocol.KindBagTimeout)
	page := decodeAs[protocol.Page](t, r.rec.await(from, "pager/ana/page", `"alert":"a1"`))
	require.Equal(t, "Lane 3: item not placed in the bagging area (Cola 330ml)", page.Text)
	require.Equal(t, 1, page.Tier)
	require.Equal(t, "front", page.Zone)
	require.Equal(t, protocol.SeverityMedium, page.Severity)
	r.rec.await(from, "alert/a1", `"status":"paged"`)
	r.rec.await(from, "lane/3/assist", `"status":"paged"`, `"tier":1`)

	r.pager["ana"].cmd("c1", "a1", "claim", "")
	r.rec.await(from, "pager/ana/result", `"id":"c1"`, `"ok":true`)
	r.rec.await(from, "lane/3/assist", `"status":"claimed"`, `"attendant":"ana"`, `"name":"Ana"`)
	r.rec.await(from, "alert/a1", `"status":"claimed"`, `"claimed_by":"ana"`)
	retained := r.snapshot()
	require.Equal(t, 1, retained.count(0, "alert/a1", `"status":"claimed"`), "alert/{id} is retained")
	require.Equal(t, 1, retained.count(0, "lane/3/assist", `"status":"claimed"`), "assist is retained")

	r.pager["ana"].cmd("c2", "a1", "resolve", protocol.ActionApprove)
	cmd := decodeAs[protocol.Command](t, r.rec.await(from, "lane/3/command", `"alert":"a1"`))
	require.Equal(t, protocol.ActionApprove, cmd.Action)
	require.Equal(t, "ana", cmd.By)
	publish(t, r.lane, protocol.LaneResultTopic("s1", "3"), false, protocol.Encode(protocol.CommandResult{ID: cmd.ID, OK: true}))
	r.rec.await(from, "pager/ana/result", `"id":"c2"`, `"ok":true`)
	r.rec.await(from, "alert/a1", `"status":"resolved"`, `"resolution":"approve"`)
	r.rec.await(from, "pager/ana/page", `"withdrawn":true`, `"reason":"resolved"`)

	// Closed: the retained alert record and assist are cleared.
	r.rec.awaitEmpty(from, "alert/a1")
	r.rec.awaitEmpty(from, "lane/3/assist")
	late := r.snapshot()
	require.Equal(t, 0, late.count(0, "alert/a1"), "no retained alert record after close:\n%s", late.dump(0))
	require.Equal(t, 0, late.count(0, "lane/3/assist"), "no retained assist after close")
	require.Equal(t, 1, late.count(0, "bridge/state", `"online":true`))
}

// An alert's first page does not wait for the bridge's disk; everything
// else does. With the save held, the page arrives and nothing else about
// the alert does; once the save completes, the record and the lane's
// assist follow, and a claim made meanwhile is answered after its own
// save.
func TestBridgeFirstPageDoesNotWaitForTheSave(t *testing.T) {
	r := buildRig(t, testsupport.Mochi(t).URL(), nil, nil, slow, "ana", "ben")
	var held atomic.Bool
	release := make(chan struct{})
	saving := make(chan struct{}, 16)
	r.opts = func(o *Opts) {
		o.beforeSave = func() {
			if held.Load() {
				saving <- struct{}{}
				<-release
			}
		}
	}
	b := r.start()
	var once sync.Once
	unhold := func() { once.Do(func() { held.Store(false); close(release) }) }
	t.Cleanup(unhold) // before Close, which waits for the saver
	r.pagingStarted("a0", "ana")

	from := r.rec.mark()
	held.Store(true)
	r.raise("a1", protocol.KindHelp)
	select {
	case <-saving:
	case <-time.After(waitFor):
		t.Fatal("the bridge never started saving the new alert")
	}
	r.rec.await(from, "pager/ana/page", `"alert":"a1"`, `"tier":1`)
	// The claim is handled while the first save is still held: its answer
	// waits for the disk too.
	r.pager["ana"].cmd("c1", "a1", "claim", "")
	publish(t, r.rec.c, "sco/v1/s1/test/sync", false, []byte("sync"))
	r.rec.await(from, "test/sync")
	require.Equal(t, 0, r.rec.count(from, "alert/a1"), "record published before the save:\n%s", r.rec.dump(from))
	require.Equal(t, 0, r.rec.count(from, "lane/3/assist"), "assist published before the save")
	require.Equal(t, 0, r.rec.count(from, "pager/ana/result"), "claim answered before the save")

	unhold()
	r.rec.await(from, "alert/a1", `"status":"paged"`)
	r.rec.await(from, "lane/3/assist", `"status":"paged"`)
	r.rec.await(from, "pager/ana/result", `"id":"c1"`, `"ok":true`)
	r.rec.await(from, "lane/3/assist", `"status":"claimed"`)
	require.Equal(t, 1, r.rec.count(from, "pager/ana/page", `"alert":"a1"`), "one page")

	// What was saved: the claim.
	require.NoError(t, b.Close())
	st := loadState(t, r.cfg.DataDir)
	require.Len(t, st.Alerts, 2)
	require.Equal(t, "a1", st.Alerts[1].Alert.ID)
	require.Equal(t, "ana", st.Alerts[1].ClaimedBy)
}

func loadState(t *testing.T, dir string) attendant.State {
	t.Helper()
	s, err := OpenStore(dir)
	require.NoError(t, err)
	defer s.Close()
	st, err := s.Load()
	require.NoError(t, err)
	return st
}

func TestBridgeEscalatesAndCancels(t *testing.T) {
	r, _ := newRig(t, testsupport.Mochi(t).URL(), quick, "ana", "ben", "sue")
	from := r.rec.mark()
	r.raise("a1", protocol.KindHelp)
	r.rec.await(from, "pager/ana/page", `"tier":1`)
	for _, id := range []string{"ana", "ben", "sue"} {
		r.rec.await(from, "pager/"+id+"/page", `"tier":2`)
		r.rec.await(from, "pager/"+id+"/page", `"tier":3`)
	}
	r.rec.await(from, "lane/3/assist", `"tier":3`)
	publish(t, r.lane, protocol.LaneAlertTopic("s1", "3"), false, laneAlert("a1", protocol.KindHelp, protocol.AlertCancelled))
	for _, id := range []string{"ana", "ben", "sue"} {
		r.rec.await(from, "pager/"+id+"/page", `"withdrawn":true`, `"reason":"cancelled by lane"`)
	}
	r.rec.await(from, "alert/a1", `"status":"cancelled"`)
}

func TestBridgeClaimRace(t *testing.T) {
	r, _ := newRig(t, testsupport.Mochi(t).URL(), attendant.Escalation{AckTimeout: 50 * time.Millisecond, ClaimTimeout: time.Minute, Repeat: 1}, "ana", "ben")
	from := r.rec.mark()
	r.raise("a1", protocol.KindHelp)
	r.rec.await(from, "pager/ben/page", `"tier":2`)
	r.rec.await(from, "pager/ana/page", `"tier":2`)
	var wg sync.WaitGroup
	for _, id := range []string{"ana", "ben"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.pager[id].cmd("race", "a1", "claim", "")
		}()
	}
	wg.Wait()
	a := decodeAs[protocol.PagerResult](t, r.rec.await(from, "pager/ana/result", `"id":"race"`))
	b := decodeAs[protocol.PagerResult](t, r.rec.await(from, "pager/ben/result", `"id":"race"`))
	require.NotEqual(t, a.OK, b.OK, "exactly one claim wins")
	winner, loser, lost := "ana", "ben", b
	if b.OK {
		winner, loser, lost = "ben", "ana", a
	}
	require.Equal(t, winner, lost.ClaimedBy)
	require.Equal(t, string(protocol.ErrAlreadyClaimed), lost.Error)
	r.rec.await(from, "pager/"+loser+"/page", `"withdrawn":true`, `"reason":"claimed by `+winner+`"`)
	r.rec.await(from, "lane/3/assist", `"status":"claimed"`, `"attendant":"`+winner+`"`)
}

func TestBridgePagerOfflineMidAlert(t *testing.T) {
	mochi := testsupport.Mochi(t)
	r, _ := newRig(t, mochi.URL(), slow, "ana", "ben")
	from := r.rec.mark()
	r.raise("a1", protocol.KindHelp)
	r.rec.await(from, "pager/ana/page", `"tier":1`)
	// ana's handheld drops off the network: the broker publishes her will.
	cl, ok := mochi.Server().Clients.Get("pager-ana")
	require.True(t, ok)
	cl.Stop(fmt.Errorf("test: network lost"))
	r.rec.await(from, "pager/ana/presence", "offline")
	r.rec.await(from, "pager/ben/page", `"tier":2`)
	require.Equal(t, 0, r.rec.count(from, "pager/ana/page", `"tier":2`), "an offline pager is never paged")
	// She comes back and is paged at the current tier.
	from2 := r.rec.mark()
	ana := newPager(t, r.url, "ana", "")
	ana.presence(protocol.PresenceAvailable)
	r.rec.await(from2, "pager/ana/page", `"alert":"a1"`, `"tier":2`)
}

func TestBridgeRestartKeepsOpenAlerts(t *testing.T) {
	r, b := newRig(t, testsupport.Mochi(t).URL(), slow, "ana", "ben")
	from := r.rec.mark()
	r.raise("a1", protocol.KindHelp)
	r.rec.await(from, "pager/ana/page", `"alert":"a1"`)
	r.raise("a2", protocol.KindBagTimeout)
	r.rec.await(from, "pager/ana/page", `"alert":"a2"`)
	r.pager["ana"].cmd("c1", "a2", "resolve", protocol.ActionVoid)
	cmd := decodeAs[protocol.Command](t, r.rec.await(from, "lane/3/command", `"alert":"a2"`))
	require.NoError(t, b.Close())
	r.rec.await(from, "bridge/state", `"online":false`)

	// The lane answers while the bridge is down; the answer waits for it
	// in its persistent session, or the re-sent command is answered again.
	from = r.rec.mark()
	b2 := r.start()
	defer b2.Close()
	// Ana holds a2 (its resolution is pending): tier 1 is Ben.
	r.rec.await(from, "pager/ben/page", `"alert":"a1"`, `"tier":1`)
	again := decodeAs[protocol.Command](t, r.rec.await(from, "lane/3/command", `"alert":"a2"`))
	require.Equal(t, cmd.ID, again.ID, "the pending command is re-sent with the same id")
	publish(t, r.lane, protocol.LaneResultTopic("s1", "3"), false, protocol.Encode(protocol.CommandResult{ID: cmd.ID, OK: true}))
	r.rec.await(from, "pager/ana/result", `"id":"c1"`, `"ok":true`)
	r.rec.await(from, "alert/a2", `"status":"resolved"`, `"resolution":"void"`)
	// A lane re-publishing its open alert after the restart changes nothing.
	mark := r.rec.mark()
	r.raise("a1", protocol.KindHelp)
	r.pager["ben"].cmd("sync", "a1", "claim", "")
	r.rec.await(mark, "pager/ben/result", `"id":"sync"`, `"ok":true`)
	require.Equal(t, 0, r.rec.count(mark, "pager/ben/page", `"alert":"a1"`), "a duplicate alert is not paged again")
	require.Equal(t, 0, r.rec.count(mark, "pager/ana/page", `"alert":"a1"`), "a duplicate alert is not paged again")
}

func TestBridgeDuplicatesAndBadInput(t *testing.T) {
	r, _ := newRig(t, testsupport.Mochi(t).URL(), slow, "ana")
	from := r.rec.mark()
	alertTopic := protocol.LaneAlertTopic("s1", "3")
	cmdTopic := protocol.PagerCmdTopic("s1", "ana")
	for _, bad := range [][]byte{
		[]byte(`{"id":"x1","lane":"3"`),
		[]byte(`{"id":"x2","lane":"3","kind":"teleport","status":"open"}`),
		[]byte(`{"id":"` + strings.Repeat("x", protocol.MaxPayload) + `"}`),
		[]byte("\x00\xff"),
	} {
		publish(t, r.lane, alertTopic, false, bad)
	}
	publish(t, r.pager["ana"].c, cmdTopic, false, []byte(`{"id":"bad1","alert":"a1","action":"dance"}`))
	publish(t, r.pager["ana"].c, protocol.PresenceTopic("s1", "ana"), false, []byte(`{"status":"asleep"}`))
	res := decodeAs[protocol.PagerResult](t, r.rec.await(from, "pager/ana/result", `"id":"bad1"`))
	require.False(t, res.OK)
	require.Contains(t, res.Error, `unknown action "dance"`)

	// Still alive; a QoS 1 duplicate of an alert pages once, a duplicate
	// resolve sends one lane command.
	r.raise("a1", protocol.KindHelp)
	r.raise("a1", protocol.KindHelp)
	r.rec.await(from, "pager/ana/page", `"alert":"a1"`)
	r.pager["ana"].cmd("c1", "a1", "resolve", protocol.ActionClear)
	r.pager["ana"].cmd("c1", "a1", "resolve", protocol.ActionClear)
	r.pager["ana"].cmd("c2", "a1", "resolve", protocol.ActionApprove)
	res = decodeAs[protocol.PagerResult](t, r.rec.await(from, "pager/ana/result", `"id":"c2"`))
	require.Contains(t, res.Error, string(protocol.ErrNotAllowed), "no approve for a help call")
	require.Equal(t, 1, r.rec.count(from, "pager/ana/page", `"alert":"a1"`))
	require.Equal(t, 1, r.rec.count(from, "lane/3/command"))
	logs := r.log.String()
	for _, want := range []string{"malformed JSON", "payload too large", `unknown kind \"teleport\"`, `unknown status \"asleep\"`} {
		require.Contains(t, logs, want)
	}
	require.Contains(t, logs, "topic=sco/v1/s1/lane/3/alert")
}

func TestBridgeRoleChecked(t *testing.T) {
	url := testsupport.Mochi(t).URL()
	addMax := func(c *Config) {
		c.Attendants = append(c.Attendants, attendant.Attendant{ID: "max", Name: "Max", Zone: "office", Roles: []string{"supervisor"}})
	}
	r, _ := newAuthRig(t, url, nil, addMax, attendant.Escalation{AckTimeout: 50 * time.Millisecond, ClaimTimeout: time.Minute, Repeat: 1}, "ana", "ben", "max")
	from := r.rec.mark()
	r.raise("a1", protocol.KindAgeCheck)
	// Tier 3: the age verifiers and every supervisor; ben is neither.
	r.rec.await(from, "pager/max/page", `"tier":3`)
	require.Equal(t, 0, r.rec.count(from, "pager/ben/page"), "ben is no age verifier")
	r.pager["ben"].cmd("c1", "a1", "resolve", protocol.ActionAgeOK)
	res := decodeAs[protocol.PagerResult](t, r.rec.await(from, "pager/ben/result", `"id":"c1"`))
	require.Equal(t, string(protocol.ErrNotPaged), res.Error)
	// max was paged, but roles come from the roster: he cannot approve an age.
	r.pager["max"].cmd("c2", "a1", "resolve", protocol.ActionAgeOK)
	res = decodeAs[protocol.PagerResult](t, r.rec.await(from, "pager/max/result", `"id":"c2"`))
	require.False(t, res.OK)
	require.Equal(t, "role required: age_ok needs age_verifier", res.Error)
	require.Equal(t, 0, r.rec.count(from, "lane/3/command"))
	require.Equal(t, 0, r.rec.count(from, "alert/a1", `"status":"claimed"`), "a refused resolution claims nothing")
}

func TestBridgeClaimExpiresAndLaneRefuses(t *testing.T) {
	r, _ := newRig(t, testsupport.Mochi(t).URL(), attendant.Escalation{AckTimeout: time.Minute, ClaimTimeout: 200 * time.Millisecond, Repeat: 1}, "ana", "ben")
	from := r.rec.mark()
	r.raise("a1", protocol.KindHelp)
	r.rec.await(from, "pager/ana/page", `"tier":1`)
	r.pager["ana"].cmd("c1", "a1", "claim", "")
	r.rec.await(from, "pager/ana/result", `"id":"c1"`, `"ok":true`)
	// Not resolved within claim_timeout: re-opened, and the next nearest
	// is paged.
	r.rec.await(from, "pager/ana/page", `"withdrawn":true`, `"reason":"claim expired"`)
	r.rec.await(from, "pager/ben/page", `"alert":"a1"`, `"tier":1`)
	r.rec.await(from, "alert/a1", `"status":"paged"`, `"claimed_by":""`)

	// Ben resolves; the lane refuses: the alert stays claimed, Ben is told.
	r.pager["ben"].cmd("c2", "a1", "resolve", protocol.ActionClear)
	cmd := decodeAs[protocol.Command](t, r.rec.await(from, "lane/3/command", `"alert":"a1"`))
	publish(t, r.lane, protocol.LaneResultTopic("s1", "3"), false, protocol.Encode(protocol.CommandResult{ID: cmd.ID, OK: false, Error: "no help request open"}))
	res := decodeAs[protocol.PagerResult](t, r.rec.await(from, "pager/ben/result", `"id":"c2"`))
	require.False(t, res.OK)
	require.Equal(t, "lane: no help request open", res.Error)
	require.Equal(t, "ben", res.ClaimedBy)
	require.Equal(t, 0, r.rec.count(from, "alert/a1", `"status":"resolved"`))
}

// TestBridgeSurvivesBrokerRestart restarts the broker under a running
// bridge: the bridge reconnects, subscribes again (paho does not), says
// it is online again (so lanes re-publish their alerts) and pages.
func TestBridgeSurvivesBrokerRestart(t *testing.T) {
	m1, err := broker.Start(broker.Opts{})
	require.NoError(t, err)
	addr := m1.Addr()
	r, _ := newRig(t, m1.URL(), slow, "ana")
	require.NoError(t, m1.Close())

	m2, err := broker.Start(broker.Opts{Addr: addr})
	require.NoError(t, err)
	defer m2.Close()
	rec := newRecorder(t, m2.URL(), "", "", "sco/v1/s1/#")
	rec.wait = 20 * time.Second // paho's reconnect backoff grows 1s, 2s, 4s...
	rec.await(0, "bridge/state", `"online":true`)
	ana := newPager(t, m2.URL(), "ana", "")
	ana.presence(protocol.PresenceAvailable)
	lane := mqttClient(t, m2.URL(), "lane-3b", "", "", nil)
	// The lane re-publishes its open alert; the bridge pages it.
	publish(t, lane, protocol.LaneAlertTopic("s1", "3"), false, laneAlert("a1", protocol.KindHelp, protocol.AlertOpen))
	rec.await(0, "pager/ana/page", `"alert":"a1"`)
	require.Contains(t, r.log.String(), "connection to broker lost")
}

// configForBrokerDown is testConfig with a broker address where a broker
// ran and is now down: connecting fails until one starts there again.
func configForBrokerDown(t *testing.T) (*Config, string) {
	m, err := broker.Start(broker.Opts{})
	require.NoError(t, err)
	addr := m.Addr()
	require.NoError(t, m.Close())
	cfg := testConfig(t)
	cfg.MQTT = mqttc.Config{Broker: "tcp://" + addr}
	return cfg, addr
}

// TestBridgeStartsBeforeBroker: a bridge started while the broker is
// still down keeps trying and comes online when the broker does.
func TestBridgeStartsBeforeBroker(t *testing.T) {
	cfg, addr := configForBrokerDown(t)
	b, err := New(cfg, &Opts{Settle: 10 * time.Millisecond, ClientID: "bridge-early"})
	require.NoError(t, err)
	run(t, b) // Run does not wait for the broker either

	m2, err := broker.Start(broker.Opts{Addr: addr})
	require.NoError(t, err)
	defer m2.Close()
	rec := newRecorder(t, m2.URL(), "", "", protocol.BridgeStateTopic("s1"))
	rec.wait = 20 * time.Second
	rec.await(0, "bridge/state", `"online":true`)
}

// A bridge stopped while paho is still trying to reach the broker stops
// at once and releases its store.
func TestBridgeStopWhileConnecting(t *testing.T) {
	cfg, _ := configForBrokerDown(t)
	b, err := New(cfg, nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Run still connects first (paho keeps trying), then stops
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run hangs when stopped while the bridge is still connecting")
	}
	require.NoError(t, b.Close())
	// The store is released: another bridge can open the data_dir.
	s, err := OpenStore(cfg.DataDir)
	require.NoError(t, err)
	require.NoError(t, s.Close())
}

// An in-process device (the web app) acts through Do: its presence pages
// the attendant like a pager's would, and its commands are answered.
func TestBridgeInProcessDevice(t *testing.T) {
	r := buildRig(t, testsupport.Mochi(t).URL(), nil, nil, slow, "ben")
	b := r.start()
	ctx := context.Background()
	_, err := b.Do(ctx, func(now time.Time, d *attendant.Dispatcher) (attendant.Effects, error) {
		return d.Presence(now, "ana", protocol.Presence{Status: protocol.PresenceAvailable, Device: "web:1"})
	})
	require.NoError(t, err)
	from := r.rec.mark()
	r.raise("a1", protocol.KindHelp)
	r.rec.await(from, "pager/ana/page", `"alert":"a1"`, `"tier":1`)
	fx, err := b.Do(ctx, func(now time.Time, d *attendant.Dispatcher) (attendant.Effects, error) {
		return d.PagerCmd(now, "ana", protocol.PagerCmd{ID: "w1", Alert: "a1", Action: protocol.PagerClaim})
	})
	require.NoError(t, err)
	require.Len(t, fx.Results, 1)
	require.True(t, fx.Results[0].Result.OK)
	r.rec.await(from, "lane/3/assist", `"attendant":"ana"`)

	require.NoError(t, b.Close())
	_, err = b.Do(ctx, func(time.Time, *attendant.Dispatcher) (attendant.Effects, error) { return attendant.Effects{}, nil })
	require.ErrorContains(t, err, "stopped")
}

// The bridge publishes a retained profile for every roster entry when it
// connects, and clears the profile of one who left the roster (the list
// of ids profiled is kept in data_dir).
func TestBridgeProfiles(t *testing.T) {
	r, b := newRig(t, testsupport.Mochi(t).URL(), slow, "ana")
	for _, id := range []string{"ana", "ben", "sue"} {
		p := decodeAs[protocol.Profile](t, r.rec.await(0, "pager/"+id+"/profile", `"id":"`+id+`"`))
		require.Equal(t, "s1", p.Store)
	}
	ben := decodeAs[protocol.Profile](t, r.rec.await(0, "pager/ben/profile"))
	require.Equal(t, []string{"attendant"}, ben.Roles)
	require.Equal(t, []protocol.Action{protocol.ActionOutOfService}, ben.Resolutions[protocol.KindAgeCheck])
	retained := r.snapshot()
	require.Equal(t, 3, retained.count(0, "pager/ana/profile")+retained.count(0, "pager/ben/profile")+retained.count(0, "pager/sue/profile"), "retained")
	from := r.rec.mark()
	r.raise("a1", protocol.KindBagTimeout)
	page := decodeAs[protocol.Page](t, r.rec.await(from, "pager/ana/page", `"alert":"a1"`))
	require.Equal(t, []protocol.Action{protocol.ActionApprove, protocol.ActionVoid, protocol.ActionOutOfService}, page.Resolutions)
	require.NoError(t, b.Close())

	// Ben leaves the roster: his profile is cleared when the bridge is back.
	r.cfg.Attendants = slices.DeleteFunc(r.cfg.Attendants, func(a attendant.Attendant) bool { return a.ID == "ben" })
	from = r.rec.mark()
	b = r.start()
	r.rec.awaitEmpty(from, "pager/ben/profile")
	r.rec.await(from, "pager/ana/profile", `"id":"ana"`)
	late := r.snapshot()
	require.Equal(t, 0, late.count(0, "pager/ben/profile"), "no retained profile for ben")
	require.Equal(t, 1, late.count(0, "pager/sue/profile"))
	require.NoError(t, b.Close())
	s, err := OpenStore(r.cfg.DataDir)
	require.NoError(t, err)
	defer s.Close()
	ids, err := s.Profiled()
	require.NoError(t, err)
	require.Equal(t, []string{"ana", "sue"}, ids)
}

// A supervisor closes a lane from a pager: the lane gets a command with
// no alert, and the supervisor the lane's answer.
func TestBridgeLaneCommand(t *testing.T) {
	// The lane's state and the pager's command come from two clients, so
	// the broker may hand them over in either order: the web app's lane
	// event says when the bridge knows lane 3, and the command goes then.
	r, b := newAuthRig(t, testsupport.Mochi(t).URL(), nil, func(c *Config) {
		c.Web = &web.Config{Listen: "127.0.0.1:0"}
	}, slow, "sue")
	from := r.rec.mark()
	ev := subscribe(t, b.Web())
	at := ev.mark()
	publish(t, r.lane, protocol.LaneStateTopic("s1", "3"), true, protocol.Encode(protocol.LaneState{Store: "s1", Lane: "3", Online: true, State: protocol.StateIdle}))
	ev.await(at, "lane 3", func(e web.Event) bool { return e.Kind == web.EventLane && e.Lane.Lane == "3" })
	publish(t, r.pager["sue"].c, protocol.PagerCmdTopic("s1", "sue"), false,
		protocol.Encode(protocol.PagerCmd{ID: "s1", Action: protocol.PagerLane, Lane: "3", Resolution: protocol.ActionOutOfService, TS: protocol.At(time.Now())}))
	cmd := decodeAs[protocol.Command](t, r.rec.await(from, "lane/3/command", `"action":"out_of_service"`))
	require.Empty(t, cmd.Alert)
	require.Equal(t, "sue", cmd.By)
	require.NoError(t, cmd.Validate(), "a lane accepts it")
	publish(t, r.lane, protocol.LaneResultTopic("s1", "3"), false, protocol.Encode(protocol.CommandResult{ID: cmd.ID, OK: true}))
	r.rec.await(from, "pager/sue/result", `"id":"s1"`, `"ok":true`)
}

// A cancel lost on the way is reconciled from the lane's retained state:
// an open alert the lane no longer lists is closed, also one restored
// from data_dir when the bridge restarts.
func TestBridgeReconcilesWithLaneState(t *testing.T) {
	r, b := newRig(t, testsupport.Mochi(t).URL(), slow, "ana")
	from := r.rec.mark()
	r.raise("a1", protocol.KindHelp)
	r.raise("a2", protocol.KindHelp)
	r.rec.await(from, "pager/ana/page", `"alert":"a2"`)
	laneState := func(alerts ...string) {
		publish(t, r.lane, protocol.LaneStateTopic("s1", "3"), true, protocol.Encode(protocol.LaneState{Store: "s1", Lane: "3", Zone: "front", Online: true, State: protocol.StateAssist, Alerts: alerts}))
	}
	laneState("a2")
	r.rec.await(from, "pager/ana/page", `"alert":"a1"`, `"withdrawn":true`, `"reason":"cancelled by lane"`)
	r.rec.await(from, "alert/a1", `"status":"cancelled"`)
	require.NoError(t, b.Close())

	// While the bridge is down the lane cancels a2, and the cancel is
	// lost; its retained state says so.
	laneState()
	from = r.rec.mark()
	r.start()
	r.rec.await(from, "alert/a2", `"status":"cancelled"`)
	r.rec.awaitEmpty(from, "lane/3/assist")
}
