package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/sco-project/sco/protocol"
)

// Stream limits (Opts.MaxStreams and Opts.MaxStreamsPerSession override
// them). Beyond the global cap a stream is answered 503, beyond a
// session's cap 429, both with Retry-After and a JSON error.
const (
	DefaultMaxStreams           = 256
	DefaultMaxStreamsPerSession = 4
	// streamQueue is how many events a stream may fall behind before it
	// is closed; the view reconnects and starts again from a snapshot.
	streamQueue = 256
)

var (
	errTooManyStreams        = errors.New("too many open event streams on this server")
	errTooManySessionStreams = errors.New("too many open event streams for this sign-in; close other tabs")
)

// hub fans the Backend's events out to the open streams. It never blocks
// the Backend: a stream that falls behind is dropped.
type hub struct {
	mu         sync.Mutex
	clients    map[*client]struct{}
	perSession map[string]int
	max        int
	maxSession int
}

type client struct {
	session string
	ch      chan Event
	lagged  chan struct{} // closed when the stream fell behind
}

func newHub(max, maxSession int) *hub {
	return &hub{clients: map[*client]struct{}{}, perSession: map[string]int{}, max: max, maxSession: maxSession}
}

func (h *hub) add(session string) (*client, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.clients) >= h.max {
		return nil, errTooManyStreams
	}
	if h.perSession[session] >= h.maxSession {
		return nil, errTooManySessionStreams
	}
	c := &client{session: session, ch: make(chan Event, streamQueue), lagged: make(chan struct{})}
	h.clients[c] = struct{}{}
	h.perSession[session]++
	return c, nil
}

func (h *hub) remove(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; !ok {
		return
	}
	delete(h.clients, c)
	if h.perSession[c.session]--; h.perSession[c.session] <= 0 {
		delete(h.perSession, c.session)
	}
}

// publish is the Backend's Subscribe callback.
func (h *hub) publish(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		select {
		case c.ch <- ev:
		default:
			delete(h.clients, c)
			if h.perSession[c.session]--; h.perSession[c.session] <= 0 {
				delete(h.perSession, c.session)
			}
			close(c.lagged)
		}
	}
}

func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// The view's own JSON, on top of the protocol's payloads.

// me is the signed-in attendant as the view shows them.
type me struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Zone       string   `json:"zone"`
	Roles      []string `json:"roles"`
	Supervisor bool     `json:"supervisor"`
	Device     string   `json:"device"`
	Status     string   `json:"status"` // chosen on this device
	Store      string   `json:"store"`
}

// snapshotView is the first event of every stream.
type snapshotView struct {
	Now        protocol.Time              `json:"now"`
	Me         me                         `json:"me"`
	Pages      []protocol.Page            `json:"pages"` // with the resolutions this attendant may use
	Alerts     []Alert                    `json:"alerts"`
	Attendants []AttendantStatus          `json:"attendants"`
	Lanes      []protocol.LaneState       `json:"lanes,omitempty"`   // console
	Assists    map[string]protocol.Assist `json:"assists,omitempty"` // console
	Kinds      map[protocol.Kind]string   `json:"kinds"`             // kind -> human text
}

type alertEvent struct {
	Alert  Alert `json:"alert"`
	Closed bool  `json:"closed"`
}

type assistEvent struct {
	Lane   string           `json:"lane"`
	Assist *protocol.Assist `json:"assist"`
}

type pingEvent struct {
	Now protocol.Time `json:"now"`
}

func kindTexts() map[protocol.Kind]string {
	m := make(map[protocol.Kind]string, len(protocol.Kinds))
	for _, k := range protocol.Kinds {
		m[k] = k.Text()
	}
	return m
}

// serveEvents is the view's Server-Sent Events stream: a snapshot, then
// the events that concern this attendant (their pages and results, every
// alert and attendant, and for the console every lane and assist), a ping
// every Opts.PingEvery that the handheld answers to show it is reachable,
// and `bye` when the session ends. A handheld stream (view=handheld, the
// default) carries the device's presence; a console stream does not.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	sess, a, err := s.auth(r)
	if err != nil {
		writeError(w, http.StatusUnauthorized, err.Error())
		return
	}
	console := r.URL.Query().Get("view") == "console"
	if console && !a.HasRole(protocol.RoleSupervisor) {
		writeError(w, http.StatusForbidden, "the console is for supervisors")
		return
	}
	rc := http.NewResponseController(w)
	c, err := s.hub.add(sess.key)
	if err != nil {
		s.metrics.streamsRefused.Add(1)
		code := http.StatusServiceUnavailable
		if errors.Is(err, errTooManySessionStreams) {
			code = http.StatusTooManyRequests
		}
		w.Header().Set("Retry-After", "10")
		writeError(w, code, fmt.Sprintf("%v (at most %d, %d per sign-in)", err, s.hub.max, s.hub.maxSession))
		return
	}
	defer s.hub.remove(c)

	status := ""
	if !console {
		status = s.devices.connect(a.ID, sess.device, r.URL.Query().Get("status"))
		defer s.devices.beat(a.ID, sess.device) // leaving counts as seen
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cmdTimeout)
	snap, err := s.backend.Snapshot(ctx, a.ID)
	cancel()
	if err != nil {
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "the bridge did not answer: "+err.Error())
		return
	}
	view := snapshotView{
		Now:        protocol.At(s.now()),
		Me:         me{ID: a.ID, Name: a.Name, Zone: a.Zone, Roles: a.Roles, Supervisor: a.HasRole(protocol.RoleSupervisor), Device: sess.device, Status: status, Store: s.store},
		Pages:      []protocol.Page{},
		Alerts:     snap.Alerts,
		Attendants: snap.Attendants,
		Kinds:      kindTexts(),
	}
	for _, p := range snap.Pages {
		if !p.Withdrawn {
			view.Pages = append(view.Pages, p)
		}
	}
	if view.Alerts == nil {
		view.Alerts = []Alert{}
	}
	if console {
		view.Lanes, view.Assists = snap.Lanes, snap.Assists
		if view.Lanes == nil {
			view.Lanes = []protocol.LaneState{}
		}
	}

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(event string, v any) bool {
		b, err := json.Marshal(v)
		if err != nil {
			s.log.Error("event not encoded", "event", event, "err", err)
			return true
		}
		_ = rc.SetWriteDeadline(time.Now().Add(s.pingEvery + 5*time.Second))
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if _, err := fmt.Fprint(w, "retry: 3000\n\n"); err != nil {
		return
	}
	if !send("snapshot", view) {
		return
	}
	s.metrics.streamsOpened.Add(1)

	ping := time.NewTicker(s.pingEvery)
	defer ping.Stop()
	ends := time.NewTimer(sess.expires.Sub(s.now()))
	defer ends.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.stopping:
			send("bye", map[string]string{"reason": "the bridge is stopping"})
			return
		case <-c.lagged:
			return // the view reconnects and starts from a snapshot
		case <-ends.C:
			send("bye", map[string]string{"reason": errExpired.Error()})
			return
		case <-ping.C:
			if !s.sessions.live(sess, s.now()) {
				send("bye", map[string]string{"reason": errExpired.Error()})
				return
			}
			if !send("ping", pingEvent{Now: protocol.At(s.now())}) {
				return
			}
		case ev := <-c.ch:
			if !s.sendEvent(send, ev, a, console) {
				return
			}
		}
	}
}

// sendEvent forwards one Backend event to a view, when it concerns it.
func (s *Server) sendEvent(send func(string, any) bool, ev Event, a Attendant, console bool) bool {
	switch ev.Kind {
	case EventPage:
		if ev.To == a.ID {
			return send("page", ev.Page)
		}
	case EventResult:
		if ev.To == a.ID {
			return send("result", ev.Result)
		}
	case EventAlert:
		return send("alert", alertEvent{ev.Alert, ev.Closed})
	case EventAttendant:
		return send("attendant", ev.Attendant)
	case EventLane:
		if console {
			return send("lane", ev.Lane)
		}
	case EventAssist:
		if console {
			return send("assist", assistEvent{ev.AssistLane, ev.Assist})
		}
	}
	return true
}
