package daemon

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/devices/devicestest"
	"github.com/sco-project/sco/internal/testsupport"
)

// do sends one request to the lane with the given headers ("Host" sets
// the Host) and returns the status and the JSON error, if any.
func do(t *testing.T, method, url string, body io.Reader, headers ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	require.NoError(t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// startGuarded runs a lane without devices whose config gets ui (keys
// of the ui: block, after listen).
func startGuarded(t *testing.T, lane, ui string, o Opts) *inProc {
	t.Helper()
	r := newRig(t, lane, testsupport.Mochi(t).URL())
	withUI(t, r, ui)
	o.Scanner, o.Scale = devicestest.NewScanner(nil), devicestest.NewScale(nil)
	return startInProcOpts(t, r.config(t), o)
}

// DNS rebinding: a page on evil.example whose name now points at the
// lane sends Host: evil.example, and is refused (421), reading or
// writing; the lane's own names pass.
func TestHostIsChecked(t *testing.T) {
	p := startGuarded(t, "50", "", Opts{})
	_, port, err := net.SplitHostPort(strings.TrimPrefix(p.base, "http://"))
	require.NoError(t, err)
	for _, host := range []string{"evil.example:" + port, "evil.example", "127.0.0.1.evil.example:" + port, "localhost.evil.example"} {
		code, body := do(t, "GET", p.base+"/api/state", nil, "Host", host)
		require.Equal(t, http.StatusMisdirectedRequest, code, host)
		require.Contains(t, body, `"error":"host `)
		code, _ = do(t, "POST", p.base+"/api/help", nil, "Host", host)
		require.Equal(t, http.StatusMisdirectedRequest, code, host)
	}
	require.Empty(t, p.d.State().Alerts, "no help was raised")
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST", "[::1]:" + port, "127.0.0.1"} {
		code, _ := do(t, "GET", p.base+"/api/state", nil, "Host", host)
		require.Equal(t, http.StatusOK, code, host)
	}
}

// A web page on another site cannot change the lane: a cross-origin
// POST (as a browser sends it, with Sec-Fetch-Site or Origin) is refused
// with 403; the lane's own page and curl pass.
func TestCrossOriginIsRefused(t *testing.T) {
	p := startGuarded(t, "51", "", Opts{})
	for _, h := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "same-site"},
		{"Origin", "http://evil.example"},
		{"Origin", "null"},
	} {
		code, body := do(t, "POST", p.base+"/api/help", nil, h...)
		require.Equal(t, http.StatusForbidden, code, h)
		require.Contains(t, body, "cross-origin request refused")
	}
	require.Empty(t, p.d.State().Alerts, "no help was raised")
	code, _ := do(t, "GET", p.base+"/api/state", nil, "Sec-Fetch-Site", "cross-site")
	require.Equal(t, http.StatusOK, code, "reading is not a state change (CORS keeps the answer from the page)")
	code, _ = do(t, "POST", p.base+"/api/help", nil, "Sec-Fetch-Site", "same-origin", "Origin", p.base)
	require.Equal(t, http.StatusOK, code, "the lane's own screen")
	code, _ = do(t, "POST", p.base+"/api/help/cancel", nil)
	require.Equal(t, http.StatusOK, code, "curl")
}

// With ui.token, a state change needs "Authorization: Bearer <token>";
// the screen served to a browser on the lane carries the token, a
// screen served to another machine does not.
func TestTokenIsRequired(t *testing.T) {
	const token = "0123456789abcdef0123"
	p := startGuarded(t, "52", "  token: "+token+"\n", Opts{})
	for _, auth := range []string{"", "Bearer wrong-token-0123456789", "Basic " + token, "Bearer " + token + "x"} {
		code, body := do(t, "POST", p.base+"/api/help", nil, "Authorization", auth)
		require.Equal(t, http.StatusUnauthorized, code, auth)
		require.Contains(t, body, "needs the lane's token")
	}
	require.Empty(t, p.d.State().Alerts)
	code, _ := do(t, "GET", p.base+"/api/state", nil)
	require.Equal(t, http.StatusOK, code, "reading needs no token")
	code, _ = do(t, "POST", p.base+"/api/help", nil, "Authorization", "Bearer "+token)
	require.Equal(t, http.StatusOK, code)

	require.Contains(t, getBody(t, p.base+"/"), `<meta name="sco-token" content="`+token+`">`, "a browser on the lane gets it")
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "192.168.1.77:50000"
	p.d.serveScreen(rec, req)
	require.Contains(t, rec.Body.String(), `<meta name="sco-token" content="">`, "another machine does not")
	require.NotContains(t, rec.Body.String(), token)
}

// Request bodies and headers are bounded.
func TestRequestsAreBounded(t *testing.T) {
	p := startGuarded(t, "53", "", Opts{})
	code, _ := do(t, "POST", p.base+"/api/help", strings.NewReader(strings.Repeat("x", 1<<20)))
	require.Equal(t, http.StatusRequestEntityTooLarge, code)
	code, _ = do(t, "GET", p.base+"/api/state", nil, "X-Big", strings.Repeat("x", 64<<10))
	require.Equal(t, http.StatusRequestHeaderFieldsTooLarge, code)
	require.Empty(t, p.d.State().Alerts)
}

// At most maxStreams event streams are open at once; one more is
// answered 429, and a closed one makes room.
func TestEventStreamsAreBounded(t *testing.T) {
	p := startGuarded(t, "54", "", Opts{})
	var streams []*http.Response
	for range maxStreams {
		resp, err := http.Get(p.base + "/api/events")
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		streams = append(streams, resp)
	}
	defer func() {
		for _, r := range streams {
			r.Body.Close()
		}
	}()
	code, body := do(t, "GET", p.base+"/api/events", nil)
	require.Equal(t, http.StatusTooManyRequests, code)
	require.Contains(t, body, fmt.Sprintf("too many event streams open (%d)", maxStreams))
	streams[0].Body.Close()
	deadline := time.Now().Add(waitFor)
	for {
		resp, err := http.Get(p.base + "/api/events")
		require.NoError(t, err)
		if resp.StatusCode == http.StatusOK {
			streams[0] = resp
			break
		}
		resp.Body.Close()
		require.True(t, time.Now().Before(deadline), "a closed stream never made room")
		// The server notices the closed stream on its next write: a
		// keepalive or a state.
		<-time.After(20 * time.Millisecond)
	}
}

// The server's timeouts end slow clients but not the event stream: it
// outlives several read and write timeouts and still delivers.
func TestTimeoutsSpareTheEventStream(t *testing.T) {
	const timeout = 200 * time.Millisecond
	p := startGuarded(t, "55", "", Opts{httpTimeouts: timeout, keepalive: 40 * time.Millisecond})

	// A client that never finishes its headers is cut off.
	c, err := net.Dial("tcp", strings.TrimPrefix(p.base, "http://"))
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, "GET /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\n")
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(waitFor)))
	_, err = io.ReadAll(c)
	require.NoError(t, err, "the server closed the connection (EOF), not the test's deadline")

	resp, err := http.Get(p.base + "/api/events")
	require.NoError(t, err)
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	start, keepalives := time.Now(), 0
	for keepalives < 5 || time.Since(start) < 3*timeout {
		require.True(t, lines.Scan(), "the stream ended after %v: %v", time.Since(start), lines.Err())
		if lines.Text() == ": keepalive" {
			keepalives++
		}
	}
	code, _ := do(t, "POST", p.base+"/api/help", nil)
	require.Equal(t, http.StatusOK, code)
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "data: ") && strings.Contains(lines.Text(), `"alerts":["`) {
			return
		}
	}
	t.Fatalf("the stream ended before the help state: %v", lines.Err())
}

// withUI adds ui (keys of the ui: block) to r's lane.yaml.
func withUI(t testing.TB, r *rig, ui string) {
	t.Helper()
	conf, err := os.ReadFile(r.path)
	require.NoError(t, err)
	const listen = "ui:\n  listen: 127.0.0.1:0\n"
	require.Contains(t, string(conf), listen)
	conf = []byte(strings.Replace(string(conf), listen, listen+ui, 1))
	require.NoError(t, os.WriteFile(r.path, conf, 0o600))
}
