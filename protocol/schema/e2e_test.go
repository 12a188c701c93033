package schema_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/broker"
	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/pagerclient"
	"github.com/sco-project/sco/pagerclient/pagertest"
	"github.com/sco-project/sco/protocol"
	"github.com/sco-project/sco/protocol/schema"
	"github.com/sco-project/sco/simulator/harness"
)

var transcriptFile = flag.String("transcript", "", "write ana's side of the end-to-end session to this file, as docs/protocol.md's ```mqtt transcript shows it")

// wait bounds every wait of the end-to-end test.
const wait = 20 * time.Second

// msg is one message the recorder saw, or (topic "") a note of what the
// test does next.
type msg struct {
	topic    string
	payload  []byte
	retained bool
	note     string
}

// recorder keeps every message published under sco/v1/, raw.
type recorder struct {
	t       *testing.T
	c       paho.Client
	mu      sync.Mutex
	msgs    []msg
	changed chan struct{}
}

func newRecorder(t *testing.T, url string) *recorder {
	r := &recorder{t: t, changed: make(chan struct{})}
	o := paho.NewClientOptions().AddBroker(url).SetClientID("schema-recorder").SetCleanSession(true).SetOrderMatters(true)
	r.c = paho.NewClient(o)
	tok := r.c.Connect()
	require.True(t, tok.WaitTimeout(wait) && tok.Error() == nil, "recorder: connect: %v", tok.Error())
	tok = r.c.Subscribe("sco/v1/#", 1, func(_ paho.Client, m paho.Message) {
		r.add(msg{topic: m.Topic(), payload: append([]byte(nil), m.Payload()...), retained: m.Retained()})
	})
	require.True(t, tok.WaitTimeout(wait) && tok.Error() == nil, "recorder: subscribe: %v", tok.Error())
	t.Cleanup(func() { r.c.Disconnect(100) })
	return r
}

func (r *recorder) add(m msg) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
	close(r.changed)
	r.changed = make(chan struct{})
}

// note marks where the test's next step begins.
func (r *recorder) note(format string, a ...any) { r.add(msg{note: fmt.Sprintf(format, a...)}) }

// await waits for a message on topic (under sco/v1/s1/) whose payload
// contains each of want.
func (r *recorder) await(topic string, want ...string) {
	r.t.Helper()
	r.awaitFunc(topic, fmt.Sprintf("containing %q", want), func(p []byte) bool {
		for _, w := range want {
			if !strings.Contains(string(p), w) {
				return false
			}
		}
		return true
	})
}

// awaitCleared waits for an empty payload on topic: a retained message
// cleared.
func (r *recorder) awaitCleared(topic string) {
	r.t.Helper()
	r.awaitFunc(topic, "clearing it", func(p []byte) bool { return len(p) == 0 })
}

func (r *recorder) awaitFunc(topic, what string, match func([]byte) bool) {
	r.t.Helper()
	deadline := time.After(wait)
	for i := 0; ; {
		r.mu.Lock()
		msgs, changed := r.msgs, r.changed
		r.mu.Unlock()
		for ; i < len(msgs); i++ {
			if msgs[i].topic == "sco/v1/s1/"+topic && match(msgs[i].payload) {
				return
			}
		}
		select {
		case <-changed:
		case <-deadline:
			r.t.Fatalf("no message on %s %s", topic, what)
		}
	}
}

// publish sends a raw payload, as a pager app might.
func (r *recorder) publish(topic, payload string) {
	r.t.Helper()
	tok := r.c.Publish("sco/v1/s1/"+topic, 1, false, payload)
	require.True(r.t, tok.WaitTimeout(wait) && tok.Error() == nil)
}

func (r *recorder) all() []msg {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]msg(nil), r.msgs...)
}

// pager is a reference pager of the test.
type pager struct {
	t *testing.T
	c *pagerclient.Client
}

func dial(t *testing.T, s *harness.Store, id, device string) *pager {
	t.Helper()
	c, err := pagerclient.Dial(pagerclient.Opts{MQTT: s.MQTT, Store: s.ID, ID: id, Device: device})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	p := &pager{t: t, c: c}
	// Connected, with its profile (which may come first: it is retained).
	deadline := time.After(wait)
	for connected, profiled := false, false; !connected || !profiled; {
		select {
		case ev := <-c.Events():
			connected = connected || ev.Kind == pagerclient.EvConnected
			profiled = profiled || (ev.Kind == pagerclient.EvProfile && ev.Profile != nil)
		case <-deadline:
			t.Fatalf("%s: not connected with a profile", id)
		}
	}
	return p
}

// next waits for an event of kind k that match accepts (nil: any).
func (p *pager) next(k pagerclient.EventKind, match func(pagerclient.Event) bool) pagerclient.Event {
	p.t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case ev, ok := <-p.c.Events():
			require.True(p.t, ok, "%s: events closed waiting for %v", p.c.ID(), k)
			if ev.Kind == k && (match == nil || match(ev)) {
				return ev
			}
		case <-deadline:
			p.t.Fatalf("%s: no %v event", p.c.ID(), k)
		}
	}
}

func (p *pager) page() protocol.Page {
	p.t.Helper()
	return p.next(pagerclient.EvPage, nil).Page
}

// do sends a command and returns the bridge's answer.
func (p *pager) do(cmd protocol.PagerCmd, err error) protocol.PagerResult {
	p.t.Helper()
	require.NoError(p.t, err)
	return p.next(pagerclient.EvResult, func(ev pagerclient.Event) bool { return ev.Result.ID == cmd.ID }).Result
}

// TestEndToEndMessagesMatchTheSchemas runs a small store (embedded
// broker, the real bridge, a lane on the real kioskd code, reference
// pagers) through every message of the contract (pages, claims and
// refusals, arrive, resolve, decline, a lane closed and opened, a
// handheld dropping off and coming back, the bridge restarting while a
// lane broadcasts, a cancel) and checks every message published under
// sco/v1/ against the schema of its topic.
func TestEndToEndMessagesMatchTheSchemas(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	b, err := broker.Start(broker.Opts{})
	require.NoError(t, err)
	t.Cleanup(func() { b.Close() })
	rec := newRecorder(t, b.URL())

	rec.note("the bridge is up: bridge/state and a profile per roster entry, retained (ana's handheld gets both when it subscribes)")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := harness.Start(ctx, harness.Opts{Broker: b.URL(), MQTT: mqttc.Config{},
		Lanes: []harness.LaneSpec{{Policy: map[string]string{"bag_timeout": "300ms", "bag_prompts": "1"}}}})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	lane := s.Lane("1")

	rec.note("ana's handheld (device tc52) connects, subscribes and announces itself")
	ana := dial(t, s, "ana", "tc52")
	rec.await("pager/ana/presence", `"available"`)
	ben := dial(t, s, "ben", "")
	sue := dial(t, s, "sue", "")
	rec.await("pager/sue/presence", `"available"`)

	rec.note("lane 1: a shopper scans a cola and does not bag it; ana, nearest, is paged")
	require.NoError(t, lane.Scanner.Scan("5000112637922", ""))
	p := ana.page()
	require.Equal(t, protocol.KindBagTimeout, p.Kind)
	alert := p.Alert

	rec.note("ana claims it (ben, who was not paged, tries too: he is told so on his own result topic)")
	assert.True(t, ana.do(ana.c.Claim(alert)).OK)
	r := ben.do(ben.c.Claim(alert))
	assert.Equal(t, string(protocol.ErrNotPaged), r.Error)
	assert.Equal(t, "ana", r.ClaimedBy)
	rec.await("alert/"+alert, `"claimed"`)

	rec.note("ana is at the lane, and approves the weight")
	assert.True(t, ana.do(ana.c.Arrive(alert)).OK)
	assert.True(t, ana.do(ana.c.Resolve(alert, protocol.ActionApprove)).OK)
	rec.await("pager/ana/page", `"reason":"resolved"`)
	rec.await("alert/"+alert, `"resolved"`)
	rec.awaitCleared("alert/" + alert)

	rec.note("a shopper presses help; ana's handheld loses the network: its will; the page moves on to tier 2")
	_, err = lane.Post("help")
	require.NoError(t, err)
	help := ana.page().Alert
	require.NoError(t, ana.c.Drop())
	rec.await("pager/ana/presence", `"offline"`, `"tc52"`)
	pagertest.WaitForgotten(t, b, "pager-s1-ana-tc52")
	ben.next(pagerclient.EvPage, func(ev pagerclient.Event) bool { return ev.Page.Alert == help })
	rec.await("alert/"+help, `"tier":2`)

	rec.note("the handheld comes back: presence again, and the open alert is paged to ana again")
	require.NoError(t, ana.c.Restore())
	ana.next(pagerclient.EvPage, func(ev pagerclient.Event) bool { return ev.Page.Alert == help })

	rec.note("ben claims it: the page is withdrawn from ana; her claim, sent before her handheld showed that, is too late")
	assert.True(t, ben.do(ben.c.Claim(help)).OK)
	rec.await("pager/ana/page", `"reason":"claimed by ben"`)
	rec.await("alert/"+help, `"claimed_by":"ben"`)
	r = ana.do(ana.c.Claim(help))
	assert.Equal(t, string(protocol.ErrAlreadyClaimed), r.Error)
	assert.Equal(t, "ben", r.ClaimedBy)
	rec.await("pager/ana/result", `"already claimed"`)
	rec.note("end of ana's transcript")
	r = ben.do(ben.c.Resolve(help, protocol.ActionApprove))
	assert.Equal(t, "resolution not allowed for this alert: approve for help", r.Error)
	assert.True(t, ben.do(ben.c.Resolve(help, protocol.ActionClear)).OK)
	rec.await("alert/"+help, `"resolved"`)

	// A decline: the page goes on to the others at once.
	_, err = lane.Post("help")
	require.NoError(t, err)
	help = ana.page().Alert
	assert.True(t, ana.do(ana.c.Release(help)).OK)
	rec.await("pager/ana/page", `"reason":"released"`)
	sue.next(pagerclient.EvPage, func(ev pagerclient.Event) bool { return ev.Page.Alert == help })
	assert.True(t, sue.do(sue.c.Claim(help)).OK)
	assert.True(t, sue.do(sue.c.Resolve(help, protocol.ActionClear)).OK)

	// Refusals a pager app may meet: a stale command, a malformed one.
	old := protocol.At(time.Now().Add(-10 * time.Minute))
	rec.publish("pager/ana/cmd", string(protocol.Encode(protocol.PagerCmd{ID: "ana-old-1", Alert: help, Action: protocol.PagerClaim, TS: old})))
	rec.await("pager/ana/result", `"ana-old-1"`, `"stale"`)
	bad := map[string]bool{`{"id":"ana-bad-1","alert":"x","action":"dance"}`: true, `{"id":"ana bad 2","alert":"x","action":"claim"}`: true}
	rec.publish("pager/ana/cmd", `{"id":"ana-bad-1","alert":"x","action":"dance"}`)
	rec.await("pager/ana/result", `"ana-bad-1"`, `"bad command: `)
	rec.publish("pager/ana/cmd", `{"id":"ana bad 2","alert":"x","action":"claim"}`)
	rec.await("pager/ana/result", `"ana bad 2"`, `"bad id"`)

	// A supervisor closes the lane and opens it again.
	assert.True(t, sue.do(sue.c.Lane("1", protocol.ActionOutOfService)).OK)
	assert.True(t, sue.do(sue.c.Lane("1", protocol.ActionInService)).OK)
	r = ben.do(ben.c.Lane("1", protocol.ActionOutOfService))
	assert.Contains(t, r.Error, string(protocol.ErrRoleRequired))

	// The bridge goes away: the lane broadcasts its alert; the bridge
	// comes back and pages it; the shopper cancels.
	require.NoError(t, s.StopBridge())
	ana.next(pagerclient.EvBridge, func(ev pagerclient.Event) bool { return !ev.Online })
	_, err = lane.Post("help")
	require.NoError(t, err)
	bc := ana.next(pagerclient.EvPage, func(ev pagerclient.Event) bool { return ev.Broadcast })
	require.NoError(t, s.StartBridge())
	ana.next(pagerclient.EvPage, func(ev pagerclient.Event) bool { return !ev.Broadcast && ev.Page.Alert == bc.Page.Alert })
	_, err = lane.Post("help/cancel")
	require.NoError(t, err)
	rec.await("pager/ana/page", `"reason":"cancelled by lane"`)
	rec.await("alert/"+bc.Page.Alert, `"cancelled"`)

	// The shopper pays: the lane reports the checkout.
	_, err = lane.Post("finish")
	require.NoError(t, err)
	rec.await("lane/1/checkout", `"session"`)

	require.NoError(t, ana.c.Close())
	require.NoError(t, ben.c.Close())
	require.NoError(t, sue.c.Close())
	rec.await("pager/sue/presence", `"offline"`)
	s.Close()
	rec.await("bridge/state", `"online":false`)

	// Every message against the schema of its topic (but the malformed
	// commands the test sent on purpose), and every topic seen.
	seen := map[string]int{}
	for _, m := range rec.all() {
		if m.note != "" {
			continue
		}
		tp, err := protocol.ParseTopic(m.topic)
		if !assert.NoError(t, err) {
			continue
		}
		if bad[string(m.payload)] {
			assert.Error(t, schema.Validate(tp.Kind, m.payload), "the malformed commands the test sent are not valid")
			continue
		}
		seen[tp.Kind]++
		assert.NoError(t, schema.Validate(tp.Kind, m.payload), "%s %s", m.topic, m.payload)
	}
	for kind := range schema.ByTopic {
		assert.NotZero(t, seen[kind], "no %s message in the run: the test no longer covers it", kind)
	}
	t.Logf("%d messages checked: %v", len(rec.all()), seen)
	if *transcriptFile != "" {
		require.NoError(t, os.WriteFile(*transcriptFile, []byte(transcript(rec.all())), 0o644))
	}
}

// transcript is ana's side of the run up to the note that ends it, as
// mosquitto_sub -v prints it, with the test's notes as comments: what
// her handheld reads and sends, and the lane command her resolve
// becomes.
func transcript(msgs []msg) string {
	var b strings.Builder
	for _, m := range msgs {
		if m.note == "end of ana's transcript" {
			break
		}
		if m.note != "" {
			fmt.Fprintf(&b, "# %s\n", m.note)
			continue
		}
		rest := strings.TrimPrefix(m.topic, "sco/v1/s1/")
		mine := strings.HasPrefix(rest, "pager/ana/") || strings.HasPrefix(rest, "alert/") || rest == "bridge/state" ||
			rest == "broadcast/page" || strings.HasPrefix(rest, "lane/1/command")
		if !mine {
			continue
		}
		if len(m.payload) == 0 {
			fmt.Fprintf(&b, "%s\n", m.topic)
			continue
		}
		fmt.Fprintf(&b, "%s %s\n", m.topic, m.payload)
	}
	return b.String()
}
