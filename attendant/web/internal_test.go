package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/protocol"
)

// presenceLog is a Backend that only records presences.
type presenceLog struct {
	Backend
	mu  sync.Mutex
	got []protocol.Presence
}

func (p *presenceLog) Presence(_, _ string, pr protocol.Presence) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, pr)
	return nil
}

func (p *presenceLog) statuses() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, x := range p.got {
		out = append(out, x.Status)
	}
	return out
}

func TestDevicesGoOfflineUnseen(t *testing.T) {
	clock := testsupport.NewClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	b := &presenceLog{}
	ds := newDevices(b, slog.New(slog.NewTextHandler(io.Discard, nil)), clock.Now)
	if got := ds.connect("ana", "web-1", "available"); got != "available" {
		t.Fatalf("connect: %s", got)
	}
	// A view that remembers another status does not override the app's.
	if got := ds.connect("ana", "web-1", "break"); got != "available" {
		t.Fatalf("reconnect: %s", got)
	}
	clock.Advance(OfflineAfter - time.Millisecond)
	ds.sweep(clock.Now())
	clock.Advance(time.Millisecond)
	ds.sweep(clock.Now())
	ds.sweep(clock.Now()) // told once
	ds.beat("ana", "web-1")
	ds.beat("ana", "web-1")
	want := []string{"available", "offline", "available"}
	if got := b.statuses(); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("presences %v, want %v", got, want)
	}
	// seq grows per device even when the clock stands still.
	for i := 1; i < len(b.got); i++ {
		if b.got[i].Seq <= b.got[i-1].Seq {
			t.Fatalf("seq %d after %d", b.got[i].Seq, b.got[i-1].Seq)
		}
	}
	// An offline device is forgotten after a while; one that comes back
	// announces what it shows.
	clock.Advance(OfflineAfter)
	ds.sweep(clock.Now())
	clock.Advance(forgetAfter)
	ds.sweep(clock.Now())
	if got := ds.status("ana", "web-1"); got != "offline" {
		t.Fatalf("forgotten device: %s", got)
	}
	if got := ds.connect("ana", "web-1", "busy"); got != "busy" {
		t.Fatalf("after forgetting: %s", got)
	}
}

func TestHubDropsAStreamThatFallsBehind(t *testing.T) {
	h := newHub(10, 2)
	slow, err := h.add("s1")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < streamQueue+1; i++ {
		h.publish(Event{Kind: EventLane})
	}
	select {
	case <-slow.lagged:
	default:
		t.Fatal("a stream that fell behind is still subscribed")
	}
	if h.count() != 0 {
		t.Fatalf("count %d", h.count())
	}
	h.remove(slow) // the handler's deferred remove is harmless
	if _, err := h.add("s1"); err != nil {
		t.Fatalf("the session's slot was not given back: %v", err)
	}
}

func TestStatusForEveryPagerError(t *testing.T) {
	for e, want := range map[string]int{
		"":                                 200,
		string(protocol.ErrUnknownAlert):   404,
		string(ErrUnknownLane):             404,
		string(protocol.ErrAlertClosed):    410,
		string(protocol.ErrNotPaged):       403,
		"role required: age_ok needs x":    403,
		string(protocol.ErrAlreadyClaimed): 409,
		string(protocol.ErrPending):        409,
		"lane: basket is locked":           409,
		"rate limited":                     429,
		"bad id":                           422,
	} {
		if got := statusFor(protocol.PagerResult{OK: e == "", Error: e}); got != want {
			t.Errorf("%q: %d, want %d", e, got, want)
		}
	}
}

func TestCheckPINLongerThanMax(t *testing.T) {
	pin := strings.Repeat("7", MaxPIN)
	h, err := HashPIN(pin)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{bcrypt: make(chan struct{}, 1), roster: func(id string) (Attendant, bool) {
		return Attendant{ID: id, PinHash: h}, id == "ana"
	}}
	r := httptest.NewRequest(http.MethodPost, "/login", nil)
	for _, c := range []struct {
		pin  string
		good bool
	}{{pin, true}, {pin + "8", false}, {pin[1:], false}} {
		if _, good, err := s.checkPIN(r, "ana", c.pin); err != nil || good != c.good {
			t.Errorf("PIN of %d characters: good %v, err %v; want good %v", len(c.pin), good, err, c.good)
		}
	}
}
