package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/sco-project/sco/protocol"
)

// Sign-in limits. A wrong PIN is answered after Opts.FailDelay; an id with
// FailsPerID failures within FailWindow, or an address with FailsPerAddr,
// is refused (429) without a PIN check until the oldest failure leaves the
// window. A good PIN clears the id's count, not the address's.
const (
	FailWindow   = 5 * time.Minute
	FailsPerID   = 5
	FailsPerAddr = 20
	// maxLimiterKeys bounds the memory the limiter may hold.
	maxLimiterKeys = 10000
	// maxSessionsPerAttendant: signing in once more signs out the
	// attendant's oldest session.
	maxSessionsPerAttendant = 8
	// bcryptSlots is how many PIN checks run at once; the others wait.
	bcryptSlots = 2
)

// PIN length, in bytes (bcrypt reads at most 72).
const (
	MinPIN = 4
	MaxPIN = 32
)

// Cookie names.
const (
	sessionCookie = "sco_session"
	deviceCookie  = "sco_device"
)

// HashPIN returns the bcrypt hash of a PIN, for the roster's pin_hash
// (what `attendant-bridge hash-pin` prints). A PIN is MinPIN to MaxPIN
// characters.
func HashPIN(pin string) (string, error) {
	if err := checkPIN(pin); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pin), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("web: hash pin: %w", err)
	}
	return string(h), nil
}

func checkPIN(pin string) error {
	if len(pin) < MinPIN || len(pin) > MaxPIN || !utf8.ValidString(pin) {
		return fmt.Errorf("web: a PIN is %d to %d characters", MinPIN, MaxPIN)
	}
	return nil
}

// ValidPINHash reports whether h is a bcrypt hash pin_hash may hold.
func ValidPINHash(h string) bool {
	_, err := bcrypt.Cost([]byte(h))
	return err == nil
}

// dummyHashes are checked against when the id is unknown (or has no
// pin_hash), so that a wrong id costs as long as a wrong PIN: one hash per
// cost, made at the cost of the last real hash checked.
var (
	dummyMu     sync.Mutex
	dummyCost   = bcrypt.DefaultCost
	dummyHashes = map[int][]byte{}
)

func dummyHash() []byte {
	dummyMu.Lock()
	defer dummyMu.Unlock()
	h, ok := dummyHashes[dummyCost]
	if !ok {
		h, _ = bcrypt.GenerateFromPassword([]byte("not a pin"), dummyCost)
		dummyHashes[dummyCost] = h
	}
	return h
}

func sawCost(h []byte) {
	if c, err := bcrypt.Cost(h); err == nil {
		dummyMu.Lock()
		dummyCost = c
		dummyMu.Unlock()
	}
}

// session is one sign-in.
type session struct {
	key       string // sha256 of the cookie's token
	attendant string
	device    string
	created   time.Time
	expires   time.Time
}

// sessions is the table of sign-ins, in memory: a restart of the bridge
// signs everybody out.
type sessions struct {
	mu sync.Mutex
	m  map[string]*session
}

func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}

func tokenKey(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// create signs an attendant in on a device and returns the cookie token.
// The attendant's oldest sessions beyond maxSessionsPerAttendant end.
func (ss *sessions) create(attendant, device string, now time.Time, life time.Duration) string {
	tok := newToken()
	s := &session{key: tokenKey(tok), attendant: attendant, device: device, created: now, expires: now.Add(life)}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	var mine []*session
	for k, x := range ss.m {
		if !now.Before(x.expires) {
			delete(ss.m, k)
			continue
		}
		if x.attendant == attendant {
			mine = append(mine, x)
		}
	}
	for len(mine) >= maxSessionsPerAttendant {
		oldest := 0
		for i, x := range mine {
			if x.created.Before(mine[oldest].created) {
				oldest = i
			}
		}
		delete(ss.m, mine[oldest].key)
		mine = append(mine[:oldest], mine[oldest+1:]...)
	}
	ss.m[s.key] = s
	return tok
}

var (
	errNoSession = errors.New("not signed in")
	errExpired   = errors.New("session expired")
)

// get returns the live session of a cookie token.
func (ss *sessions) get(tok string, now time.Time) (*session, error) {
	if tok == "" {
		return nil, errNoSession
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[tokenKey(tok)]
	if !ok {
		return nil, errNoSession
	}
	if !now.Before(s.expires) {
		delete(ss.m, s.key)
		return nil, errExpired
	}
	return s, nil
}

// end signs a session out; it reports whether another live session of the
// same attendant remains on the same device.
func (ss *sessions) end(s *session, now time.Time) (deviceInUse bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, s.key)
	for _, x := range ss.m {
		if x.attendant == s.attendant && x.device == s.device && now.Before(x.expires) {
			return true
		}
	}
	return false
}

// live reports whether the session is still signed in.
func (ss *sessions) live(s *session, now time.Time) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	_, ok := ss.m[s.key]
	return ok && now.Before(s.expires)
}

func (ss *sessions) count(now time.Time) int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	n := 0
	for _, x := range ss.m {
		if now.Before(x.expires) {
			n++
		}
	}
	return n
}

// limiter counts failures per key within a sliding window.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	fails  map[string][]time.Time
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, fails: map[string][]time.Time{}}
}

// blocked reports whether key has used up its failures, and when it may
// try again.
func (l *limiter) blocked(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.live(key, now)
	if len(f) < l.max {
		return false, 0
	}
	return true, f[0].Add(l.window).Sub(now)
}

func (l *limiter) live(key string, now time.Time) []time.Time {
	f := l.fails[key]
	i := 0
	for i < len(f) && now.Sub(f[i]) >= l.window {
		i++
	}
	f = f[i:]
	if len(f) == 0 {
		delete(l.fails, key)
	} else {
		l.fails[key] = f
	}
	return f
}

func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) >= maxLimiterKeys {
		for k := range l.fails {
			l.live(k, now)
		}
		for k := range l.fails { // still full: forget some
			if len(l.fails) < maxLimiterKeys {
				break
			}
			delete(l.fails, k)
		}
	}
	f := append(l.live(key, now), now)
	if len(f) > l.max {
		f = f[len(f)-l.max:]
	}
	l.fails[key] = f
}

func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}

// clientAddr is the address sign-in failures are counted against.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// deviceID reads the handheld's id cookie, or makes a new one.
func deviceID(r *http.Request) string {
	if c, err := r.Cookie(deviceCookie); err == nil && validDevice(c.Value) {
		return c.Value
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails
	return "web-" + hex.EncodeToString(b)
}

func validDevice(s string) bool {
	if !strings.HasPrefix(s, "web-") || len(s) != 36 {
		return false
	}
	_, err := hex.DecodeString(s[4:])
	return err == nil
}

// validWireID reports whether s may be a message id, alert id or lane
// command id on the wire: at most 128 bytes of [A-Za-z0-9._:-].
func validWireID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// newCmdID is a fresh command id.
func newCmdID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "web-" + hex.EncodeToString(b)
}

// validNext is where a sign-in may send the browser afterwards.
func validNext(s string) string {
	if s == "/console" {
		return s
	}
	return "/"
}

// checkPIN checks an id and PIN. It runs at most bcryptSlots checks at
// once and gives up when the request ends. An unknown id and a PIN over
// MaxPIN cost a bcrypt check like any other.
func (s *Server) checkPIN(r *http.Request, id, pin string) (Attendant, bool, error) {
	select {
	case s.bcrypt <- struct{}{}:
	case <-r.Context().Done():
		return Attendant{}, false, r.Context().Err()
	}
	defer func() { <-s.bcrypt }()
	a, ok := s.roster(id)
	var hash []byte
	if ok && ValidPINHash(a.PinHash) {
		hash = []byte(a.PinHash)
		sawCost(hash)
	} else {
		hash, ok = dummyHash(), false
	}
	good := bcrypt.CompareHashAndPassword(hash, []byte(pin[:min(len(pin), MaxPIN)])) == nil
	return a, ok && good && len(pin) <= MaxPIN, nil
}

// loginView is what the sign-in form shows.
type loginView struct {
	Store string
	ID    string
	Next  string
	Error string
}

func (s *Server) serveLoginForm(w http.ResponseWriter, r *http.Request) {
	if _, _, err := s.auth(r); err == nil {
		http.Redirect(w, r, validNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	v := loginView{Store: s.store, Next: validNext(r.URL.Query().Get("next"))}
	if r.URL.Query().Get("expired") != "" {
		v.Error = "Your session has ended. Please sign in again."
	}
	s.renderLogin(w, http.StatusOK, v)
}

func (s *Server) renderLogin(w http.ResponseWriter, code int, v loginView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	if err := loginTmpl.Execute(w, v); err != nil {
		s.log.Warn("sign-in form", "err", err)
	}
}

// serveLogin checks the form and answers with the session cookie and a
// redirect, or 401 (429 when limited) with the form again.
func (s *Server) serveLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "sign-in form too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "malformed sign-in form", http.StatusBadRequest)
		return
	}
	id := strings.ToLower(strings.TrimSpace(r.PostForm.Get("id")))
	pin := r.PostForm.Get("pin")
	v := loginView{Store: s.store, ID: id, Next: validNext(r.PostForm.Get("next"))}
	if !protocol.ValidID(id) || len(id) > 64 {
		v.ID = ""
		id = ""
	}
	now := s.now()
	addr := "addr:" + clientAddr(r)
	idKey := "id:" + id
	for _, l := range []struct {
		fails *limiter
		key   string
	}{{s.idFails, idKey}, {s.addrFails, addr}} {
		k := l.key
		if k == "id:" {
			continue
		}
		if blocked, wait := l.fails.blocked(k, now); blocked {
			s.metrics.signinLimited.Add(1)
			s.log.Warn("sign-in refused: too many failures", "key", k, "retry_in", wait.Round(time.Second))
			w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
			v.Error = fmt.Sprintf("Too many wrong PINs. Try again in %s.", humanWait(wait))
			s.renderLogin(w, http.StatusTooManyRequests, v)
			return
		}
	}
	a, ok, err := s.checkPIN(r, id, pin)
	if err != nil {
		return // the client went away
	}
	if !ok {
		s.metrics.signinFailed.Add(1)
		if id != "" {
			s.idFails.fail(idKey, now)
		}
		s.addrFails.fail(addr, now)
		s.log.Info("sign-in failed", "id", id, "addr", clientAddr(r))
		t := time.NewTimer(s.failDelay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
		v.Error = "Wrong id or PIN."
		s.renderLogin(w, http.StatusUnauthorized, v)
		return
	}
	s.idFails.reset(idKey)
	dev := deviceID(r)
	tok := s.sessions.create(a.ID, dev, now, s.cfg.Session)
	secure := r.TLS != nil
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode, MaxAge: int(s.cfg.Session.Seconds())})
	http.SetCookie(w, &http.Cookie{Name: deviceCookie, Value: dev, Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode, MaxAge: 400 * 24 * 3600})
	s.log.Info("signed in", "attendant", a.ID, "device", dev, "addr", clientAddr(r))
	http.Redirect(w, r, v.Next, http.StatusSeeOther)
}

func humanWait(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d seconds", int(d.Seconds())+1)
	}
	m := int((d + time.Minute - 1) / time.Minute)
	if m == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}

// serveLogout signs the session out; the device goes offline unless the
// attendant is signed in on it in another session.
func (s *Server) serveLogout(w http.ResponseWriter, r *http.Request) {
	if sess, _, err := s.auth(r); err == nil {
		now := s.now()
		if !s.sessions.end(sess, now) {
			s.devices.signOut(sess.attendant, sess.device)
		}
		s.log.Info("signed out", "attendant", sess.attendant, "device", sess.device)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// auth returns the request's live session and the attendant's current
// roster entry (roles always come from the roster).
func (s *Server) auth(r *http.Request) (*session, Attendant, error) {
	var tok string
	if c, err := r.Cookie(sessionCookie); err == nil {
		tok = c.Value
	}
	sess, err := s.sessions.get(tok, s.now())
	if err != nil {
		return nil, Attendant{}, err
	}
	a, ok := s.roster(sess.attendant)
	if !ok {
		return nil, Attendant{}, errors.New("not on the roster any more")
	}
	return sess, a, nil
}
