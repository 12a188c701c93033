package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/sco-project/sco/protocol"
)

// routes is the local API and the shopper screen.
func (d *Daemon) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", d.serveScreen)
	mux.HandleFunc("GET /api/state", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, d.apiState())
	})
	mux.HandleFunc("GET /api/events", d.serveEvents)
	mux.HandleFunc("/api/help", d.action(reqHelp))
	mux.HandleFunc("/api/help/cancel", d.action(reqHelpCancel))
	mux.HandleFunc("/api/finish", d.action(reqFinish))
	mux.HandleFunc("/api/own-bag", d.action(reqOwnBag))
	mux.HandleFunc("/api/skip-bag", d.action(reqSkipBag))
	mux.Handle("GET /metrics", d.metrics.handler())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	return mux
}

func (d *Daemon) action(k reqKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, http.StatusMethodNotAllowed, r.URL.Path+" takes POST")
			return
		}
		// A request the lane refuses (the engine's reason, or the journal
		// that cannot be written) is 409; only a lane shutting down is
		// 503.
		st, err := d.do(request{kind: k})
		switch {
		case errors.Is(err, errStopped):
			writeError(w, http.StatusServiceUnavailable, err.Error())
		case err != nil:
			writeError(w, http.StatusConflict, err.Error())
		default:
			writeJSON(w, http.StatusOK, st)
		}
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// serveEvents streams the lane state as Server-Sent Events: the current
// state at once, then one `state` event per change. A slow client only
// ever gets the latest state; it never holds up the lane. At most
// maxStreams streams are open at once (429 beyond). The server's
// timeouts would end a stream: it has no read deadline once streaming,
// and each write extends its own write deadline.
func (d *Daemon) serveEvents(w http.ResponseWriter, r *http.Request) {
	sub, ok := d.hub.subscribe()
	if !ok {
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("too many event streams open (%d): close one", maxStreams))
		return
	}
	defer d.hub.unsubscribe(sub)
	rc := http.NewResponseController(w)
	wt := d.opts.httpTimeout(writeTimeout)
	if err := rc.SetReadDeadline(time.Time{}); err != nil {
		writeError(w, http.StatusInternalServerError, "streaming not supported")
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	write := func(s string) bool {
		if rc.SetWriteDeadline(time.Now().Add(wt)) != nil {
			return false
		}
		if _, err := io.WriteString(w, s); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	send := func(st protocol.LaneState) bool {
		b, _ := json.Marshal(st)
		return write("event: state\ndata: " + string(b) + "\n\n")
	}
	if !send(d.apiState()) {
		return
	}
	every := d.opts.keepalive
	if every <= 0 {
		every = 15 * time.Second
	}
	keepalive := time.NewTicker(every)
	defer keepalive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case st, ok := <-sub:
			if !ok || !send(st) {
				return
			}
		case <-keepalive.C:
			if !write(": keepalive\n\n") {
				return
			}
		}
	}
}

// hub fans the lane state out to SSE clients, at most max of them. Each
// client has a one-slot mailbox that always holds the newest state.
type hub struct {
	mu     sync.Mutex
	max    int
	subs   map[chan protocol.LaneState]struct{}
	closed bool
}

func newHub(max int) *hub { return &hub{max: max, subs: map[chan protocol.LaneState]struct{}{}} }

// subscribe adds a client; false when max clients are subscribed. A
// closed hub hands out closed channels.
func (h *hub) subscribe() (chan protocol.LaneState, bool) {
	c := make(chan protocol.LaneState, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(c)
		return c, true
	}
	if len(h.subs) >= h.max {
		return nil, false
	}
	h.subs[c] = struct{}{}
	return c, true
}

func (h *hub) unsubscribe(c chan protocol.LaneState) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[c]; ok {
		delete(h.subs, c)
		close(c)
	}
}

// publish replaces whatever a client has not read yet with st.
func (h *hub) publish(st protocol.LaneState) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.subs {
		select {
		case <-c:
		default:
		}
		c <- st
	}
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for c := range h.subs {
		delete(h.subs, c)
		close(c)
	}
}

// screenView is what the shopper screen template renders. What the
// shopper reads is the engine's prompt, who is coming included ("Ana is
// on the way."): the screen has no words of its own for it.
type screenView struct {
	protocol.LaneState
	Total string
	Lines []screenLine
	// Token is the local API's token, for a browser on the lane itself
	// (guard.screenToken); "" for any other.
	Token string
}

type screenLine struct{ Name, Price string }

func money(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}

func (d *Daemon) serveScreen(w http.ResponseWriter, r *http.Request) {
	st := d.apiState()
	v := screenView{LaneState: st, Total: money(st.TotalCents)}
	if d.guard != nil {
		v.Token = d.guard.screenToken(r)
	}
	for _, b := range st.Basket {
		v.Lines = append(v.Lines, screenLine{b.Name, money(b.PriceCents)})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := screenTmpl.Execute(w, v); err != nil {
		d.log.Warn("shopper screen", "err", err)
	}
}

// The shopper screen: server-rendered so it shows the state without
// JavaScript, then kept live by a few lines of EventSource. No external
// asset. While an attendant is on the way with an eta, the script counts
// the prompt's "about 40 s" down from the assist's ts and eta_s (never
// above eta_s, so a screen clock behind the bridge's does not count up),
// and drops it at 0: the words stay the engine's.
var screenTmpl = template.Must(template.New("screen").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="sco-token" content="{{.Token}}">
<title>Lane {{.Lane}}</title>
<style>
body{font-family:sans-serif;margin:0;background:#f4f4f4;color:#222}
header{display:flex;justify-content:space-between;align-items:center;padding:1em 1.5em;background:#fff;border-bottom:1px solid #ddd}
#light{width:1.6em;height:1.6em;border-radius:50%;border:1px solid #999;display:inline-block;vertical-align:middle}
.green{background:#2a2}.yellow,.yellow_flash{background:#eb0}.red,.red_flash{background:#d22}.off{background:#ccc}
.yellow_flash,.red_flash{animation:blink 1s steps(2) infinite}@keyframes blink{50%{opacity:.2}}
main{padding:1.5em}#prompt{font-size:2em;margin:0 0 .5em}
table{width:100%;max-width:40em;border-collapse:collapse;background:#fff}td{padding:.4em .8em;border-bottom:1px solid #eee}
td.p{text-align:right}tfoot td{font-weight:bold;border-top:2px solid #333}
p.actions{display:flex;flex-wrap:wrap;gap:.6em;max-width:40em}
button{font:inherit;font-size:1.25em;min-height:3em;padding:.4em 1.2em;border:2px solid #888;border-radius:.5em;background:#fff;color:#222;touch-action:manipulation}
button:active{background:#ddd}
</style></head>
<body>
<header><span>Lane {{.Lane}} &middot; <span id="state">{{.State}}</span></span><span id="light" class="{{.Light}}" title="{{.Light}}"></span></header>
<main>
<p id="prompt">{{.Prompt}}</p>
<table><tbody id="basket">{{range .Lines}}<tr><td>{{.Name}}</td><td class="p">{{.Price}}</td></tr>{{end}}</tbody>
<tfoot><tr><td>Total (<span id="items">{{.Items}}</span> items)</td><td class="p" id="total">{{.Total}}</td></tr></tfoot></table>
<p class="actions"><button onclick="post('/api/help')">Help</button> <button onclick="post('/api/help/cancel')">Cancel help</button> <button onclick="post('/api/finish')">Finish and pay</button></p>
<p class="actions"><button onclick="post('/api/own-bag')">I'm using my own bag</button> <button onclick="post('/api/skip-bag')">Skip bagging this item</button></p>
<p id="error"></p>
</main>
<script>
function money(c){var s=c<0?"-":"";c=Math.abs(c);return s+Math.floor(c/100)+"."+String(c%100).padStart(2,"0")}
function text(id,v){document.getElementById(id).textContent=v}
var tick=0;
function prompt(s){var p=s.prompt,a=s.assist;clearInterval(tick);text("prompt",p);
if(!a||a.status!=="claimed"||!(a.eta_s>0)||!a.ts)return;
var due=Date.parse(a.ts)+a.eta_s*1000;
function count(){var left=Math.min(a.eta_s,Math.ceil((due-Date.now())/1000));
text("prompt",left>0?p.replace(/about \d+ s\./,"about "+left+" s."):p.replace(/, about \d+ s\./,"."));if(left<=0)clearInterval(tick)}
count();tick=setInterval(count,1000)}
function render(s){text("state",s.state);prompt(s);text("items",s.items);text("total",money(s.total_cents));
var l=document.getElementById("light");l.className=s.light;l.title=s.light;
var b=document.getElementById("basket");b.replaceChildren();(s.basket||[]).forEach(function(i){var r=b.insertRow(),n=r.insertCell(),p=r.insertCell();n.textContent=i.name;p.textContent=money(i.price_cents);p.className="p"})}
function token(){var m=location.hash.match(/token=([^&]+)/);if(m){sessionStorage.setItem("sco-token",m[1]);history.replaceState(null,"",location.pathname)}return document.querySelector('meta[name="sco-token"]').content||sessionStorage.getItem("sco-token")||""}
function post(u){var t=token(),h=t?{Authorization:"Bearer "+t}:{};fetch(u,{method:"POST",headers:h}).then(function(r){return r.json()}).then(function(j){text("error",j.error||"")})}
token();
new EventSource("/api/events").addEventListener("state",function(e){render(JSON.parse(e.data))});
</script>
</body></html>
`))
