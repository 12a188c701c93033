package daemon

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/devices/devicestest"
	"github.com/sco-project/sco/protocol"
)

const (
	testStore = "s1"
	waitFor   = 15 * time.Second // deadline for anything the lane must do
)

// watcher is an MQTT client that records every message under the store's
// root, in arrival order, and lets a test wait for one.
type watcher struct {
	t      testing.TB
	client paho.Client
	mu     sync.Mutex
	msgs   []mqttMsg
	notify chan struct{}
}

type mqttMsg struct {
	Topic    string
	Payload  []byte
	Retained bool
}

func newWatcher(t testing.TB, broker string) *watcher {
	t.Helper()
	return newWatcherAs(t, broker, "", "")
}

// newWatcherAs is newWatcher logged in as user.
func newWatcherAs(t testing.TB, broker, user, password string) *watcher {
	t.Helper()
	w := &watcher{t: t, notify: make(chan struct{}, 1)}
	o := paho.NewClientOptions().AddBroker(broker).SetClientID(fmt.Sprintf("watcher-%d", time.Now().UnixNano())).
		SetUsername(user).SetPassword(password).
		SetCleanSession(true).SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(100 * time.Millisecond).SetMaxReconnectInterval(500 * time.Millisecond)
	o.SetOnConnectHandler(func(c paho.Client) {
		c.Subscribe(protocol.Root(testStore)+"/#", 1, func(_ paho.Client, m paho.Message) {
			w.mu.Lock()
			w.msgs = append(w.msgs, mqttMsg{m.Topic(), append([]byte(nil), m.Payload()...), m.Retained()})
			w.mu.Unlock()
			select {
			case w.notify <- struct{}{}:
			default:
			}
		})
	})
	w.client = paho.NewClient(o)
	tok := w.client.Connect()
	require.True(t, tok.WaitTimeout(waitFor), "watcher connect")
	require.NoError(t, tok.Error())
	t.Cleanup(func() { w.client.Disconnect(100) })
	return w
}

// next waits for the first message at or after *from that matches, and
// moves *from past it.
func (w *watcher) next(from *int, topic string, match func([]byte) bool) []byte {
	w.t.Helper()
	deadline := time.After(waitFor)
	for {
		w.mu.Lock()
		for i := *from; i < len(w.msgs); i++ {
			m := w.msgs[i]
			if m.Topic == topic && (match == nil || match(m.Payload)) {
				*from = i + 1
				w.mu.Unlock()
				return m.Payload
			}
		}
		n := len(w.msgs)
		w.mu.Unlock()
		select {
		case <-w.notify:
		case <-deadline:
			w.t.Fatalf("no message on %s within %v (%d messages seen):\n%s", topic, waitFor, n, w.dump())
		}
	}
}

func (w *watcher) count(topic string, match func([]byte) bool) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, m := range w.msgs {
		if m.Topic == topic && (match == nil || match(m.Payload)) {
			n++
		}
	}
	return n
}

// all returns the payloads seen on topic so far, in order.
func (w *watcher) all(topic string) [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out [][]byte
	for _, m := range w.msgs {
		if m.Topic == topic {
			out = append(out, m.Payload)
		}
	}
	return out
}

func (w *watcher) mark() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.msgs)
}

func (w *watcher) dump() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	for _, m := range w.msgs {
		fmt.Fprintf(&b, "  %s %s\n", m.Topic, m.Payload)
	}
	return b.String()
}

func (w *watcher) publish(topic string, retained bool, payload []byte) {
	w.t.Helper()
	tok := w.client.Publish(topic, 1, retained, payload)
	require.True(w.t, tok.WaitTimeout(waitFor), "publish %s", topic)
	require.NoError(w.t, tok.Error())
}

func decodeAlert(t testing.TB, b []byte) protocol.Alert {
	t.Helper()
	var a protocol.Alert
	require.NoError(t, protocol.Decode(b, &a), "%s", b)
	return a
}

func decodeState(t testing.TB, b []byte) protocol.LaneState {
	t.Helper()
	var s protocol.LaneState
	require.NoError(t, protocol.Decode(b, &s), "%s", b)
	return s
}

func isKind(k protocol.Kind, status string) func([]byte) bool {
	return func(b []byte) bool {
		var a protocol.Alert
		return json.Unmarshal(b, &a) == nil && a.Kind == k && a.Status == status
	}
}

func isID(id string) func([]byte) bool {
	return func(b []byte) bool {
		var x struct {
			ID    string `json:"id"`
			Alert string `json:"alert"`
		}
		return json.Unmarshal(b, &x) == nil && (x.ID == id || x.Alert == id)
	}
}

func stateWhere(f func(protocol.LaneState) bool) func([]byte) bool {
	return func(b []byte) bool {
		var s protocol.LaneState
		return json.Unmarshal(b, &s) == nil && f(s)
	}
}

// api calls the lane's local API and decodes the JSON answer into out
// (when non-nil); it returns the status code.
func api(t testing.TB, method, url string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if out != nil {
		require.NoError(t, json.Unmarshal(body, out), "%s %s: %s", method, url, body)
	}
	return resp.StatusCode
}

// pollState polls GET /api/state until f holds or the deadline passes.
func pollState(t testing.TB, base string, f func(protocol.LaneState) bool) protocol.LaneState {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	var st protocol.LaneState
	for {
		st = protocol.LaneState{}
		resp, err := http.Get(base + "/api/state")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if err == nil && f(st) {
				return st
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("lane state never matched within %v; last %+v (err %v)", waitFor, st, err)
		}
		// Polling a server over HTTP: there is nothing to wait on but the
		// next answer; a short pause keeps the loop from spinning.
		<-time.After(20 * time.Millisecond)
	}
}

// sse reads Server-Sent Events from a lane.
type sse struct {
	resp   *http.Response
	events chan protocol.LaneState
}

func openSSE(t testing.TB, url string) *sse {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	s := &sse{resp: resp, events: make(chan protocol.LaneState, 64)}
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		var event string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "state":
				var st protocol.LaneState
				if json.Unmarshal(bytes.TrimPrefix([]byte(line), []byte("data: ")), &st) == nil {
					s.events <- st
				}
			}
		}
	}()
	t.Cleanup(func() { resp.Body.Close() })
	return s
}

func (s *sse) next(t testing.TB, f func(protocol.LaneState) bool) protocol.LaneState {
	t.Helper()
	deadline := time.After(waitFor)
	for {
		select {
		case st, ok := <-s.events:
			require.True(t, ok, "event stream ended")
			if f(st) {
				return st
			}
		case <-deadline:
			t.Fatalf("no matching state event within %v", waitFor)
		}
	}
}

// fakeScale plays an NCI scale (Standard Scale Protocol) on a
// pseudo-terminal: it answers W with the weight it holds, S and Z with
// its status, anything else with "?".
type fakeScale struct {
	line   *devicestest.Line
	grams  atomic.Int64
	fault  atomic.Bool
	moving atomic.Bool  // answers with the motion status and no weight
	garble atomic.Int64 // this many more replies to W are cut short and garbled
	mute   atomic.Bool  // answers nothing
	polls  atomic.Int64
	polled chan struct{}
}

func newFakeScale(t testing.TB) *fakeScale {
	t.Helper()
	s := &fakeScale{line: devicestest.NewLine(t), polled: make(chan struct{}, 1)}
	go s.serve(s.line.Master())
	return s
}

// waitPolls waits until the scale has answered n weight polls in all.
// A lane settles its first weight after settle_readings answers, each
// handled long before the next poll: waiting for two more polls than that
// means the engine has a baseline, so a scan can be judged against it.
func (s *fakeScale) waitPolls(t testing.TB, n int64) {
	t.Helper()
	deadline := time.After(waitFor)
	for s.polls.Load() < n {
		select {
		case <-s.polled:
		case <-deadline:
			t.Fatalf("the scale was polled %d times, want %d", s.polls.Load(), n)
		}
	}
}

// set puts g grams on the bagging area.
func (s *fakeScale) set(g int) { s.grams.Store(int64(g)) }

func (s *fakeScale) serve(m *os.File) {
	buf := make([]byte, 64)
	var cmd []byte
	for {
		n, err := m.Read(buf)
		if err != nil {
			return // unplugged or the test ended
		}
		for _, c := range buf[:n] {
			if c != '\r' {
				cmd = append(cmd, c)
				continue
			}
			reply := s.answer(strings.TrimSpace(string(cmd)))
			switch {
			case s.mute.Load():
				reply = ""
			case strings.HasPrefix(reply, "\n0") && s.garble.Add(-1) >= 0:
				reply = "\n\x9901.2" // a flipped byte, then the line drops the rest
			}
			if _, err := m.Write([]byte(reply)); err != nil {
				return
			}
			cmd = cmd[:0]
		}
	}
}

func (s *fakeScale) answer(cmd string) string {
	status := "S00"
	g := s.grams.Load()
	switch {
	case s.fault.Load():
		status = "S04" // byte 1 bit 2: RAM error
	case s.moving.Load():
		status = "S10" // byte 1 bit 0: in motion
	case g == 0:
		status = "S20" // at zero (bits 4 and 5 always set, bit 1 at zero)
	}
	switch cmd {
	case "W":
		defer func() {
			s.polls.Add(1)
			select {
			case s.polled <- struct{}{}:
			default:
			}
		}()
		if s.fault.Load() || s.moving.Load() {
			return "\n" + status + "\r\x03"
		}
		return fmt.Sprintf("\n%06.3fKG\r\n%s\r\x03", float64(g)/1000, status)
	case "S", "Z":
		return "\n" + status + "\r\x03"
	}
	return "\n?\r\x03"
}
