package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sco-project/sco/attendant/web"
	"github.com/sco-project/sco/attendant/web/webtest"
)

// TestScreenshots takes the screenshots of docs/img with the chromium
// command line, when SCO_SCREENSHOTS names a folder:
//
//	SCO_SCREENSHOTS=$PWD/docs/img go test ./attendant/web -run Screenshots
//
// The views are served against the fake bridge filled by webtest.Demo;
// a small proxy adds the signed-in attendant's cookie, since the command
// line cannot sign in.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("SCO_SCREENSHOTS")
	if dir == "" {
		t.Skip("set SCO_SCREENSHOTS to a folder to take the screenshots")
	}
	bin := chromiumPath()
	if bin == "" {
		t.Skip("chromium is not installed")
	}
	f := webtest.New(webtest.Roster(), nil)
	webtest.Demo(f, time.Now())
	_, base := webtest.Start(t, f, web.Config{}, &web.Opts{Store: "s1"})
	shots := []struct {
		who, pin, path, file string
		w, h                 int
		setup                func(c *http.Client)
	}{
		{"ana", webtest.AnaPIN, "/", "handheld-phone.png", 412, 915, func(c *http.Client) { setStatus(t, c, base, "available") }},
		{"ana", webtest.AnaPIN, "/", "handheld-desktop.png", 1366, 768, nil},
		{"ben", webtest.BenPIN, "/", "handheld-claimed-phone.png", 412, 915, func(c *http.Client) { setStatus(t, c, base, "busy") }},
		{"sue", webtest.SuePIN, "/console", "console-desktop.png", 1366, 768, nil},
		{"sue", webtest.SuePIN, "/console", "console-phone.png", 412, 915, nil},
		{"", "", "/login", "login-phone.png", 412, 915, nil},
	}
	for _, s := range shots {
		var cookies []*http.Cookie
		if s.who != "" {
			c := signIn(t, base, s.who, s.pin)
			if s.setup != nil {
				s.setup(c)
			}
			u, _ := url.Parse(base)
			cookies = c.Jar.Cookies(u)
		}
		target, _ := url.Parse(base)
		proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			for _, c := range cookies {
				r.Out.AddCookie(c)
			}
		}}
		ps := httptest.NewServer(proxy)
		out := filepath.Join(dir, s.file)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
			"--user-data-dir="+t.TempDir(), "--screenshot="+out, "--window-size="+itoa(s.w)+","+itoa(s.h),
			"--timeout=4000", ps.URL+s.path)
		b, err := cmd.CombinedOutput()
		cancel()
		ps.Close()
		if err != nil {
			t.Fatalf("%s: %v\n%s", s.file, err, b)
		}
		t.Logf("%s", out)
	}
}
