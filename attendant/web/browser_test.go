package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sco-project/sco/attendant/web"
	"github.com/sco-project/sco/attendant/web/webtest"
	"github.com/sco-project/sco/protocol"
)

func TestBrowser(t *testing.T) {
	// The browser counts the wait on its own clock, set from the app's: the
	// app and the fake run on the real clock here, so the counter a
	// person sees is the real one.
	f := webtest.New(webtest.Roster(), nil)
	_, base := webtest.Start(t, f, web.Config{Session: time.Hour}, &web.Opts{Store: "s1", FailDelay: time.Millisecond})
	e := struct{ base string }{base}
	root := webtest.Browser(t, 60*time.Second)

	ana := webtest.Person(t, root)
	t.Run("wrong PIN", func(t *testing.T) {
		if code := webtest.SignInAs(t, ana, e.base, "/", "ana", "0000"); code != 401 {
			t.Fatalf("status %d", code)
		}
		webtest.WaitText(t, ana, "#login-error", "Wrong id or PIN")
	})
	t.Run("sign in and go on shift", func(t *testing.T) {
		if code := webtest.SignInAs(t, ana, e.base, "/", "ana", "1111"); code != 200 {
			t.Fatalf("status %d", code)
		}
		webtest.WaitText(t, ana, "#who", `^Ana · s1$`)
		webtest.WaitText(t, ana, "#conn", "online")
		webtest.WaitText(t, ana, "#empty", "off shift")
		webtest.Do(t, ana, chromedp.Click(chromedp.CSS(`#shift [data-status="available"]`)))
		webtest.WaitText(t, ana, `#shift .on`, "Available")
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
		webtest.WaitText(t, ana, card+" .lane", `^Lane 3$`)
		webtest.WaitText(t, ana, card+" .kind", `^Item not placed in the bagging area$`)
		webtest.WaitText(t, ana, card+" .item", `^Cola 330ml$`)
		webtest.WaitText(t, ana, card+" .tier", `^tier 1$`)
		first := webtest.WaitText(t, ana, card+" .wait", `^waiting for 0:4[2-9]$`)
		// The counter runs.
		webtest.WaitText(t, ana, card+" .wait", `^waiting for 0:(4[3-9]|5\d)$`)
		t.Logf("counter went from %q on", first)
	})

	t.Run("a button stays the same node while other alerts change", func(t *testing.T) {
		// A gloved tap spans a re-render: a card must not be swapped for its
		// copy under the finger when something else in the store changes.
		card := `article[data-alert="a1"]`
		webtest.Do(t, ana, chromedp.Evaluate[chromedp.Void](`document.querySelector(`+webtest.Quote(card+" .claim")+`).mark = 1`))
		f.Raise(protocol.Alert{ID: "ax", Lane: "7", Zone: "back", Kind: protocol.KindHelp}, time.Now(), 1, "ben")
		f.Cancel("ax")
		// Events come in order: once ay shows, ax came and went.
		f.Raise(protocol.Alert{ID: "ay", Lane: "6", Zone: "front", Kind: protocol.KindHelp}, time.Now(), 1, "ana")
		webtest.WaitText(t, ana, `article[data-alert="ay"] .lane`, "Lane 6")
		kept, err := chromedp.Run(ana, chromedp.Evaluate[bool](`document.querySelector(`+webtest.Quote(card+" .claim")+`).mark === 1`))
		if err != nil || !kept {
			t.Fatalf("a1's Claim button was re-made by events about other alerts (%v)", err)
		}
		f.Cancel("ay")
		webtest.WaitGone(t, ana, `article[data-alert="ay"]`)
	})

	t.Run("claim, arrive, resolve with confirmation", func(t *testing.T) {
		card := `article[data-alert="a1"]`
		webtest.Do(t, ana, chromedp.Click(chromedp.CSS(card+" .claim")))
		webtest.WaitText(t, ana, card+" .claimed", "You have it")
		if got := f.ClaimedBy("a1"); got != "ana" {
			t.Fatalf("claimed by %q", got)
		}
		// Only the resolutions of a bag timeout for Ana's roles.
		res, err := chromedp.Run(ana, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('article[data-alert="a1"] .res')).map(function(b){return b.textContent})`))
		if err != nil || strings.Join(res, ",") != "Approve,Void item,Close lane" {
			t.Fatalf("resolutions %v %v", res, err)
		}
		top := `document.querySelector(` + webtest.Quote(card+" .res") + `).getBoundingClientRect().top`
		before, err := chromedp.Run(ana, chromedp.Evaluate[float64](top))
		if err != nil {
			t.Fatal(err)
		}
		webtest.Do(t, ana, chromedp.Click(chromedp.CSS(card+" .arrive")))
		webtest.WaitText(t, ana, card+" .claimed", "You are at the lane")
		// The arrive button keeps its place, dimmed, so that a second tap
		// does not land on a resolution moving up under the finger.
		webtest.WaitText(t, ana, card+" .arrived:disabled", "At the lane")
		if after, err := chromedp.Run(ana, chromedp.Evaluate[float64](top)); err != nil || after != before {
			t.Fatalf("the resolutions moved from y=%v to y=%v when Ana arrived (%v)", before, after, err)
		}
		webtest.Do(t, ana, chromedp.Click(chromedp.CSS(card+" .res-void")))
		webtest.WaitText(t, ana, "#confirm-text", `^Void Cola 330ml from the basket\?$`)
		if f.Open("a1") == false {
			t.Fatal("void went out before the confirmation")
		}
		webtest.Do(t, ana, chromedp.Click(chromedp.ID("confirm-yes")))
		webtest.WaitGone(t, ana, card)
		webtest.WaitText(t, ana, "#notes", "Lane 3: (Void item — done|resolved)")
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

	ben := webtest.Person(t, root)
	t.Run("two handhelds race for the claim", func(t *testing.T) {
		webtest.SignInAs(t, ben, e.base, "/login", "ben", "2222")
		webtest.WaitText(t, ben, "#who", "^Ben")
		webtest.Do(t, ben, chromedp.Click(chromedp.CSS(`#shift [data-status="available"]`)))
		webtest.WaitText(t, ben, `#shift .on`, "Available")
		f.Raise(protocol.Alert{ID: "a2", Lane: "5", Zone: "back", Kind: protocol.KindHelp}, time.Now(), 2, "ana", "ben")
		card := `article[data-alert="a2"]`
		webtest.WaitText(t, ana, card+" .claim", "Claim")
		webtest.WaitText(t, ben, card+" .claim", "Claim")
		// Both claims reach the bridge before it decides either.
		open := f.Gate()
		defer open()
		webtest.ClickTogether(t, card+" .claim", ana, ben)
		waitFake(t, f, "both claims at the bridge", func() bool { return f.Gated() == 2 })
		open()
		waitFake(t, f, "a claim", func() bool { return f.ClaimedBy("a2") != "" })
		winner, loser := ana, ben
		if f.ClaimedBy("a2") == "ben" {
			winner, loser = ben, ana
		}
		webtest.WaitText(t, winner, card+" .claimed", "You have it")
		winnerName := map[string]string{"ana": "Ana", "ben": "Ben"}[f.ClaimedBy("a2")]
		webtest.WaitGone(t, loser, card)
		webtest.WaitText(t, loser, "#notes", "Lane 5: "+winnerName+" has it")
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
		webtest.Do(t, winner, chromedp.Click(chromedp.CSS(card+" .res-clear")))
		webtest.WaitGone(t, winner, card)
	})

	t.Run("a withdrawn page disappears with its reason", func(t *testing.T) {
		f.Raise(protocol.Alert{ID: "a3", Lane: "2", Zone: "front", Kind: protocol.KindUnexpectedItem}, time.Now(), 1, "ana")
		card := `article[data-alert="a3"]`
		webtest.WaitText(t, ana, card+" .lane", "Lane 2")
		f.Cancel("a3")
		webtest.WaitGone(t, ana, card)
		webtest.WaitText(t, ana, "#notes", "Lane 2: the shopper sorted it out")
	})

	t.Run("a reloaded view shows only open pages", func(t *testing.T) {
		f.Raise(protocol.Alert{ID: "a4", Lane: "4", Zone: "front", Kind: protocol.KindAgeCheck}, time.Now(), 1, "ana")
		webtest.WaitText(t, ana, `article[data-alert="a4"] .kind`, "Age check")
		webtest.Do(t, ana, chromedp.Navigate("about:blank"))
		f.Cancel("a4")
		f.Raise(protocol.Alert{ID: "a5", Lane: "1", Zone: "front", Kind: protocol.KindItemRemoved}, time.Now(), 1, "ana")
		webtest.Do(t, ana, chromedp.Navigate(e.base+"/"), chromedp.WaitVisible(chromedp.ID("shift")))
		webtest.WaitText(t, ana, `article[data-alert="a5"] .lane`, "Lane 1")
		n, err := chromedp.Run(ana, chromedp.Evaluate[int](`document.querySelectorAll("article.page").length`))
		if err != nil || n != 1 {
			t.Fatalf("%d pages after the reload: %v", n, err)
		}
		// The status came back from the app, not from the form.
		webtest.WaitText(t, ana, `#shift .on`, "Available")
	})

	t.Run("the console shows the lanes", func(t *testing.T) {
		f.SetLane(webtest.LaneState("1", "front", protocol.StateAssist, 4, 1234))
		f.SetLane(webtest.LaneState("2", "front", protocol.StateIdle, 0, 0))
		f.SetLane(webtest.LaneState("9", "back", protocol.StateOffline, 0, 0))
		sue := webtest.Person(t, root)
		webtest.Do(t, sue, chromedp.EmulateViewport(1366, 768))
		webtest.SignInAs(t, sue, e.base, "/login?next=/console", "sue", "3333")
		webtest.WaitText(t, sue, `.tile[data-lane="1"] .state`, "Needs assistance")
		webtest.WaitText(t, sue, `.tile[data-lane="1"] .wait`, `^Waiting \d+:\d\d$`)
		webtest.WaitText(t, sue, `.tile[data-lane="9"] .state`, "Offline")
		webtest.WaitText(t, sue, `[data-count="all"] b`, "^3$")
		webtest.WaitText(t, sue, `[data-count="offline"] b`, "^1$")
		webtest.WaitText(t, sue, `#queue tr[data-alert="a5"] td.lane`, "^1$")
		webtest.WaitText(t, sue, `#staff tr[data-attendant="ana"] .status`, "Available")
		// Close lane 2, confirmed.
		webtest.Do(t, sue, chromedp.Click(chromedp.CSS(`.tile[data-lane="2"] button`)))
		webtest.WaitText(t, sue, "#confirm-text", "Close lane 2")
		webtest.Do(t, sue, chromedp.Click(chromedp.ID("confirm-yes")))
		webtest.WaitText(t, sue, `.tile[data-lane="2"] .state`, "Out of service")
		if st := f.LaneState("2"); st.State != protocol.StateOutOfService {
			t.Fatalf("lane 2 is %s", st.State)
		}
		// And open it again.
		webtest.Do(t, sue, chromedp.Click(chromedp.CSS(`.tile[data-lane="2"] button`)))
		webtest.WaitText(t, sue, `.tile[data-lane="2"] .state`, "Idle")
		// Escalate the open alert now: Ben, on shift, is paged too.
		webtest.Do(t, sue, chromedp.Click(chromedp.CSS(`#queue tr[data-alert="a5"] button`)))
		webtest.WaitText(t, ben, `article[data-alert="a5"] .tier`, "tier 2")
	})
}
