package demo_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/attendant/web/webtest"
	"github.com/sco-project/sco/simulator/demo"
	"github.com/sco-project/sco/simulator/harness"
)

// TestScreenshots takes the screenshots of docs/img from the real thing,
// when SCO_SCREENSHOTS names a folder:
//
//	SCO_SCREENSHOTS=$PWD/docs/img go test ./simulator/demo -run Screenshots
//
// It runs the demo (six lanes, the virtual staff, and Zoe whom nobody
// plays), signs in with headless Chromium as Zoe on a phone and on a
// desktop and as Sue at the console, waits until the views show what a
// screenshot should (a page, a claim, lanes in assist) and captures them.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("SCO_SCREENSHOTS")
	if dir == "" {
		t.Skip("set SCO_SCREENSHOTS to a folder to take the screenshots")
	}
	zoe, err := demo.ParseAttendant("zoe:front:attendant,age_verifier")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *harness.Store, 1)
	done := make(chan error, 1)
	go func() {
		done <- demo.Run(ctx, demo.Opts{Lanes: 6, Seed: 3, Web: "127.0.0.1:0", Extra: []attendant.Attendant{zoe},
			Out: io.Discard, Ready: func(s *harness.Store) { ready <- s }})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo: %v", err)
		}
	})
	var s *harness.Store
	select {
	case s = <-ready:
	case err := <-done:
		t.Fatalf("demo: %v", err)
	}
	base := s.WebURL()
	base = base[:len(base)-1]
	pin := demo.PIN(len(harness.DefaultRoster)) // Zoe's

	root := webtest.Browser(t, 3*time.Minute)
	shot := func(ctx context.Context, file string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, file)
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s", out)
	}
	// waitFor waits (up to a minute: the demo's shoppers take their
	// time) until a JavaScript condition holds.
	waitFor := func(ctx context.Context, expr string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(time.Minute))); err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
	}

	login := webtest.Person(t, root)
	webtest.Do(t, login, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("signin")))
	shot(login, "login-phone.png")

	sue := webtest.Person(t, root)
	webtest.Do(t, sue, chromedp.EmulateViewport(1366, 768))
	webtest.SignInAs(t, sue, base, "/login?next=/console", "sue", demo.PIN(2))
	phone := webtest.Person(t, root)
	webtest.SignInAs(t, phone, base, "/", "zoe", pin)
	webtest.Do(t, phone, chromedp.Click(chromedp.CSS(`#shift [data-status="available"]`)))
	webtest.WaitText(t, phone, `#shift .on`, "Available")
	desk := webtest.Person(t, root)
	webtest.Do(t, desk, chromedp.EmulateViewport(1366, 768))
	webtest.SignInAs(t, desk, base, "/", "zoe", pin)
	webtest.Do(t, desk, chromedp.Click(chromedp.CSS(`#shift [data-status="available"]`)))
	webtest.WaitText(t, desk, `#shift .on`, "Available")

	// Zoe is paged when Ana, also in front, has more open claims.
	waitFor(phone, `document.querySelectorAll("article.page .claim").length > 0`)
	shot(phone, "handheld-phone.png")
	waitFor(desk, `document.querySelectorAll("article.page .claim").length > 0`)
	shot(desk, "handheld-desktop.png")

	waitFor(sue, `document.querySelectorAll(".tile").length == 6 && document.querySelectorAll(".tile.st-assist").length > 0 && document.querySelectorAll("#queue tbody tr").length > 1`)
	shot(sue, "console-desktop.png")
	suePhone := webtest.Person(t, root)
	webtest.SignInAs(t, suePhone, base, "/login?next=/console", "sue", demo.PIN(2))
	waitFor(suePhone, `document.querySelectorAll(".tile.st-assist").length > 0`)
	shot(suePhone, "console-phone.png")

	// Zoe claims the next page she gets (somebody else may be faster:
	// then the next) and says she is at the lane.
	for try := 0; ; try++ {
		if try == 10 {
			t.Fatal("Zoe never won a claim")
		}
		waitFor(phone, `document.querySelector("article.page .claim") !== null`)
		id, err := chromedp.Run(phone, chromedp.Evaluate[string](`document.querySelector("article.page .claim").closest("article").dataset.alert`))
		if err != nil {
			t.Fatal(err)
		}
		card := `article[data-alert="` + id + `"]`
		webtest.Do(t, phone, chromedp.Click(chromedp.CSS(card+" .claim")))
		waitFor(phone, `(function(){var c=document.querySelector(`+webtest.Quote(card)+`);return c===null||c.querySelector(".arrive")!==null})()`)
		won, err := chromedp.Run(phone, chromedp.Evaluate[bool](`document.querySelector(`+webtest.Quote(card+" .arrive")+`) !== null`))
		if err != nil {
			t.Fatal(err)
		}
		if !won {
			continue
		}
		webtest.Do(t, phone, chromedp.Click(chromedp.CSS(card+" .arrive")))
		webtest.WaitText(t, phone, card+" .claimed", "at the lane")
		shot(phone, "handheld-claimed-phone.png")
		return
	}
}
