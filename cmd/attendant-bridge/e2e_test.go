package main

// End-to-end tests of the attendant app: the real attendant-bridge and
// kioskd binaries, a real broker (embedded mochi), a lane whose scanner
// and scale are virtual devices on pseudo-terminals, and headless
// Chromium as the handhelds and the store console.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/attendant/web/webtest"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/protocol"
	"github.com/sco-project/sco/simulator/harness"
	"github.com/sco-project/sco/simulator/vdev"
)

const e2eWait = 15 * time.Second

// storeLog records every message of store s1, in order.
type storeLog struct {
	t      *testing.T
	c      paho.Client // subscribed to sco/v1/s1/#; a test may publish with it
	mu     sync.Mutex
	msgs   []paho.Message
	notify chan struct{}
}

func newStoreLog(t *testing.T, url string) *storeLog {
	t.Helper()
	s := &storeLog{t: t, notify: make(chan struct{}, 1)}
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("e2e-store-log").SetOrderMatters(true))
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(5*time.Second))
	require.NoError(t, tok.Error())
	t.Cleanup(func() { c.Disconnect(50) })
	tok = c.Subscribe("sco/v1/s1/#", 1, func(_ paho.Client, m paho.Message) {
		s.mu.Lock()
		s.msgs = append(s.msgs, m)
		s.mu.Unlock()
		select {
		case s.notify <- struct{}{}:
		default:
		}
	})
	require.True(t, tok.WaitTimeout(5*time.Second))
	require.NoError(t, tok.Error())
	s.c = c
	return s
}

// await waits for a message from position *from on whose topic is topic
// (or, ending in /+, starts with it) and whose payload matches, and moves
// *from past it.
func (s *storeLog) await(from *int, topic string, match func(payload []byte) bool) paho.Message {
	s.t.Helper()
	deadline := time.After(e2eWait)
	prefix, wild := strings.CutSuffix(topic, "+")
	for {
		s.mu.Lock()
		for i := *from; i < len(s.msgs); i++ {
			m := s.msgs[i]
			if (m.Topic() == topic || (wild && strings.HasPrefix(m.Topic(), prefix))) && match(m.Payload()) {
				*from = i + 1
				s.mu.Unlock()
				return m
			}
		}
		s.mu.Unlock()
		select {
		case <-s.notify:
		case <-deadline:
			s.t.Fatalf("no message on %s that matches within %v", topic, e2eWait)
		}
	}
}

func has(fragments ...string) func([]byte) bool {
	return func(p []byte) bool {
		for _, f := range fragments {
			if !strings.Contains(string(p), f) {
				return false
			}
		}
		return true
	}
}

// e2eLane is one kioskd process with a virtual scanner and scale.
type e2eLane struct {
	id      string
	scanner *vdev.VirtualScanner
	scale   *vdev.VirtualScale
	proc    *testsupport.Proc
	base    string // its local API
}

func startLane(t *testing.T, bin, brokerURL, id string) *e2eLane {
	t.Helper()
	dir := t.TempDir()
	catalog, err := harness.WriteDemoCatalog(dir)
	require.NoError(t, err)
	l := &e2eLane{id: id}
	l.scanner, err = vdev.NewScanner(vdev.ScannerOpts{Dir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { l.scanner.Close() })
	l.scale, err = vdev.NewScale(vdev.ScaleOpts{Dir: dir, Physics: vdev.PhysicsOpts{Settle: 100 * time.Millisecond}})
	require.NoError(t, err)
	t.Cleanup(func() { l.scale.Close() })
	cfg := fmt.Sprintf(`store: s1
lane: %q
zone: front
data_dir: %s
catalog: %s
mqtt: { broker: %s }
scanner: { port: %s, baud: 9600 }
scale: { port: %s, protocol: nci, baud: 9600, data_bits: 7, parity: even }
ui: { listen: 127.0.0.1:0 }
policy: { bag_timeout: 1s, bag_prompts: 1 }
`, id, filepath.Join(dir, "data"), catalog, brokerURL, l.scanner.Path(), l.scale.Path())
	path := filepath.Join(dir, "lane.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	l.proc = testsupport.StartProc(t, "kioskd lane "+id, bin, "-config", path, "-log-format", "json")
	l.base = "http://" + l.proc.WaitMsg("kioskd running")["ui"].(string)
	return l
}

// state is the lane's GET /api/state, with its basket.
func (l *e2eLane) state(t *testing.T) protocol.LaneState {
	t.Helper()
	resp, err := http.Get(l.base + "/api/state")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var st protocol.LaneState
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	return st
}

func laneStateWhere(cond func(protocol.LaneState) bool) func([]byte) bool {
	return func(p []byte) bool {
		var st protocol.LaneState
		return json.Unmarshal(p, &st) == nil && cond(st)
	}
}

// TestE2EAttendantApp walks the app through a store's morning on real
// processes: sign-in, a bag timeout paged to a handheld, a race for the
// claim, arrive, a void that changes the lane's basket, the console
// following the lane into assist and back, a lane closed from the
// console, and the refusals (wrong PIN, a signed-out session, a
// cross-site POST). A session that expires needs the bridge's clock:
// attendant/bridge's TestWebSessionExpires runs the same code in-process
// with a clock the test moves.
func TestE2EAttendantApp(t *testing.T) {
	webtest.NeedChromium(t)
	bridgeBin := testsupport.Binary(t, ".")
	kioskdBin := testsupport.Binary(t, "github.com/sco-project/sco/cmd/kioskd")
	broker := testsupport.Mochi(t)
	store := newStoreLog(t, broker.URL())
	at := 0

	lane := startLane(t, kioskdBin, broker.URL(), "1")
	store.await(&at, protocol.LaneStateTopic("s1", "1"), laneStateWhere(func(s protocol.LaneState) bool { return s.Online }))

	pins := map[string]string{"ana": "1111", "ben": "2222", "sue": "3333"}
	cfg := fmt.Sprintf(`store: s1
mqtt: { broker: %s }
data_dir: %s
escalation: { ack_timeout: 60s, claim_timeout: 5m, repeat: 1 }
attendants:
  - { id: ana, name: Ana, zone: front, roles: [attendant, age_verifier], pin_hash: %q }
  - { id: ben, name: Ben, zone: front, roles: [attendant], pin_hash: %q }
  - { id: sue, name: Sue, zone: office, roles: [attendant, supervisor], pin_hash: %q }
web: { listen: "127.0.0.1:0", session: 1h }
`, broker.URL(), filepath.Join(t.TempDir(), "data"), webtest.Hash(pins["ana"]), webtest.Hash(pins["ben"]), webtest.Hash(pins["sue"]))
	cfgPath := filepath.Join(t.TempDir(), "bridge.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))
	bridge := testsupport.StartProc(t, "attendant-bridge", bridgeBin, "-config", cfgPath, "-log-format", "json")
	base := strings.TrimSuffix(bridge.WaitMsg("attendant app listening")["url"].(string), "/")
	store.await(&at, protocol.BridgeStateTopic("s1"), has(`"online":true`))
	bridge.WaitMsg("paging starts")

	root := webtest.Browser(t, 60*time.Second)
	ana, ben, sue := webtest.Person(t, root), webtest.Person(t, root), webtest.Person(t, root)
	webtest.Do(t, sue, chromedp.EmulateViewport(1366, 768))
	handheld := map[string]context.Context{"ana": ana, "ben": ben}

	// Sign-in: a wrong PIN is refused, the right one lets in.
	require.EqualValues(t, http.StatusUnauthorized, webtest.SignInAs(t, ana, base, "/", "ana", "9999"))
	webtest.WaitText(t, ana, "#login-error", "Wrong id or PIN")
	require.EqualValues(t, http.StatusOK, webtest.SignInAs(t, sue, base, "/login?next=/console", "sue", pins["sue"]))
	tile := `.tile[data-lane="1"]`
	webtest.WaitText(t, sue, tile+" .state", "^Idle$")
	for _, id := range []string{"ana", "ben"} {
		require.EqualValues(t, http.StatusOK, webtest.SignInAs(t, handheld[id], base, "/", id, pins[id]))
		webtest.Do(t, handheld[id], chromedp.Click(chromedp.CSS(`#shift [data-status="available"]`)))
		webtest.WaitText(t, handheld[id], `#shift .on`, "Available")
		webtest.WaitText(t, sue, `#staff tr[data-attendant="`+id+`"] .status`, "Available")
	}

	// A shopper scans a cola and never bags it: bag_timeout pages one of
	// the two front attendants, and the console shows the lane in assist.
	require.NoError(t, lane.scanner.Scan("5000112637922", ""))
	// The page is looked for from before the lane's alert: the broker
	// may hand the bridge the alert, and this log the bridge's page,
	// before it hands this log the alert.
	pagedAt := at
	var alert protocol.Alert
	require.NoError(t, json.Unmarshal(store.await(&at, protocol.LaneAlertTopic("s1", "1"), has(`"kind":"bag_timeout"`, `"status":"open"`)).Payload(), &alert))
	card := `article[data-alert="` + alert.ID + `"]`
	first := strings.TrimSuffix(strings.TrimPrefix(store.await(&pagedAt, "sco/v1/s1/pager/+", has(`"alert":"`+alert.ID+`"`, `"tier":1`)).Topic(), "sco/v1/s1/pager/"), "/page")
	other := map[string]string{"ana": "ben", "ben": "ana"}[first]
	require.NotEmpty(t, other, "paged %q", first)
	webtest.WaitText(t, handheld[first], card+" .kind", "Item not placed in the bagging area")
	webtest.WaitText(t, handheld[first], card+" .item", "Cola 330ml")
	webtest.WaitText(t, handheld[first], card+" .tier", "^tier 1$")
	webtest.WaitText(t, sue, tile+" .state", "^Needs assistance$")

	// The supervisor escalates from the console: the other handheld is
	// paged too, and both race for the claim. Exactly one wins.
	webtest.Do(t, sue, chromedp.Click(chromedp.CSS(`#queue tr[data-alert="`+alert.ID+`"] button`)))
	webtest.WaitText(t, handheld[other], card+" .tier", "^tier 2$")
	for _, id := range []string{"ana", "ben"} {
		webtest.WaitText(t, handheld[id], card+" .claim", "Claim")
	}
	results := at
	webtest.ClickTogether(t, card+" .claim", ana, ben)
	wins := map[string]bool{}
	for _, id := range []string{"ana", "ben"} {
		from := results
		var res protocol.PagerResult
		require.NoError(t, json.Unmarshal(store.await(&from, protocol.PagerResultTopic("s1", id), has(`"claimed_by"`)).Payload(), &res))
		wins[id] = res.OK
	}
	require.NotEqual(t, wins["ana"], wins["ben"], "exactly one claim wins: %v", wins)
	winner, loser := "ana", "ben"
	if wins["ben"] {
		winner, loser = "ben", "ana"
	}
	webtest.WaitText(t, handheld[winner], card+" .claimed", "You have it")
	webtest.WaitGone(t, handheld[loser], card)
	webtest.WaitText(t, handheld[loser], "#notes", map[string]string{"ana": "Ana", "ben": "Ben"}[winner]+" has it")
	webtest.WaitText(t, sue, tile+" .coming", "is on the way")

	// "I'm at the lane" is recorded: the bridge's alert says so, on the
	// console too.
	webtest.Do(t, handheld[winner], chromedp.Click(chromedp.CSS(card+" .arrive")))
	webtest.WaitText(t, handheld[winner], card+" .claimed", "You are at the lane")
	webtest.WaitText(t, sue, `#queue tr[data-alert="`+alert.ID+`"] td.claimed`, `\(at lane\)$`)
	webtest.WaitText(t, sue, tile+" .coming", "is at the lane")

	// Void, confirmed: the lane drops the cola from its basket, and the
	// console follows the lane out of assist.
	webtest.Do(t, handheld[winner], chromedp.Click(chromedp.CSS(card+" .res-void")))
	webtest.WaitText(t, handheld[winner], "#confirm-text", "^Void Cola 330ml")
	webtest.Do(t, handheld[winner], chromedp.Click(chromedp.ID("confirm-yes")))
	webtest.WaitGone(t, handheld[winner], card)
	// The lane's answer, its state and the bridge's record come from two
	// clients: each is looked for from before the void, in any order.
	voided, resolved := at, at
	store.await(&voided, protocol.LaneResultTopic("s1", "1"), has(`"ok":true`))
	at = voided
	store.await(&at, protocol.LaneStateTopic("s1", "1"), laneStateWhere(func(s protocol.LaneState) bool { return s.Items == 0 && len(s.Alerts) == 0 }))
	st := lane.state(t)
	require.Zero(t, st.Items)
	require.Empty(t, st.Basket)
	require.Empty(t, st.Alerts)
	webtest.WaitText(t, sue, tile+" .state", "^(In use|Idle)$")
	webtest.WaitText(t, sue, `[data-count="assist"] b`, "^0$")
	store.await(&resolved, protocol.AlertTopic("s1", alert.ID), has(`"status":"resolved"`, `"resolution":"void"`, `"claimed_by":"`+winner+`"`))

	// The supervisor closes the lane from the console.
	webtest.Do(t, sue, chromedp.Click(chromedp.CSS(tile+" button.close")))
	webtest.WaitText(t, sue, "#confirm-text", "Close lane 1")
	webtest.Do(t, sue, chromedp.Click(chromedp.ID("confirm-yes")))
	webtest.WaitText(t, sue, tile+" .state", "^Out of service$")
	require.Equal(t, protocol.StateOutOfService, lane.state(t).State)

	// Refusals over plain HTTP: a cross-site POST, and a session that was
	// signed out.
	cookies := webtest.Cookies(t, base, "ben", pins["ben"])
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path, body, origin string) int {
		req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if origin != "" {
			req.Header.Set("Origin", origin)
			req.Header.Set("Sec-Fetch-Site", "cross-site")
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := client.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	presence := `{"status":"break"}`
	require.Equal(t, http.StatusForbidden, post("/api/presence", presence, "https://evil.example"))
	require.Equal(t, http.StatusOK, post("/api/presence", presence, ""))
	require.Equal(t, http.StatusSeeOther, post("/logout", "", ""))
	require.Equal(t, http.StatusUnauthorized, post("/api/presence", presence, ""))

	bridge.Term()
	store.await(&at, protocol.BridgeStateTopic("s1"), has(`"online":false`))
	lane.proc.Term()
}
