package web

import (
	"context"
	"crypto/tls"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Attendant is one roster entry as the app needs it.
type Attendant struct {
	ID    string
	Name  string
	Zone  string
	Roles []string
	// PinHash is the bcrypt hash of the attendant's PIN (HashPIN); an
	// attendant without one cannot sign in to the app.
	PinHash string
}

// HasRole reports whether the attendant holds role r.
func (a Attendant) HasRole(r string) bool { return slices.Contains(a.Roles, r) }

// Roster looks an attendant up in the current roster. The app calls it on
// every request, so a change of roles (or a removal) counts at once.
type Roster func(id string) (Attendant, bool)

// Opts configures a Server. The zero value (or nil) logs nothing, uses
// the system clock, answers a wrong PIN after 1s, allows
// DefaultMaxStreams event streams (DefaultMaxStreamsPerSession per
// sign-in), pings every stream every 10s, looks for unreachable handhelds
// every second (one is offline 30 to 31s after it was last seen) and
// waits up to 10s for the bridge's answer to an action.
type Opts struct {
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Store is the store id the views show.
	Store string
	// FailDelay is how long a wrong PIN waits for its answer.
	FailDelay time.Duration
	// MaxStreams and MaxStreamsPerSession bound the open event streams.
	MaxStreams           int
	MaxStreamsPerSession int
	// PingEvery is how often a stream is pinged; a handheld answers each
	// ping, which is how the app knows it is reachable. It must be well
	// under OfflineAfter.
	PingEvery time.Duration
	// SweepEvery is how often the app looks for handhelds unseen for
	// OfflineAfter.
	SweepEvery time.Duration
	// CommandTimeout bounds the wait for the bridge's answer to an
	// action; a resolve the lane has not answered by then is answered 202
	// and its result follows on the event stream.
	CommandTimeout time.Duration
	// Metrics, when set, writes the bridge's own metrics (Prometheus text
	// format) after the app's on /metrics.
	Metrics func(io.Writer)
}

// Server is the attendant app: the handheld view, the store console, the
// sign-in and their API, over HTTP or HTTPS.
type Server struct {
	cfg     Config
	backend Backend
	roster  Roster
	log     *slog.Logger
	now     func() time.Time
	store   string
	tls     *tls.Config

	failDelay  time.Duration
	pingEvery  time.Duration
	sweepEvery time.Duration
	cmdTimeout time.Duration
	extra      func(io.Writer)

	sessions  *sessions
	idFails   *limiter
	addrFails *limiter
	bcrypt    chan struct{}
	devices   *devices
	hub       *hub
	metrics   metrics
	handler   http.Handler

	stopping chan struct{}
	stopOnce sync.Once
}

//go:embed static tmpl
var assets embed.FS

var loginTmpl = template.Must(template.ParseFS(assets, "tmpl/login.html"))

// New checks the config, loads the TLS certificate and returns the app.
// It serves nothing until Run or Serve.
func New(cfg Config, b Backend, roster Roster, o *Opts) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if b == nil || roster == nil {
		return nil, errors.New("web: a backend and a roster are required")
	}
	if o == nil {
		o = &Opts{}
	}
	s := &Server{
		cfg:        cfg,
		backend:    b,
		roster:     roster,
		log:        o.Logger,
		now:        o.Now,
		store:      o.Store,
		failDelay:  o.FailDelay,
		pingEvery:  o.PingEvery,
		sweepEvery: o.SweepEvery,
		cmdTimeout: o.CommandTimeout,
		extra:      o.Metrics,
		sessions:   &sessions{m: map[string]*session{}},
		idFails:    newLimiter(FailsPerID, FailWindow),
		addrFails:  newLimiter(FailsPerAddr, FailWindow),
		bcrypt:     make(chan struct{}, bcryptSlots),
		stopping:   make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.failDelay <= 0 {
		s.failDelay = time.Second
	}
	if s.pingEvery <= 0 {
		s.pingEvery = 10 * time.Second
	}
	if s.pingEvery >= OfflineAfter/2 {
		return nil, fmt.Errorf("web: PingEvery %v must be under half of %v", s.pingEvery, OfflineAfter)
	}
	if s.sweepEvery <= 0 {
		s.sweepEvery = time.Second
	}
	if s.cmdTimeout <= 0 {
		s.cmdTimeout = 10 * time.Second
	}
	maxStreams, perSession := o.MaxStreams, o.MaxStreamsPerSession
	if maxStreams <= 0 {
		maxStreams = DefaultMaxStreams
	}
	if perSession <= 0 {
		perSession = DefaultMaxStreamsPerSession
	}
	s.hub = newHub(maxStreams, perSession)
	s.devices = newDevices(b, s.log, s.now)
	if cfg.TLS() {
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("web: web.cert_file %s, web.key_file %s: %w", cfg.CertFile, cfg.KeyFile, err)
		}
		s.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	s.handler = s.routes()
	return s, nil
}

// Handler is the app's HTTP handler. Run and Serve use it; a test may
// too, but events only flow while Run or Serve is running.
func (s *Server) Handler() http.Handler { return s.handler }

// Run listens on web.listen and serves until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("web: web.listen: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln (with TLS when the config has a certificate) until
// ctx ends, then ends every event stream, waits up to 5s for requests
// under way and returns nil. It may be called once.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	scheme := "http"
	if s.tls != nil {
		scheme = "https"
	}
	s.log.Info("attendant app listening", "url", scheme+"://"+ln.Addr().String()+"/")
	if s.tls == nil && !loopback(s.cfg.Listen) {
		s.log.Warn("the attendant app speaks plain HTTP on a non-loopback address: PINs and sessions cross the network in clear text; set web.cert_file and web.key_file", "listen", s.cfg.Listen)
	}
	cancelSub := s.backend.Subscribe(s.hub.publish)
	defer cancelSub()

	srv := &http.Server{
		Handler:           s.handler,
		TLSConfig:         s.tls,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      s.cmdTimeout + 10*time.Second, // event streams extend it per write
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(s.sweepEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				s.devices.sweep(s.now())
			}
		}
	}()
	errc := make(chan error, 1)
	go func() {
		if s.tls != nil {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		s.stopOnce.Do(func() { close(s.stopping) })
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
		if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	}
	close(done)
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("web: %w", err)
	}
	return nil
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	mux.HandleFunc("GET /static/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") { // no listings
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /manifest.webmanifest", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/manifest+json")
		http.ServeFileFS(w, r, static, "manifest.webmanifest")
	})
	mux.HandleFunc("GET /{$}", s.page("handheld.html", ""))
	mux.HandleFunc("GET /console", s.page("console.html", "supervisor"))
	mux.HandleFunc("GET /login", s.serveLoginForm)
	mux.HandleFunc("POST /login", s.serveLogin)
	mux.HandleFunc("POST /logout", s.serveLogout)
	mux.HandleFunc("GET /metrics", s.serveMetrics)
	mux.HandleFunc("GET /api/me", s.withAuth(s.apiMe))
	mux.HandleFunc("GET /api/events", s.serveEvents)
	mux.HandleFunc("POST /api/presence", s.withAuth(s.apiPresence))
	mux.HandleFunc("POST /api/heartbeat", s.withAuth(s.apiHeartbeat))
	mux.HandleFunc("POST /api/cmd", s.withAuth(s.apiCmd))
	mux.HandleFunc("POST /api/lane", s.withAuth(s.apiLane))
	mux.HandleFunc("POST /api/escalate", s.withAuth(s.apiEscalate))
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such endpoint: %s %s", r.Method, r.URL.Path))
	})

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path, "origin", r.Header.Get("Origin"), "addr", clientAddr(r))
		writeError(w, http.StatusForbidden, "cross-origin request refused")
	}))
	return securityHeaders(cop.Handler(mux))
}

// securityHeaders keeps the app to its own origin: no inline script, no
// framing, no sniffing, no referrer.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		if r.TLS != nil {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.ServeHTTP(w, r)
	})
}

// page serves one of the views to a signed-in attendant holding role
// (any attendant when role is ""); others are sent to the sign-in form,
// or answered 403.
func (s *Server) page(file, role string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, a, err := s.auth(r)
		if err != nil {
			u := "/login?next=" + r.URL.Path
			if errors.Is(err, errExpired) {
				u += "&expired=1"
			}
			http.Redirect(w, r, u, http.StatusSeeOther)
			return
		}
		if role != "" && !a.HasRole(role) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, "The store console is for supervisors; %s is not one.\nThe handheld view is at /.\n", a.Name)
			return
		}
		b, err := assets.ReadFile("static/" + file)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(b)
	}
}
