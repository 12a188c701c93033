package daemon

import (
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/sco-project/sco/kiosk/laneconfig"
)

// The local API serves the shopper screen on the lane's own browser, and
// any web page that browser (or another on the network) opens can send it
// requests. guard keeps those out:
//
//   - Host: a request must name the lane by an address it listens on, or
//     localhost (421 otherwise). A page on evil.example whose name is
//     rebound to 127.0.0.1 (DNS rebinding) names evil.example, so it can
//     neither read the basket nor press a button.
//   - Origin: a state-changing request from another origin (a form or a
//     fetch on another site) is refused (403), by Sec-Fetch-Site or Origin
//     (net/http's CrossOriginProtection). curl sends neither and passes.
//   - Token: with ui.token (required when ui.listen is not loopback), a
//     state-changing request must carry "Authorization: Bearer <token>"
//     (401 otherwise). The shopper screen gets it embedded in the page it
//     serves to a browser on the lane itself (a loopback client); a screen
//     elsewhere is opened as http://lane:8090/#token=<token>.
//   - Size: request bodies are bounded (maxBody; the API takes none), as
//     are headers (maxHeader), and the server times out slow clients; the
//     event stream extends its own write deadline with each event, and
//     is bounded to maxStreams clients (429 beyond).
type guard struct {
	hosts []string // lower case, without port or brackets
	token string
	next  http.Handler
	cop   *http.CrossOriginProtection
}

// Bounds of the local API.
const (
	maxBody    = 4 << 10  // a request body
	maxHeader  = 16 << 10 // the request line and headers
	maxStreams = 16       // open /api/events streams
)

// Timeouts of the local API's server. The event stream is kept open
// beyond them: it extends its write deadline with each event, and has no
// read deadline once it is streaming.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 10 * time.Second
	idleTimeout       = 60 * time.Second
)

func newGuard(next http.Handler, listen string, ln net.Addr, token string) *guard {
	g := &guard{token: token, next: next, cop: http.NewCrossOriginProtection()}
	g.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusForbidden, "cross-origin request refused: use the lane's own screen")
	}))
	g.hosts = allowedHosts(listen, ln)
	return g
}

// allowedHosts are the names a request may give in Host: localhost and
// the loopback addresses, the host of ui.listen and of the address the
// listener got; and when it listens on every address, the addresses of
// this machine's interfaces and its host name.
func allowedHosts(listen string, ln net.Addr) []string {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	add := func(h string) {
		h = strings.ToLower(strings.TrimSuffix(h, "."))
		if h != "" && !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	all := false
	for _, hp := range []string{listen, ln.String()} {
		h, _, err := net.SplitHostPort(hp)
		if err != nil {
			continue
		}
		if ip := net.ParseIP(h); h == "" || ip != nil && ip.IsUnspecified() {
			all = true
			continue
		}
		add(h)
	}
	if all {
		if addrs, err := net.InterfaceAddrs(); err == nil {
			for _, a := range addrs {
				if n, ok := a.(*net.IPNet); ok {
					add(n.IP.String())
				}
			}
		}
		if name, err := os.Hostname(); err == nil {
			add(name)
		}
	}
	return hosts
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if host := hostOnly(r.Host); !slices.Contains(g.hosts, host) {
		writeError(w, http.StatusMisdirectedRequest, fmt.Sprintf("host %q is not this lane: use its address, or localhost on the lane", r.Host))
		return
	}
	if r.ContentLength > maxBody {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", maxBody))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	g.cop.Handler(http.HandlerFunc(g.authorize)).ServeHTTP(w, r)
}

// authorize asks for the token on state-changing requests.
func (g *guard) authorize(w http.ResponseWriter, r *http.Request) {
	if g.token != "" && !safeMethod(r.Method) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(g.token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="sco lane"`)
			writeError(w, http.StatusUnauthorized, "this request needs the lane's token (Authorization: Bearer)")
			return
		}
	}
	g.next.ServeHTTP(w, r)
}

// screenToken is the token to embed in the shopper screen for r: only a
// browser on the lane itself gets it.
func (g *guard) screenToken(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return g.token
	}
	return ""
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// hostOnly is the host of a Host header, lower case, without port,
// brackets or a final dot.
func hostOnly(hostport string) string {
	h := hostport
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		h = host
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	return strings.ToLower(strings.TrimSuffix(h, "."))
}

// newServer is the local API's HTTP server: guarded, bounded, with
// timeouts.
func (d *Daemon) newServer(cfg laneconfig.UIConfig) (*http.Server, error) {
	token, err := cfg.BearerToken()
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	d.guard = newGuard(d.routes(), cfg.Listen, d.ln.Addr(), token)
	return &http.Server{
		Handler:           d.guard,
		ReadHeaderTimeout: d.opts.httpTimeout(readHeaderTimeout),
		ReadTimeout:       d.opts.httpTimeout(readTimeout),
		WriteTimeout:      d.opts.httpTimeout(writeTimeout),
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeader,
	}, nil
}
