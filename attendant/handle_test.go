package attendant

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol"
)

func TestHandleRejects(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	cases := []struct{ topic, payload, want string }{
		{"sco/v1/s1/lane/3/alert", `{"id":"a1","lane":"3"`, "lane 3 alert: malformed JSON"},
		{"sco/v1/s1/lane/3/alert", `{"id":"` + strings.Repeat("x", protocol.MaxPayload) + `"}`, "payload too large"},
		{"sco/v1/s1/lane/3/alert", `{"id":"a1","lane":"3","kind":"help","status":"maybe"}`, `status "maybe"`},
		{"sco/v1/s1/lane/3/command/result", `{"ok":true}`, `"id" is required`},
		{"sco/v1/s1/pager/ana/presence", `{"status":"asleep"}`, `ana presence: presence: unknown status "asleep"`},
		{"sco/v1/s2/lane/3/alert", `{}`, `for store "s2"`},
		{"sco/v1/s1/lane/3/state", `{}`, `lane 3 state: "lane" is required`},
		{"sco/v1/s1/lane/3/assist", `{}`, "not a topic the bridge handles"},
		{"elsewhere/x", `{}`, "not under sco/v1"},
	}
	for _, c := range cases {
		fx, err := h.d.Handle(t0, c.topic, []byte(c.payload))
		require.ErrorContains(t, err, c.want, c.topic)
		require.Empty(t, fxLines(fx), c.topic)
	}
	fx, err := h.d.Handle(t0, "sco/v1/s1/pager/ana/cmd", []byte(`{"id":"c9","alert":"a1","action":"dance"}`))
	require.ErrorContains(t, err, `ana pager command: pager cmd c9: unknown action "dance"`)
	require.Equal(t, []string{`result ana c9 ok=false error=bad command: pager cmd c9: unknown action "dance"`}, fxLines(fx))

	fx, err = h.d.Handle(t0, "sco/v1/s1/lane/3/alert", []byte(`{"id":"a1","store":"s1","lane":"3","zone":"back","kind":"help","status":"open"}`))
	require.NoError(t, err)
	require.Equal(t, "page ben a1 tier 1", fxLines(fx)[0])
}

// FuzzHandle feeds arbitrary payloads on every topic the bridge reads:
// the dispatcher must never panic, and its state must stay persistable.
func FuzzHandle(f *testing.F) {
	topics := []string{"sco/v1/s1/lane/3/alert", "sco/v1/s1/lane/3/state", "sco/v1/s1/lane/3/command/result", "sco/v1/s1/pager/ana/presence", "sco/v1/s1/pager/ana/cmd", "sco/v1/s1/pager/ben/cmd"}
	f.Add(uint8(0), []byte(`{"id":"a1","store":"s1","lane":"3","zone":"front","kind":"help","status":"open"}`))
	f.Add(uint8(0), []byte(`{"id":"a1","store":"s1","lane":"3","kind":"age_check","status":"cancelled"}`))
	f.Add(uint8(1), []byte(`{"id":"a1:ana:c1","ok":true}`))
	f.Add(uint8(2), []byte(`offline`))
	f.Add(uint8(2), []byte(`{"status":"busy","seq":3}`))
	f.Add(uint8(3), []byte(`{"id":"c1","alert":"a1","action":"resolve","resolution":"clear"}`))
	f.Add(uint8(4), []byte(`{"id":"c1","alert":"a1","action":"claim"}`))
	f.Add(uint8(3), []byte(`{"id":"c2","alert":"a1","action":"release"}`))
	f.Fuzz(func(t *testing.T, which uint8, payload []byte) {
		d := NewDispatcher(testConfig(t))
		d.Start(t0)
		for _, id := range []string{"ana", "ben"} {
			_, _ = d.Presence(t0, id, protocol.Presence{Status: protocol.PresenceAvailable})
		}
		_, _ = d.Handle(t0, "sco/v1/s1/lane/3/alert", []byte(`{"id":"a1","store":"s1","lane":"3","zone":"front","kind":"help","status":"open"}`))
		now := t0
		for i := 0; i < 3; i++ {
			now = now.Add(7 * time.Second)
			_, _ = d.Handle(now, topics[int(which+uint8(i))%len(topics)], payload)
			d.Tick(now)
		}
		_ = protocol.Encode(d.State())
	})
}
