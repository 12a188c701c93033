package web_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sco-project/sco/attendant/web"
	"github.com/sco-project/sco/attendant/web/webtest"
	"github.com/sco-project/sco/protocol"
)

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  web.Config
		want string
	}{
		{web.Config{}, "web.listen: required"},
		{web.Config{Listen: "8443"}, "web.listen: \"8443\" is not host:port"},
		{web.Config{Listen: ":8443", CertFile: "a.crt"}, "give both or neither"},
		{web.Config{Listen: ":8443", Session: -time.Second}, "must not be negative"},
		{web.Config{Listen: ":8443", Session: time.Second}, "shorter than a minute"},
	} {
		err := tc.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want %q", tc.cfg, err, tc.want)
		}
	}
	c := web.Config{Listen: "0.0.0.0:8443"}
	if err := c.Validate(); err != nil || c.Session != web.DefaultSession {
		t.Fatalf("defaults: %v, session %v", err, c.Session)
	}
}

func TestHashPIN(t *testing.T) {
	h, err := web.HashPIN("4321")
	if err != nil || !web.ValidPINHash(h) || !strings.HasPrefix(h, "$2") {
		t.Fatalf("HashPIN: %q, %v", h, err)
	}
	for _, bad := range []string{"", "123", strings.Repeat("9", web.MaxPIN+1)} {
		if _, err := web.HashPIN(bad); err == nil {
			t.Errorf("HashPIN(%q) accepted", bad)
		}
	}
	if web.ValidPINHash("1234") {
		t.Error("a bare PIN passes for a hash")
	}
}

func TestSignIn(t *testing.T) {
	e := newEnv(t, nil)
	c := client(t)

	resp, err := c.Get(e.base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body(t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=/" {
		t.Fatalf("GET / signed out: %s to %q", resp.Status, resp.Header.Get("Location"))
	}

	resp = postForm(t, c, e.base+"/login", url.Values{"id": {"ana"}, "pin": {"9999"}})
	if b := body(t, resp); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(b, "Wrong id or PIN") || !strings.Contains(b, `value="ana"`) {
		t.Fatalf("wrong PIN: %s\n%s", resp.Status, b)
	}
	resp = postForm(t, c, e.base+"/login", url.Values{"id": {"nobody"}, "pin": {"1111"}})
	if body(t, resp); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unknown id: %s", resp.Status)
	}

	resp = postForm(t, c, e.base+"/login", url.Values{"id": {"Ana "}, "pin": {webtest.AnaPIN}, "next": {"https://evil.example/"}})
	body(t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("sign in: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	var sess *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "sco_session" {
			sess = ck
		}
	}
	if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteStrictMode || sess.Secure {
		t.Fatalf("session cookie over plain HTTP: %+v", sess)
	}
	resp, err = c.Get(e.base + "/")
	if err != nil {
		t.Fatal(err)
	}
	if b := body(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(b, "handheld.js") {
		t.Fatalf("GET / signed in: %s", resp.Status)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP %q", csp)
	}

	// Sign-out ends the session.
	resp = postForm(t, c, e.base+"/logout", nil)
	body(t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("sign out: %s", resp.Status)
	}
	if code, m := post(t, c, e.base+"/api/heartbeat", ""); code != http.StatusUnauthorized || m["error"] != "not signed in" {
		t.Fatalf("after sign-out: %d %v", code, m)
	}
}

func TestWrongPINDelayed(t *testing.T) {
	const delay = 300 * time.Millisecond
	e := newEnv(t, &web.Opts{FailDelay: delay})
	start := time.Now()
	resp := postForm(t, client(t), e.base+"/login", url.Values{"id": {"ana"}, "pin": {"0000"}})
	body(t, resp)
	if took := time.Since(start); resp.StatusCode != http.StatusUnauthorized || took < delay {
		t.Fatalf("wrong PIN answered %s after %v, want 401 after at least %v", resp.Status, took, delay)
	}
}

func TestSignInRateLimited(t *testing.T) {
	e := newEnv(t, nil)
	c := client(t)
	try := func(id, pin string) int {
		resp := postForm(t, c, e.base+"/login", url.Values{"id": {id}, "pin": {pin}})
		body(t, resp)
		return resp.StatusCode
	}
	for i := 0; i < web.FailsPerID; i++ {
		if code := try("ana", "0000"); code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, code)
		}
	}
	// Ana's id is locked, even with the right PIN; Ben is not.
	resp := postForm(t, c, e.base+"/login", url.Values{"id": {"ana"}, "pin": {webtest.AnaPIN}})
	b := body(t, resp)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(b, "Too many wrong PINs. Try again in 5 minutes.") || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("locked id: %s %q\n%s", resp.Status, resp.Header.Get("Retry-After"), b)
	}
	if code := try("ben", webtest.BenPIN); code != http.StatusSeeOther {
		t.Fatalf("ben: %d", code)
	}
	// The window passes.
	e.clock.Advance(web.FailWindow)
	if code := try("ana", webtest.AnaPIN); code != http.StatusSeeOther {
		t.Fatalf("after the window: %d", code)
	}

	// Per address: failures spread over ids lock the address.
	for i := 0; i < web.FailsPerAddr; i++ {
		id := []string{"ana", "ben", "sue", "zed"}[i%4]
		if code := try(id, "0000"); code != http.StatusUnauthorized && code != http.StatusTooManyRequests {
			t.Fatalf("address failure %d: %d", i+1, code)
		}
	}
	if code := try("sue", webtest.SuePIN); code != http.StatusTooManyRequests {
		t.Fatalf("locked address: %d", code)
	}
	e.clock.Advance(web.FailWindow)
	if code := try("sue", webtest.SuePIN); code != http.StatusSeeOther {
		t.Fatalf("address after the window: %d", code)
	}
}

func TestSessionExpires(t *testing.T) {
	e := newEnv(t, nil)
	c := signIn(t, e.base, "ana", webtest.AnaPIN)
	e.clock.Advance(time.Hour) // web.session in newEnv
	resp, err := c.Get(e.base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body(t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=/&expired=1" {
		t.Fatalf("expired: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	resp, err = c.Get(e.base + "/login?next=/&expired=1")
	if err != nil {
		t.Fatal(err)
	}
	if b := body(t, resp); !strings.Contains(b, "Your session has ended") {
		t.Fatalf("the form does not say why:\n%s", b)
	}
	if code, m := post(t, c, e.base+"/api/cmd", map[string]string{"alert": "a1", "action": "claim"}); code != http.StatusUnauthorized {
		t.Fatalf("API after expiry: %d %v", code, m)
	}
}

func TestSessionExpiryEndsStream(t *testing.T) {
	e := newEnv(t, &web.Opts{PingEvery: 10 * time.Millisecond})
	c := signIn(t, e.base, "ana", webtest.AnaPIN)
	s := openSSE(t, c, e.base+"/api/events")
	s.next(t, "snapshot")
	e.clock.Advance(time.Hour)
	ev := s.next(t, "bye")
	if !strings.Contains(ev.data, "session expired") {
		t.Fatalf("bye: %s", ev.data)
	}
	s.ended(t)
}

func TestCrossSiteRefused(t *testing.T) {
	e := newEnv(t, nil)
	c := signIn(t, e.base, "ana", webtest.AnaPIN)
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "http://evil.example"},
	} {
		for _, path := range []string{"/api/cmd", "/api/presence", "/logout", "/login"} {
			req, _ := http.NewRequest(http.MethodPost, e.base+path, strings.NewReader(`{"status":"available"}`))
			req.Header.Set("Content-Type", "application/json")
			for k, v := range h {
				req.Header.Set(k, v)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if b := body(t, resp); resp.StatusCode != http.StatusForbidden || !strings.Contains(b, "cross-origin request refused") {
				t.Errorf("%s with %v: %s %s", path, h, resp.Status, b)
			}
		}
	}
	if got := e.fake.Devices("ana"); len(got) != 0 {
		t.Fatalf("a refused request changed presence: %v", got)
	}
	// The same request from the app's own page goes through.
	req, _ := http.NewRequest(http.MethodPost, e.base+"/api/presence", strings.NewReader(`{"status":"available"}`))
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body(t, resp); resp.StatusCode != http.StatusOK {
		t.Fatalf("same origin: %s", resp.Status)
	}
}

func TestBodiesBounded(t *testing.T) {
	e := newEnv(t, nil)
	c := signIn(t, e.base, "ana", webtest.AnaPIN)
	big := `{"alert":"` + strings.Repeat("a", 10<<10) + `","action":"claim"}`
	for _, path := range []string{"/api/cmd", "/api/presence", "/api/lane", "/api/escalate"} {
		if code, m := post(t, c, e.base+path, big); code != http.StatusRequestEntityTooLarge || !strings.Contains(m["error"].(string), "4096 bytes") {
			t.Errorf("%s: %d %v", path, code, m)
		}
	}
	resp := postForm(t, client(t), e.base+"/login", url.Values{"id": {"ana"}, "pin": {strings.Repeat("1", 10<<10)}})
	if body(t, resp); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("sign-in form: %s", resp.Status)
	}
	for _, bad := range []string{`{"alert":`, `[1,2]`, `{"alert":"a1","action":"claim","extra":1}`, `{"alert":"a1","action":"claim"} {}`} {
		if code, _ := post(t, c, e.base+"/api/cmd", bad); code != http.StatusBadRequest {
			t.Errorf("%s: %d", bad, code)
		}
	}
	for _, bad := range []map[string]string{
		{"alert": "a/1", "action": "claim"},
		{"alert": "a1", "action": "explode"},
		{"alert": "a1", "action": "resolve", "resolution": "shrug"},
		{"alert": "a1", "action": "claim", "id": strings.Repeat("x", 129)},
	} {
		if code, m := post(t, c, e.base+"/api/cmd", bad); code != http.StatusBadRequest {
			t.Errorf("%v: %d %v", bad, code, m)
		}
	}
	if n := len(e.fake.Commands()); n != 0 {
		t.Fatalf("%d bad requests reached the bridge", n)
	}
}

func TestStreamCaps(t *testing.T) {
	e := newEnv(t, &web.Opts{MaxStreams: 3, MaxStreamsPerSession: 2})
	ana := signIn(t, e.base, "ana", webtest.AnaPIN)
	for i := 0; i < 2; i++ {
		openSSE(t, ana, e.base+"/api/events").next(t, "snapshot")
	}
	if s, code, msg := trySSE(t, ana, e.base+"/api/events"); s != nil || code != http.StatusTooManyRequests || !strings.Contains(msg, "for this sign-in") {
		t.Fatalf("third stream of one sign-in: %d %s", code, msg)
	}
	ben := signIn(t, e.base, "ben", webtest.BenPIN)
	openSSE(t, ben, e.base+"/api/events").next(t, "snapshot")
	sue := signIn(t, e.base, "sue", webtest.SuePIN)
	if s, code, msg := trySSE(t, sue, e.base+"/api/events?view=console"); s != nil || code != http.StatusServiceUnavailable || !strings.Contains(msg, "at most 3") {
		t.Fatalf("over the global cap: %d %s", code, msg)
	}
}

func TestRolesFromRoster(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.SetLane(webtest.LaneState("3", "front", protocol.StateIdle, 0, 0))
	ana := signIn(t, e.base, "ana", webtest.AnaPIN)
	resp, err := ana.Get(e.base + "/console")
	if err != nil {
		t.Fatal(err)
	}
	if b := body(t, resp); resp.StatusCode != http.StatusForbidden || !strings.Contains(b, "for supervisors") {
		t.Fatalf("console for an attendant: %s %s", resp.Status, b)
	}
	if s, code, _ := trySSE(t, ana, e.base+"/api/events?view=console"); s != nil || code != http.StatusForbidden {
		t.Fatalf("console stream for an attendant: %d", code)
	}
	if code, _ := post(t, ana, e.base+"/api/lane", map[string]string{"lane": "3", "action": "out_of_service"}); code != http.StatusForbidden {
		t.Fatalf("lane by an attendant: %d", code)
	}
	if code, _ := post(t, ana, e.base+"/api/escalate", map[string]string{"alert": "a1"}); code != http.StatusForbidden {
		t.Fatalf("escalate by an attendant: %d", code)
	}

	sue := signIn(t, e.base, "sue", webtest.SuePIN)
	resp, err = sue.Get(e.base + "/console")
	if err != nil {
		t.Fatal(err)
	}
	if b := body(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(b, "console.js") {
		t.Fatalf("console for a supervisor: %s", resp.Status)
	}
	if code, m := post(t, sue, e.base+"/api/lane", map[string]string{"lane": "3", "action": "out_of_service"}); code != http.StatusOK || m["ok"] != true {
		t.Fatalf("close lane: %d %v", code, m)
	}
	if st := e.fake.LaneState("3"); st.State != protocol.StateOutOfService {
		t.Fatalf("lane 3 is %s", st.State)
	}
	if code, m := post(t, sue, e.base+"/api/lane", map[string]string{"lane": "99", "action": "in_service"}); code != http.StatusNotFound || m["error"] != "unknown lane" {
		t.Fatalf("unknown lane: %d %v", code, m)
	}
}

func TestRoleChangeCountsAtOnce(t *testing.T) {
	clockless := webtest.New(webtest.Roster(), nil)
	roles := map[string][]string{"sue": {protocol.RoleSupervisor}}
	var mu sync.Mutex
	roster := func(id string) (web.Attendant, bool) {
		a, ok := clockless.Roster()(id)
		mu.Lock()
		defer mu.Unlock()
		if r, set := roles[id]; set {
			a.Roles = r
		}
		return a, ok
	}
	s, err := web.New(web.Config{Listen: "127.0.0.1:0"}, clockless, roster, &web.Opts{FailDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	rec := serve(h, http.MethodPost, "/login", "id=sue&pin="+webtest.SuePIN, nil)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", rec.Code)
	}
	cookies := rec.Result().Cookies()
	if rec := serve(h, http.MethodGet, "/console", "", cookies); rec.Code != http.StatusOK {
		t.Fatalf("supervisor: %d", rec.Code)
	}
	mu.Lock()
	roles["sue"] = []string{protocol.RoleAttendant}
	mu.Unlock()
	if rec := serve(h, http.MethodGet, "/console", "", cookies); rec.Code != http.StatusForbidden {
		t.Fatalf("after losing the role: %d", rec.Code)
	}
}

func TestUnknownAlertAnsweredClearly(t *testing.T) {
	e := newEnv(t, nil)
	ana := signIn(t, e.base, "ana", webtest.AnaPIN)
	code, m := post(t, ana, e.base+"/api/cmd", map[string]string{"alert": "nope", "action": "claim"})
	if code != http.StatusNotFound || m["error"] != string(protocol.ErrUnknownAlert) || m["ok"] != false {
		t.Fatalf("unknown alert: %d %v", code, m)
	}
	e.fake.Raise(protocol.Alert{ID: "a1", Lane: "3", Zone: "front", Kind: protocol.KindHelp}, t0, 1, "ana")
	e.fake.Cancel("a1")
	code, m = post(t, ana, e.base+"/api/cmd", map[string]string{"alert": "a1", "action": "claim"})
	if code != http.StatusGone || m["error"] != string(protocol.ErrAlertClosed) {
		t.Fatalf("closed alert: %d %v", code, m)
	}
	e.fake.Raise(protocol.Alert{ID: "a2", Lane: "3", Zone: "front", Kind: protocol.KindHelp}, t0, 1, "ben")
	code, m = post(t, ana, e.base+"/api/cmd", map[string]string{"alert": "a2", "action": "claim"})
	if code != http.StatusForbidden || m["error"] != string(protocol.ErrNotPaged) {
		t.Fatalf("not paged: %d %v", code, m)
	}
}

func TestClaimRaceOneWins(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.Raise(protocol.Alert{ID: "a1", Lane: "3", Zone: "front", Kind: protocol.KindBagTimeout}, t0, 2, "ana", "ben")
	clients := map[string]*http.Client{"ana": signIn(t, e.base, "ana", webtest.AnaPIN), "ben": signIn(t, e.base, "ben", webtest.BenPIN)}
	type answer struct {
		who  string
		code int
		m    map[string]any
	}
	out := make(chan answer, 2)
	start := make(chan struct{})
	for who, c := range clients {
		go func() {
			<-start
			code, m := post(t, c, e.base+"/api/cmd", map[string]string{"alert": "a1", "action": "claim"})
			out <- answer{who, code, m}
		}()
	}
	close(start)
	a, b := <-out, <-out
	if a.code == http.StatusConflict {
		a, b = b, a
	}
	if a.code != http.StatusOK || a.m["claimed_by"] != a.who {
		t.Fatalf("winner: %+v", a)
	}
	if b.code != http.StatusConflict || b.m["error"] != string(protocol.ErrAlreadyClaimed) || b.m["claimed_by"] != a.who {
		t.Fatalf("loser: %+v", b)
	}
}

func TestResolveAllowedByRole(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.Raise(protocol.Alert{ID: "a1", Lane: "4", Zone: "front", Kind: protocol.KindAgeCheck}, t0, 2, "ana", "ben")
	ben := signIn(t, e.base, "ben", webtest.BenPIN)
	s := openSSE(t, ben, e.base+"/api/events")
	var snap struct {
		Pages []struct {
			Alert       string            `json:"alert"`
			Resolutions []protocol.Action `json:"resolutions"`
		} `json:"pages"`
		Kinds map[string]string `json:"kinds"`
	}
	decodeJSON(t, s.next(t, "snapshot").data, &snap)
	if len(snap.Pages) != 1 || len(snap.Pages[0].Resolutions) != 1 || snap.Pages[0].Resolutions[0] != protocol.ActionOutOfService {
		t.Fatalf("ben's resolutions for an age check: %+v", snap.Pages)
	}
	if snap.Kinds["age_check"] != "age check" {
		t.Fatalf("kinds: %v", snap.Kinds)
	}
	code, m := post(t, ben, e.base+"/api/cmd", map[string]string{"alert": "a1", "action": "resolve", "resolution": "age_ok"})
	if code != http.StatusForbidden || !strings.HasPrefix(m["error"].(string), string(protocol.ErrRoleRequired)) {
		t.Fatalf("age_ok by ben: %d %v", code, m)
	}
	code, m = post(t, ben, e.base+"/api/cmd", map[string]string{"alert": "a1", "action": "resolve", "resolution": "approve"})
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("approve on an age check: %d %v", code, m)
	}

	ana := signIn(t, e.base, "ana", webtest.AnaPIN)
	s = openSSE(t, ana, e.base+"/api/events")
	decodeJSON(t, s.next(t, "snapshot").data, &snap)
	got := snap.Pages[0].Resolutions
	if len(got) != 3 || got[0] != protocol.ActionAgeOK || got[1] != protocol.ActionAgeRefused {
		t.Fatalf("ana's resolutions for an age check: %v", got)
	}
}

func TestStreamFollowsPages(t *testing.T) {
	e := newEnv(t, nil)
	ana := signIn(t, e.base, "ana", webtest.AnaPIN)
	s := openSSE(t, ana, e.base+"/api/events?status=available")
	s.next(t, "snapshot")
	e.fake.Raise(protocol.Alert{ID: "a1", Lane: "3", Zone: "front", Kind: protocol.KindBagTimeout, Item: &protocol.ItemRef{Name: "Cola 330ml"}}, t0.Add(-42*time.Second), 1, "ana")
	var p protocol.Page
	decodeJSON(t, s.next(t, "page").data, &p)
	if p.Alert != "a1" || p.Lane != "3" || p.Tier != 1 || len(p.Resolutions) != 3 {
		t.Fatalf("page: %+v", p)
	}
	var al struct {
		Alert  web.Alert `json:"alert"`
		Closed bool      `json:"closed"`
	}
	decodeJSON(t, s.next(t, "alert").data, &al)
	if al.Alert.Item == nil || al.Alert.Item.Name != "Cola 330ml" || !al.Alert.Raised.Equal(t0.Add(-42*time.Second)) {
		t.Fatalf("alert: %+v", al.Alert)
	}
	// A page for Ben is not Ana's business; lane states go to the console only.
	e.fake.Raise(protocol.Alert{ID: "a2", Lane: "5", Zone: "back", Kind: protocol.KindHelp}, t0, 1, "ben")
	e.fake.SetLane(webtest.LaneState("5", "back", protocol.StateAssist, 1, 100))
	e.fake.Cancel("a1")
	for {
		ev := s.next(t, "page", "lane")
		if ev.name == "lane" {
			t.Fatalf("a lane state reached a handheld: %s", ev.data)
		}
		decodeJSON(t, ev.data, &p)
		if p.Alert == "a2" {
			t.Fatalf("ben's page reached ana: %s", ev.data)
		}
		if p.Withdrawn && p.Reason == "cancelled by lane" {
			break
		}
	}
	// A view that reconnects does not see the closed alert again.
	s2 := openSSE(t, ana, e.base+"/api/events")
	var snap struct {
		Pages  []protocol.Page `json:"pages"`
		Alerts []web.Alert     `json:"alerts"`
	}
	decodeJSON(t, s2.next(t, "snapshot").data, &snap)
	if len(snap.Pages) != 0 || len(snap.Alerts) != 1 || snap.Alerts[0].ID != "a2" {
		t.Fatalf("snapshot after the cancel: %+v", snap)
	}
}

func TestResolveWaitsForTheLane(t *testing.T) {
	e := newEnv(t, &web.Opts{CommandTimeout: 50 * time.Millisecond})
	e.fake.HoldResolutions(true)
	e.fake.Raise(protocol.Alert{ID: "a1", Lane: "3", Zone: "front", Kind: protocol.KindBagTimeout}, t0, 1, "ana")
	ana := signIn(t, e.base, "ana", webtest.AnaPIN)
	s := openSSE(t, ana, e.base+"/api/events")
	s.next(t, "snapshot")
	code, m := post(t, ana, e.base+"/api/cmd", map[string]string{"id": "c-1", "alert": "a1", "action": "resolve", "resolution": "void"})
	if code != http.StatusAccepted || m["pending"] != true || m["id"] != "c-1" {
		t.Fatalf("a resolution the lane has not answered: %d %v", code, m)
	}
	if !e.fake.Answer("a1", "") {
		t.Fatal("no resolution held")
	}
	for {
		var r protocol.PagerResult
		decodeJSON(t, s.next(t, "result").data, &r)
		if r.ID == "c-1" {
			if !r.OK {
				t.Fatalf("result: %+v", r)
			}
			break
		}
	}
}

func TestHandheldPresence(t *testing.T) {
	e := newEnv(t, &web.Opts{PingEvery: 14 * time.Second}) // no ping in the test: it is the heartbeat
	ana := signIn(t, e.base, "ana", webtest.AnaPIN)
	u, _ := url.Parse(e.base)
	var dev string
	for _, ck := range ana.Jar.Cookies(u) {
		if ck.Name == "sco_device" {
			dev = ck.Value
		}
	}
	if !strings.HasPrefix(dev, "web-") {
		t.Fatalf("device cookie %q", dev)
	}
	status := func() string { return e.fake.PresenceOf("ana", dev) }
	s := openSSE(t, ana, e.base+"/api/events?status=available")
	s.next(t, "snapshot")
	if got := status(); got != protocol.PresenceAvailable {
		t.Fatalf("after connect: %q", got)
	}
	setStatus(t, ana, e.base, "break")
	if got := status(); got != protocol.PresenceBreak {
		t.Fatalf("after break: %q", got)
	}
	setStatus(t, ana, e.base, "available")

	// Unseen for 30s: offline, whatever the stream says.
	e.clock.Advance(web.OfflineAfter - time.Second)
	e.clock.Advance(time.Second)
	waitFake(t, e.fake, "the handheld to go offline", func() bool { return status() == protocol.PresenceOffline })
	// A heartbeat brings it back as it was.
	if code, _ := post(t, ana, e.base+"/api/heartbeat", ""); code != http.StatusNoContent {
		t.Fatalf("heartbeat: %d", code)
	}
	if got := status(); got != protocol.PresenceAvailable {
		t.Fatalf("after the heartbeat: %q", got)
	}
	// The console is not a presence.
	sue := signIn(t, e.base, "sue", webtest.SuePIN)
	openSSE(t, sue, e.base+"/api/events?view=console").next(t, "snapshot")
	if d := e.fake.Devices("sue"); len(d) != 0 {
		t.Fatalf("the console made sue present: %v", d)
	}
	// Sign-out takes the device offline at once.
	resp := postForm(t, ana, e.base+"/logout", nil)
	body(t, resp)
	if got := status(); got != protocol.PresenceOffline {
		t.Fatalf("after sign-out: %q", got)
	}
}

func TestPingCountsAsSeen(t *testing.T) {
	e := newEnv(t, &web.Opts{PingEvery: 5 * time.Millisecond})
	ana := signIn(t, e.base, "ana", webtest.AnaPIN)
	s := openSSE(t, ana, e.base+"/api/events?status=busy")
	s.next(t, "snapshot")
	s.next(t, "ping")
	// Answering pings as the view does keeps the device on shift.
	for i := 0; i < 3; i++ {
		e.clock.Advance(web.OfflineAfter / 2)
		s.next(t, "ping")
		if code, _ := post(t, ana, e.base+"/api/heartbeat", ""); code != http.StatusNoContent {
			t.Fatalf("heartbeat: %d", code)
		}
	}
	devs := e.fake.Devices("ana")
	if len(devs) != 1 || e.fake.PresenceOf("ana", devs[0]) != protocol.PresenceBusy {
		t.Fatalf("presence: %v", devs)
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, &web.Opts{Metrics: func(w io.Writer) { io.WriteString(w, "sco_bridge_up 1\n") }})
	postForm(t, client(t), e.base+"/login", url.Values{"id": {"ana"}, "pin": {"0000"}}).Body.Close()
	resp, err := http.Get(e.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b := body(t, resp)
	for _, want := range []string{"sco_web_signin_failures_total 1\n", "sco_web_streams 0\n", "sco_bridge_up 1\n"} {
		if !strings.Contains(b, want) {
			t.Errorf("metrics lack %q:\n%s", want, b)
		}
	}
}

func TestPlainHTTPWarned(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))
	f := webtest.New(webtest.Roster(), nil)
	s, err := web.New(web.Config{Listen: "0.0.0.0:0"}, f, f.Roster(), &web.Opts{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := newLoopbackListener()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "plain HTTP on a non-loopback address") {
		t.Fatalf("no warning:\n%s", logs.String())
	}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writeCert(t, dir)
	if _, err := web.New(web.Config{Listen: "127.0.0.1:0", CertFile: certFile, KeyFile: dir + "/missing.key"}, webtest.New(nil, nil), webtest.New(nil, nil).Roster(), nil); err == nil || !strings.Contains(err.Error(), "web.key_file") {
		t.Fatalf("a missing key: %v", err)
	}
	f := webtest.New(webtest.Roster(), nil)
	_, base := webtest.Start(t, f, web.Config{CertFile: certFile, KeyFile: keyFile}, &web.Opts{FailDelay: time.Millisecond})
	c := client(t)
	c.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} // a self-signed test certificate
	resp := postForm(t, c, base+"/login", url.Values{"id": {"ana"}, "pin": {webtest.AnaPIN}})
	body(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in over TLS: %s", resp.Status)
	}
	for _, ck := range resp.Cookies() {
		if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
			t.Errorf("cookie %s over TLS: %+v", ck.Name, ck)
		}
	}
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS over TLS")
	}
}

func TestUnknownKindShownByName(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.Raise(protocol.Alert{ID: "a1", Lane: "3", Zone: "front", Kind: "some_future_kind"}, t0, 1, "ana")
	ana := signIn(t, e.base, "ana", webtest.AnaPIN)
	var snap struct {
		Pages []struct {
			Kind        string            `json:"kind"`
			Resolutions []protocol.Action `json:"resolutions"`
		} `json:"pages"`
		Kinds map[string]string `json:"kinds"`
	}
	decodeJSON(t, openSSE(t, ana, e.base+"/api/events").next(t, "snapshot").data, &snap)
	if len(snap.Pages) != 1 || snap.Pages[0].Kind != "some_future_kind" || len(snap.Pages[0].Resolutions) != 0 {
		t.Fatalf("page of an unknown kind: %+v", snap.Pages)
	}
	if _, ok := snap.Kinds["some_future_kind"]; ok {
		t.Fatal("an unknown kind has a text")
	}
}

func TestStaticFiles(t *testing.T) {
	e := newEnv(t, nil)
	for path, want := range map[string]int{"/static/app.css": 200, "/static/handheld.js": 200, "/static/": 404, "/manifest.webmanifest": 200, "/nope": 404, "/api/nope": 404} {
		resp, err := http.Get(e.base + path)
		if err != nil {
			t.Fatal(err)
		}
		body(t, resp)
		if resp.StatusCode != want {
			t.Errorf("%s: %s, want %d", path, resp.Status, want)
		}
	}
}
