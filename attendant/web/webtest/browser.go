package webtest

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The browser helpers drive Debian's headless Chromium (chromedp) for the
// app's tests: the app's own against the fake, and the end-to-end tests
// against the real bridge. A test that needs a browser is skipped when
// chromium is missing, unless SCO_REQUIRE_CHROMIUM=1 (scripts/test.sh sets
// it): then a missing chromium fails it.

// ChromiumPath is Debian's chromium, or "" when it is not installed.
func ChromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// NeedChromium returns chromium's path, or skips the test (fails it when
// SCO_REQUIRE_CHROMIUM=1) when it is not installed.
func NeedChromium(t testing.TB) string {
	t.Helper()
	bin := ChromiumPath()
	if bin == "" {
		if os.Getenv("SCO_REQUIRE_CHROMIUM") == "1" {
			t.Fatal("chromium is not installed and SCO_REQUIRE_CHROMIUM=1 (apt-get install chromium)")
		}
		t.Skip("chromium is not installed (apt-get install chromium); SCO_REQUIRE_CHROMIUM=1 makes this a failure")
	}
	return bin
}

// Browser starts one headless Chromium for a test, with a fresh profile;
// it is killed when the test ends, passed or failed, and at the latest
// after limit (a hung browser is killed with it).
func Browser(t testing.TB, limit time.Duration) context.Context {
	t.Helper()
	bin := NeedChromium(t)
	ctx, cancelTimeout := context.WithTimeout(context.Background(), limit)
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

// Person is one browser context (its own cookies) on a phone-sized
// screen.
func Person(t testing.TB, root context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(412, 915, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// Do runs browser steps, each set within 10s.
func Do(t testing.TB, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// ClickTogether clicks css in every ctx at once, as people tapping at
// the same moment, and returns when every click was dispatched.
func ClickTogether(t testing.TB, css string, ctxs ...context.Context) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(ctxs))
	for _, ctx := range ctxs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			errs <- chromedp.Do(cctx, chromedp.Click(chromedp.CSS(css)))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("click %s: %v", css, err)
		}
	}
}

// WaitText waits until the element's text matches re, and returns that
// text (read in the same look: the views re-render as events come).
func WaitText(t testing.TB, ctx context.Context, css string, re string) string {
	t.Helper()
	expr := `(function(){var e=document.querySelector(` + Quote(css) + `);return e && new RegExp(` + Quote(re) + `).test(e.textContent) ? e.textContent : null})()`
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
		now, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(function(){var e=document.querySelector(`+Quote(css)+`);return e?e.textContent:"(none)"})()`))
		t.Fatalf("%s never matched %q: %v; it says %q", css, re, err, now)
	}
	return got
}

// WaitGone waits until no element matches css.
func WaitGone(t testing.TB, ctx context.Context, css string) {
	t.Helper()
	expr := `document.querySelector(` + Quote(css) + `) === null`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("%s is still there: %v", css, err)
	}
}

// Quote is s as a JavaScript string literal.
func Quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// SignInAs fills the sign-in form as a person would and returns the
// status of the page it leads to.
func SignInAs(t testing.TB, ctx context.Context, base, path, id, pin string) int64 {
	t.Helper()
	Do(t, ctx,
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

// Cookies signs in to the app at base as id with pin over HTTP and
// returns the session cookie(s), for a plain HTTP client.
func Cookies(t testing.TB, base, id, pin string) []*http.Cookie {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	resp, err := c.PostForm(base+"/login", url.Values{"id": {id}, "pin": {pin}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %s", id, resp.Status)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	return jar.Cookies(u)
}
