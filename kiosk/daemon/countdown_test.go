package daemon

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sco-project/sco/attendant/web/webtest"
	"github.com/sco-project/sco/protocol"
)

// The shopper screen counts the engine's "about 40 s" down from the
// assist's ts and eta_s, and drops it once the time is up. A real
// browser runs the page's script (skipped without Chromium).
func TestScreenCountsTheEtaDown(t *testing.T) {
	d := &Daemon{log: slog.New(slog.NewTextHandler(io.Discard, nil)), hub: newHub(maxStreams)}
	t.Cleanup(d.hub.close)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", d.serveScreen)
	mux.HandleFunc("GET /api/events", d.serveEvents)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	browser := webtest.Person(t, webtest.Browser(t, time.Minute))

	show := func(since time.Duration) {
		eta, ts := 40, protocol.At(time.Now().Add(-since))
		d.state.Store(&protocol.LaneState{Lane: "3", State: protocol.StateAssist, Prompt: "You asked for help. Ana is on the way, about 40 s.",
			Alerts: []string{"a1"}, Assist: &protocol.AssistInfo{Alert: "a1", Attendant: "ana", Name: "Ana", Status: protocol.AlertClaimed, EtaS: &eta, TS: &ts}})
		webtest.Do(t, browser, chromedp.Navigate(srv.URL+"/"))
	}
	show(15 * time.Second)
	webtest.WaitText(t, browser, "#prompt", `^You asked for help\. Ana is on the way, about 2[45] s\.$`)
	show(39 * time.Second)
	webtest.WaitText(t, browser, "#prompt", `^You asked for help\. Ana is on the way\.$`)
}
