package web_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sco-project/sco/attendant/web"
	"github.com/sco-project/sco/attendant/web/webtest"
	"github.com/sco-project/sco/protocol"
)

// The browser tests drive Debian's headless Chromium against the app and
// the fake bridge. They are skipped when chromium is missing, unless
// SCO_REQUIRE_CHROMIUM=1 (scripts/test.sh sets it): then a missing
// chromium fails them.

// browser starts one headless Chromium for a test, with a fresh profile;
// it is killed when the test ends, passed or failed.
func browser(t *testing.T) context.Context {
	t.Helper()
	bin := chromiumPath()
	if bin == "" {
		if os.Getenv("SCO_REQUIRE_CHROMIUM") == "1" {
			t.Fatal("chromium is not installed and SCO_REQUIRE_CHROMIUM=1 (apt-get install chromium)")
		}
		t.Skip("chromium is not installed (apt-get install chromium); SCO_REQUIRE_CHROMIUM=1 makes this a failure")
	}
	// The whole browser test must end within a minute: a hung browser is
	// killed with it.
	ctx, cancelTimeout := context.WithTimeout(context.Background(), 60*time.Second)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(412, 915),
	)
	root, cancelRoot := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelRoot()
		cancelAlloc() // kills the browser and waits for it
		cancelTimeout()
	})
	if err := chromedp.Do(root); err != nil { // starts the browser
		t.Fatalf("chromium: %v", err)
	}
	return root
}

// person is one browser context (its own cookies) on a phone-sized
// screen.
func person(t *testing.T, root context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(412, 915, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// do runs browser steps, each set within 10s.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// waitText waits until the element's text matches re, and returns that
// text (read in the same look: the views re-render as events come).
func waitText(t *testing.T, ctx context.Context, css string, re string) string {
	t.Helper()
	expr := `(function(){var e=document.querySelector(` + quote(css) + `);return e && new RegExp(` + quote(re) + `).test(e.textContent) ? e.textContent : null})()`
	var got string
	var err error
	for try := 0; try < 3; try++ {
		got, err = chromedp.Run(ctx, chromedp.Poll[string](expr, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
		// A page that has just loaded may still swap its JavaScript
		// context under the poll: look again in the new one.
		if err == nil || !strings.Contains(err.Error(), "Cannot find context") {
			break
		}
	}
	if err != nil {
		now, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(function(){var e=document.querySelector(`+quote(css)+`);return e?e.textContent:"(none)"})()`))
		t.Fatalf("%s never matched %q: %v; it says %q", css, re, err, now)
	}
	return got
}

// waitGone waits until no element matches css.
func waitGone(t *testing.T, ctx context.Context, css string) {
	t.Helper()
	expr := `document.querySelector(` + quote(css) + `) === null`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("%s is still there: %v", css, err)
	}
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// signInAs fills the sign-in form as a person would and returns the
// status of the page it leads to.
func signInAs(t *testing.T, ctx context.Context, base, path, id, pin string) int64 {
	t.Helper()
	do(t, ctx,
		chromedp.Navigate(base+path),
		chromedp.WaitVisible(chromedp.ID("signin")),
		chromedp.SendKeys(chromedp.ID("id"), id),
		chromedp.SendKeys(chromedp.ID("pin"), pin),
	)
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(tctx, chromedp.Click(chromedp.ID("signin")))
	if err != nil {
		t.Fatalf("sign in as %s: %v", id, err)
	}
	return resp.Status
}

func TestBrowser(t *testing.T) {
	// The browser counts the wait on its own clock, set from the app's: the
	// app and the fake run on the real clock here, so the counter a
	// person sees is the real one.
	f := webtest.New(webtest.Roster(), nil)
	_, base := webtest.Start(t, f, web.Config{Session: time.Hour}, &web.Opts{Store: "s1", FailDelay: time.Millisecond})
	e := struct{ base string }{base}
	root := browser(t)

	ana := person(t, root)
	t.Run("wrong PIN", func(t *testing.T) {
		if code := signInAs(t, ana, e.base, "/", "ana", "0000"); code != 401 {
			t.Fatalf("status %d", code)
		}
		waitText(t, ana, "#login-error", "Wrong id or PIN")
	})
	t.Run("sign in and go on shift", func(t *testing.T) {
		if code := signInAs(t, ana, e.base, "/", "ana", "1111"); code != 200 {
			t.Fatalf("status %d", code)
		}
		waitText(t, ana, "#who", `^Ana · s1$`)
		waitText(t, ana, "#conn", "online")
		waitText(t, ana, "#empty", "off shift")
		do(t, ana, chromedp.Click(chromedp.CSS(`#shift [data-status="available"]`)))
		waitText(t, ana, `#shift .on`, "Available")
		waitFake(t, f, "ana available", func() bool {
			for _, d := range f.Devices("ana") {
				if f.PresenceOf("ana", d) == protocol.PresenceAvailable {
					return true
				}
			}
			return false
		})
		// The tap on Available armed sound and vibration: the banner asking
		// for a tap is gone.
		hidden, err := chromedp.Run(ana, chromedp.Evaluate[bool](`document.getElementById("arm").hidden`))
		if err != nil || !hidden {
			t.Fatalf("the first tap did not arm the sound: %v %v", hidden, err)
		}
	})

	t.Run("a page arrives with its counter", func(t *testing.T) {
		f.Raise(protocol.Alert{ID: "a1", Lane: "3", Zone: "front", Kind: protocol.KindBagTimeout, Item: &protocol.ItemRef{Name: "Cola 330ml"}}, time.Now().Add(-42*time.Second), 1, "ana")
		card := `article[data-alert="a1"]`
		waitText(t, ana, card+" .lane", `^Lane 3$`)
		waitText(t, ana, card+" .kind", `^Item not placed in the bagging area$`)
		waitText(t, ana, card+" .item", `^Cola 330ml$`)
		waitText(t, ana, card+" .tier", `^tier 1$`)
		first := waitText(t, ana, card+" .wait", `^waiting for 0:4[2-9]$`)
		// The counter runs.
		waitText(t, ana, card+" .wait", `^waiting for 0:(4[3-9]|5\d)$`)
		t.Logf("counter went from %q on", first)
	})

	t.Run("claim, arrive, resolve with confirmation", func(t *testing.T) {
		card := `article[data-alert="a1"]`
		do(t, ana, chromedp.Click(chromedp.CSS(card+" .claim")))
		waitText(t, ana, card+" .claimed", "You have it")
		if got := f.ClaimedBy("a1"); got != "ana" {
			t.Fatalf("claimed by %q", got)
		}
		// Only the resolutions of a bag timeout for Ana's roles.
		res, err := chromedp.Run(ana, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('article[data-alert="a1"] .res')).map(function(b){return b.textContent})`))
		if err != nil || strings.Join(res, ",") != "Approve,Void item,Close lane" {
			t.Fatalf("resolutions %v %v", res, err)
		}
		do(t, ana, chromedp.Click(chromedp.CSS(card+" .arrive")))
		waitText(t, ana, card+" .claimed", "You are at the lane")
		do(t, ana, chromedp.Click(chromedp.CSS(card+" .res-void")))
		waitText(t, ana, "#confirm-text", `^Void Cola 330ml from the basket\?$`)
		if f.Open("a1") == false {
			t.Fatal("void went out before the confirmation")
		}
		do(t, ana, chromedp.Click(chromedp.ID("confirm-yes")))
		waitGone(t, ana, card)
		waitText(t, ana, "#notes", "Lane 3: (Void item — done|resolved)")
		if f.Open("a1") {
			t.Fatal("a1 still open")
		}
		var actions []string
		for _, c := range f.Commands() {
			actions = append(actions, c.Cmd.Action+":"+string(c.Cmd.Resolution))
		}
		if got := strings.Join(actions, " "); got != "claim: arrive: resolve:void" {
			t.Fatalf("commands %s", got)
		}
	})

	ben := person(t, root)
	t.Run("two handhelds race for the claim", func(t *testing.T) {
		signInAs(t, ben, e.base, "/login", "ben", "2222")
		waitText(t, ben, "#who", "^Ben")
		do(t, ben, chromedp.Click(chromedp.CSS(`#shift [data-status="available"]`)))
		waitText(t, ben, `#shift .on`, "Available")
		f.Raise(protocol.Alert{ID: "a2", Lane: "5", Zone: "back", Kind: protocol.KindHelp}, time.Now(), 2, "ana", "ben")
		card := `article[data-alert="a2"]`
		waitText(t, ana, card+" .claim", "Claim")
		waitText(t, ben, card+" .claim", "Claim")
		// Both claims reach the bridge before it decides either.
		open := f.Gate()
		defer open()
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for _, ctx := range []context.Context{ana, ben} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				errs <- chromedp.Do(cctx, chromedp.Click(chromedp.CSS(card+" .claim")))
			}()
		}
		wg.Wait()
		waitFake(t, f, "both claims at the bridge", func() bool { return f.Gated() == 2 })
		open()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		waitFake(t, f, "a claim", func() bool { return f.ClaimedBy("a2") != "" })
		winner, loser := ana, ben
		if f.ClaimedBy("a2") == "ben" {
			winner, loser = ben, ana
		}
		waitText(t, winner, card+" .claimed", "You have it")
		winnerName := map[string]string{"ana": "Ana", "ben": "Ben"}[f.ClaimedBy("a2")]
		waitGone(t, loser, card)
		waitText(t, loser, "#notes", "Lane 5: "+winnerName+" has it")
		claims := 0
		for _, c := range f.Commands() {
			if c.Cmd.Alert == "a2" && c.Cmd.Action == protocol.PagerClaim && c.Result.OK {
				claims++
			}
		}
		if claims != 1 {
			t.Fatalf("%d claims won", claims)
		}
		// The winner closes it: help has only "Done" and "Close lane".
		res, err := chromedp.Run(winner, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('article[data-alert="a2"] .res')).map(function(b){return b.textContent})`))
		if err != nil || strings.Join(res, ",") != "Done,Close lane" {
			t.Fatalf("resolutions for help %v %v", res, err)
		}
		do(t, winner, chromedp.Click(chromedp.CSS(card+" .res-clear")))
		waitGone(t, winner, card)
	})

	t.Run("a withdrawn page disappears with its reason", func(t *testing.T) {
		f.Raise(protocol.Alert{ID: "a3", Lane: "2", Zone: "front", Kind: protocol.KindUnexpectedItem}, time.Now(), 1, "ana")
		card := `article[data-alert="a3"]`
		waitText(t, ana, card+" .lane", "Lane 2")
		f.Cancel("a3")
		waitGone(t, ana, card)
		waitText(t, ana, "#notes", "Lane 2: the shopper sorted it out")
	})

	t.Run("a reloaded view shows only open pages", func(t *testing.T) {
		f.Raise(protocol.Alert{ID: "a4", Lane: "4", Zone: "front", Kind: protocol.KindAgeCheck}, time.Now(), 1, "ana")
		waitText(t, ana, `article[data-alert="a4"] .kind`, "Age check")
		do(t, ana, chromedp.Navigate("about:blank"))
		f.Cancel("a4")
		f.Raise(protocol.Alert{ID: "a5", Lane: "1", Zone: "front", Kind: protocol.KindItemRemoved}, time.Now(), 1, "ana")
		do(t, ana, chromedp.Navigate(e.base+"/"), chromedp.WaitVisible(chromedp.ID("shift")))
		waitText(t, ana, `article[data-alert="a5"] .lane`, "Lane 1")
		n, err := chromedp.Run(ana, chromedp.Evaluate[int](`document.querySelectorAll("article.page").length`))
		if err != nil || n != 1 {
			t.Fatalf("%d pages after the reload: %v", n, err)
		}
		// The status came back from the app, not from the form.
		waitText(t, ana, `#shift .on`, "Available")
	})

	t.Run("the console shows the lanes", func(t *testing.T) {
		f.SetLane(webtest.LaneState("1", "front", protocol.StateAssist, 4, 1234))
		f.SetLane(webtest.LaneState("2", "front", protocol.StateIdle, 0, 0))
		f.SetLane(webtest.LaneState("9", "back", protocol.StateOffline, 0, 0))
		sue := person(t, root)
		do(t, sue, chromedp.EmulateViewport(1366, 768))
		signInAs(t, sue, e.base, "/login?next=/console", "sue", "3333")
		waitText(t, sue, `.tile[data-lane="1"] .state`, "Needs assistance")
		waitText(t, sue, `.tile[data-lane="1"] .wait`, `^Waiting \d+:\d\d$`)
		waitText(t, sue, `.tile[data-lane="9"] .state`, "Offline")
		waitText(t, sue, `[data-count="all"] b`, "^3$")
		waitText(t, sue, `[data-count="offline"] b`, "^1$")
		waitText(t, sue, `#queue tr[data-alert="a5"] td.lane`, "^1$")
		waitText(t, sue, `#staff tr[data-attendant="ana"] .status`, "Available")
		// Close lane 2, confirmed.
		do(t, sue, chromedp.Click(chromedp.CSS(`.tile[data-lane="2"] button`)))
		waitText(t, sue, "#confirm-text", "Close lane 2")
		do(t, sue, chromedp.Click(chromedp.ID("confirm-yes")))
		waitText(t, sue, `.tile[data-lane="2"] .state`, "Out of service")
		if st := f.LaneState("2"); st.State != protocol.StateOutOfService {
			t.Fatalf("lane 2 is %s", st.State)
		}
		// And open it again.
		do(t, sue, chromedp.Click(chromedp.CSS(`.tile[data-lane="2"] button`)))
		waitText(t, sue, `.tile[data-lane="2"] .state`, "Idle")
		// Escalate the open alert now: Ben, on shift, is paged too.
		do(t, sue, chromedp.Click(chromedp.CSS(`#queue tr[data-alert="a5"] button`)))
		waitText(t, ben, `article[data-alert="a5"] .tier`, "tier 2")
	})
}
