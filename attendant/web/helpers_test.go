package web_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sco-project/sco/attendant/web"
	"github.com/sco-project/sco/attendant/web/webtest"
	"github.com/sco-project/sco/internal/testsupport"
)

// env is one app served against a fake bridge with a hand-moved clock.
type env struct {
	t     *testing.T
	fake  *webtest.Fake
	clock *testsupport.Clock
	srv   *web.Server
	base  string
}

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func newEnv(t *testing.T, o *web.Opts) *env {
	t.Helper()
	clock := testsupport.NewClock(t0)
	f := webtest.New(webtest.Roster(), clock.Now)
	if o == nil {
		o = &web.Opts{}
	}
	o.Now = clock.Now
	if o.FailDelay == 0 {
		o.FailDelay = time.Millisecond
	}
	if o.SweepEvery == 0 {
		o.SweepEvery = 5 * time.Millisecond
	}
	o.Store = "s1"
	srv, base := webtest.Start(t, f, web.Config{Session: time.Hour}, o)
	return &env{t: t, fake: f, clock: clock, srv: srv, base: base}
}

// client is a browser-like client that does not follow redirects.
func client(t testing.TB) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

func postForm(t testing.TB, c *http.Client, u string, v url.Values) *http.Response {
	t.Helper()
	resp, err := c.PostForm(u, v)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// signIn returns a client signed in as id.
func signIn(t testing.TB, base, id, pin string) *http.Client {
	t.Helper()
	c := client(t)
	resp := postForm(t, c, base+"/login", url.Values{"id": {id}, "pin": {pin}})
	body(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %s", id, resp.Status)
	}
	return c
}

func body(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// post sends a JSON action and decodes the JSON answer.
func post(t testing.TB, c *http.Client, u string, v any) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	switch x := v.(type) {
	case string:
		r = strings.NewReader(x)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		r = strings.NewReader(string(b))
	}
	resp, err := c.Post(u, "application/json", r)
	if err != nil {
		t.Fatal(err)
	}
	s := body(t, resp)
	var m map[string]any
	if s != "" {
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("%s: %s: not JSON: %q", u, resp.Status, s)
		}
	}
	return resp.StatusCode, m
}

func setStatus(t testing.TB, c *http.Client, base, status string) {
	t.Helper()
	if code, m := post(t, c, base+"/api/presence", map[string]string{"status": status}); code != http.StatusOK {
		t.Fatalf("presence %s: %d %v", status, code, m)
	}
}

// sse is an open event stream.
type sse struct {
	resp   *http.Response
	events chan event
}

type event struct {
	name string
	data string
}

// openSSE opens /api/events; it fails the test unless the answer is 200.
func openSSE(t testing.TB, c *http.Client, u string) *sse {
	t.Helper()
	s, code, msg := trySSE(t, c, u)
	if s == nil {
		t.Fatalf("event stream %s: %d %s", u, code, msg)
	}
	return s
}

// trySSE opens an event stream; on a refusal it returns nil, the status and
// the body.
func trySSE(t testing.TB, c *http.Client, u string) (*sse, int, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	nc := *c
	nc.Timeout = 0
	resp, err := nc.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b := body(t, resp)
		cancel()
		return nil, resp.StatusCode, b
	}
	s := &sse{resp: resp, events: make(chan event, 1000)}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	go func() {
		defer close(s.events)
		r := bufio.NewReader(resp.Body)
		var ev event
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "":
				if ev.name != "" {
					s.events <- ev
				}
				ev = event{}
			case strings.HasPrefix(line, "event: "):
				ev.name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[len("data: "):]
			}
		}
	}()
	return s, resp.StatusCode, ""
}

// next waits for the next event named one of names (others are skipped).
func (s *sse) next(t testing.TB, names ...string) event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				t.Fatalf("event stream ended while waiting for %v", names)
			}
			for _, n := range names {
				if ev.name == n {
					return ev
				}
			}
		case <-deadline:
			t.Fatalf("no %v event within 10s", names)
		}
	}
}

// ended waits for the stream to end.
func (s *sse) ended(t testing.TB) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-s.events:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("event stream still open after 10s")
		}
	}
}

func decodeJSON(t testing.TB, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
}

func waitFake(t testing.TB, f *webtest.Fake, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if !f.WaitFor(ctx, cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// serve runs one request through a handler.
func serve(h http.Handler, method, path, form string, cookies []*http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(form))
	if form != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func newLoopbackListener() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// writeCert writes a self-signed certificate for 127.0.0.1 and its key.
func writeCert(t testing.TB, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "bridge"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "bridge.crt"), filepath.Join(dir, "bridge.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
