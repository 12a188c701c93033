package bridge

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/attendant/web"
	"github.com/sco-project/sco/attendant/web/webtest"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/protocol"
)

// events collects what a WebBackend hands its subscribers.
type events struct {
	t      *testing.T
	mu     sync.Mutex
	evs    []web.Event
	notify chan struct{}
}

func subscribe(t *testing.T, w *WebBackend) *events {
	e := &events{t: t, notify: make(chan struct{}, 1)}
	cancel := w.Subscribe(func(ev web.Event) {
		e.mu.Lock()
		e.evs = append(e.evs, ev)
		e.mu.Unlock()
		select {
		case e.notify <- struct{}{}:
		default:
		}
	})
	t.Cleanup(cancel)
	return e
}

func (e *events) mark() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.evs)
}

// await waits for an event from position from on that matches.
func (e *events) await(from int, what string, match func(web.Event) bool) web.Event {
	e.t.Helper()
	deadline := time.After(waitFor)
	for {
		e.mu.Lock()
		for _, ev := range e.evs[from:] {
			if match(ev) {
				e.mu.Unlock()
				return ev
			}
		}
		e.mu.Unlock()
		select {
		case <-e.notify:
		case <-deadline:
			e.t.Fatalf("no %s event", what)
		}
	}
}

func pageTo(who, alert string, withdrawn bool) func(web.Event) bool {
	return func(ev web.Event) bool {
		return ev.Kind == web.EventPage && ev.To == who && ev.Page.Alert == alert && ev.Page.Withdrawn == withdrawn
	}
}

// later runs ask on its own goroutine; its answer comes on the channel.
func later(t *testing.T, ask func() (protocol.PagerResult, error)) <-chan protocol.PagerResult {
	ch := make(chan protocol.PagerResult, 1)
	go func() {
		res, err := ask()
		if err != nil {
			t.Error(err)
		}
		ch <- res
	}()
	return ch
}

// answer waits for what later answers.
func answer(t *testing.T, ch <-chan protocol.PagerResult, what string) protocol.PagerResult {
	t.Helper()
	select {
	case res := <-ch:
		return res
	case <-time.After(waitFor):
		t.Fatalf("%s was never answered", what)
		return protocol.PagerResult{}
	}
}

// A web attendant is one more pager: paged with the MQTT pagers, arbitrated
// with them, answered when the lane answers, and everything still goes
// out on MQTT.
func TestWebBackend(t *testing.T) {
	r := buildRig(t, testsupport.Mochi(t).URL(), nil, func(c *Config) {
		c.Web = &web.Config{Listen: "127.0.0.1:0"}
	}, slow, "ben")
	b := r.start()
	w := b.Web()
	require.NotNil(t, w)
	ev := subscribe(t, w)
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitFor)
	defer cancel()

	// Lane 3 is there; ana goes on shift on a handheld.
	from, at := r.rec.mark(), ev.mark()
	publish(t, r.lane, protocol.LaneStateTopic("s1", "3"), true, protocol.Encode(protocol.LaneState{Store: "s1", Lane: "3", Zone: "front", Online: true, State: protocol.StateShopping, Alerts: []string{}}))
	ev.await(at, "lane 3", func(e web.Event) bool { return e.Kind == web.EventLane && e.Lane.Lane == "3" && e.Lane.Online })
	require.NoError(t, w.Presence("ana", "web-1", protocol.Presence{Status: protocol.PresenceAvailable, Seq: 1, TS: protocol.At(time.Now())}))
	ev.await(at, "ana available", func(e web.Event) bool {
		return e.Kind == web.EventAttendant && e.Attendant.ID == "ana" && e.Attendant.Status == protocol.PresenceAvailable
	})

	// A bag timeout: ana (front) is tier 1, on the app and on MQTT.
	r.raise("a1", protocol.KindBagTimeout)
	page := ev.await(at, "ana's page", pageTo("ana", "a1", false))
	require.Equal(t, 1, page.Page.Tier)
	r.rec.await(from, "pager/ana/page", `"alert":"a1"`)
	al := ev.await(at, "alert a1", func(e web.Event) bool { return e.Kind == web.EventAlert && e.Alert.ID == "a1" })
	require.Equal(t, "front", al.Alert.Zone)
	require.Equal(t, "Cola 330ml", al.Alert.Item.Name)

	snap, err := w.Snapshot(ctx, "ana")
	require.NoError(t, err)
	require.Len(t, snap.Pages, 1)
	require.Len(t, snap.Alerts, 1)
	require.Len(t, snap.Lanes, 1)
	require.Len(t, snap.Attendants, 3)
	require.Equal(t, "a1", snap.Assists["3"].Alert)

	// The supervisor escalates: ben, on shift on MQTT, is paged too.
	res, err := w.Escalate(ctx, "ana", "e1", "a1")
	require.NoError(t, err)
	require.Equal(t, protocol.PagerResult{ID: "e1", Error: string(protocol.ErrRoleRequired), TS: res.TS}, res)
	res, err = w.Escalate(ctx, "sue", "e2", "a1")
	require.NoError(t, err)
	require.True(t, res.OK, "%+v", res)
	r.rec.await(from, "pager/ben/page", `"alert":"a1"`, `"tier":2`)

	// Ben claims on MQTT at the same time as ana on the app: one wins.
	at = ev.mark()
	r.pager["ben"].cmd("b1", "a1", protocol.PagerClaim, "")
	res, err = w.Command(ctx, "ana", protocol.PagerCmd{ID: "w1", Alert: "a1", Action: protocol.PagerClaim, TS: protocol.At(time.Now())})
	require.NoError(t, err)
	benRes := decodeAs[protocol.PagerResult](t, r.rec.await(from, "pager/ben/result", `"id":"b1"`))
	require.NotEqual(t, res.OK, benRes.OK, "exactly one claim wins: ana %+v, ben %+v", res, benRes)
	winner := res.ClaimedBy
	require.Equal(t, winner, benRes.ClaimedBy)
	if winner == "ben" {
		require.Equal(t, string(protocol.ErrAlreadyClaimed), res.Error)
		ev.await(at, "ana's withdrawal", pageTo("ana", "a1", true))
		// Ben lets it go; ana takes it.
		r.pager["ben"].cmd("b2", "a1", protocol.PagerRelease, "")
		r.rec.await(from, "pager/ben/result", `"id":"b2"`, `"ok":true`)
		res, err = w.Command(ctx, "ana", protocol.PagerCmd{ID: "w2", Alert: "a1", Action: protocol.PagerClaim})
		require.NoError(t, err)
		require.True(t, res.OK, "%+v", res)
	}
	r.rec.await(from, "pager/ana/result", `"ok":true`, `"claimed_by":"ana"`)

	// Arrive: on the alert the app shows, and ana is in lane 3's zone.
	at = ev.mark()
	res, err = w.Command(ctx, "ana", protocol.PagerCmd{ID: "w3", Alert: "a1", Action: protocol.PagerArrive})
	require.NoError(t, err)
	require.True(t, res.OK, "%+v", res)
	ev.await(at, "arrived", func(e web.Event) bool {
		return e.Kind == web.EventAlert && e.Alert.ID == "a1" && !e.Alert.Arrived.IsZero() && e.Alert.ClaimedBy == "ana"
	})

	// Resolve: answered when the lane answers.
	lane := newRecorder(t, r.url, "", "", protocol.LaneCommandTopic("s1", "3"))
	answered := later(t, func() (protocol.PagerResult, error) {
		return w.Command(ctx, "ana", protocol.PagerCmd{ID: "w4", Alert: "a1", Action: protocol.PagerResolve, Resolution: protocol.ActionVoid})
	})
	cmd := decodeAs[protocol.Command](t, lane.await(0, "lane/3/command", `"action":"void"`))
	select {
	case res := <-answered:
		t.Fatalf("answered before the lane: %+v", res)
	default:
	}
	at = ev.mark()
	publish(t, r.lane, protocol.LaneResultTopic("s1", "3"), false, protocol.Encode(protocol.CommandResult{ID: cmd.ID, OK: true}))
	require.True(t, answer(t, answered, "the resolve").OK)
	closed := ev.await(at, "a1 closed", func(e web.Event) bool { return e.Kind == web.EventAlert && e.Alert.ID == "a1" && e.Closed })
	require.Equal(t, string(protocol.ActionVoid), closed.Alert.Resolution)
	require.Equal(t, "front", closed.Alert.Zone)
	r.rec.await(from, "pager/ana/result", `"id":"w4"`, `"ok":true`)

	// Lanes: closed by a supervisor, answered when the lane answers;
	// others are refused.
	res, err = w.Lane(ctx, "sue", "l1", "9", protocol.ActionOutOfService)
	require.NoError(t, err)
	require.Equal(t, string(web.ErrUnknownLane), res.Error)
	res, err = w.Lane(ctx, "ana", "l2", "3", protocol.ActionOutOfService)
	require.NoError(t, err)
	require.Contains(t, res.Error, string(protocol.ErrRoleRequired))
	answered = later(t, func() (protocol.PagerResult, error) {
		return w.Lane(ctx, "sue", "l3", "3", protocol.ActionOutOfService)
	})
	cmd = decodeAs[protocol.Command](t, lane.await(0, "lane/3/command", `"action":"out_of_service"`))
	publish(t, r.lane, protocol.LaneResultTopic("s1", "3"), false, protocol.Encode(protocol.CommandResult{ID: cmd.ID, OK: true}))
	require.True(t, answer(t, answered, "the lane command").OK)

	// The app is served, with the bridge's metrics on /metrics.
	u := b.WebURL()
	require.NotEmpty(t, u)
	resp, err := http.Get(u + "metrics")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Contains(t, string(body), "sco_bridge_lanes_online{store=\"s1\"} 1\n")
	require.Contains(t, string(body), "sco_web_sessions 0\n")
	m := testsupport.Scrape(t, u+"metrics") // one exposition: the app's families and the bridge's, none twice
	require.Contains(t, m, "sco_web_sessions")
	require.Contains(t, m, "sco_bridge_alerts_total")

	// A stopped bridge refuses.
	require.NoError(t, b.Close())
	require.ErrorIs(t, w.Presence("ana", "web-1", protocol.Presence{Status: protocol.PresenceOffline, Seq: 2}), web.ErrStopped)
	_, err = w.Command(ctx, "ana", protocol.PagerCmd{ID: "w5", Alert: "a1", Action: protocol.PagerClaim})
	require.ErrorIs(t, err, web.ErrStopped)
}

// A web.listen that is taken fails the start.
func TestWebListenTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	r := buildRig(t, testsupport.Mochi(t).URL(), nil, func(c *Config) {
		c.Web = &web.Config{Listen: ln.Addr().String()}
	}, slow)
	b, err := New(r.cfg, nil)
	require.NoError(t, err)
	require.ErrorContains(t, b.Run(context.Background()), "web.listen")
	require.NoError(t, b.Close())
}

// A session ends after web.session on the bridge's clock: the app refuses
// it and sends the view to sign in again.
func TestWebSessionExpires(t *testing.T) {
	clock := testsupport.NewClock(time.Now())
	r := buildRig(t, testsupport.Mochi(t).URL(), nil, func(c *Config) {
		c.Web = &web.Config{Listen: "127.0.0.1:0", Session: time.Hour}
		c.Attendants[0].PinHash = webtest.Hash("1111")
	}, slow)
	r.opts = func(o *Opts) { o.Now = clock.Now }
	b := r.start()
	base := strings.TrimSuffix(b.WebURL(), "/")
	cookies := webtest.Cookies(t, base, "ana", "1111")
	get := func(path string) *http.Response {
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		require.NoError(t, err)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	require.Equal(t, http.StatusOK, get("/api/me").StatusCode)
	clock.Advance(time.Hour + time.Second)
	resp := get("/")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/login?next=/&expired=1", resp.Header.Get("Location"))
	require.Equal(t, http.StatusUnauthorized, get("/api/me").StatusCode)
}
