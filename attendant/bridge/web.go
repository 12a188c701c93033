package bridge

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"sync"
	"time"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/attendant/web"
	"github.com/sco-project/sco/protocol"
)

// WebBackend is the bridge as the attendant app (package attendant/web)
// sees it: web.Backend. A web attendant is one more pager: their presence
// is one device's presence (Dispatcher.Presence with the handheld's
// device id), their actions are pager commands (Dispatcher.PagerCmd) and
// the console's escalation is Dispatcher.EscalateNow, all run on the
// dispatcher's goroutine through the bridge's inbox, ahead of queued MQTT
// messages. Their effects are saved and published on MQTT like those of
// an MQTT pager's message, so the terminal pager and the web app can be
// used side by side by one person.
//
// What the app shows comes from the effects the bridge publishes (pages,
// withdrawals, results, alert records, assists) and from what changed in
// the dispatcher's views by the same batch (open alerts, including an
// arrive; lanes; attendants), turned into web.Events on the dispatcher's
// goroutine and handed to subscribers by the saver once the batch's
// effects are published, in order.
//
// Bridge.Web returns it when the config has a web: block; Run serves the
// app with it.
type WebBackend struct {
	b      *Bridge
	roster map[string]web.Attendant

	// Owned by the bridge's loop goroutine: what the subscribers were
	// last told (or will be, once the saver hands it over).
	alerts     map[string]web.Alert
	lanes      map[string]protocol.LaneState
	attendants map[string]web.AttendantStatus
	assists    map[string]protocol.Assist

	mu      sync.Mutex
	subs    map[int]func(web.Event)
	nextSub int
	waiters map[string][]chan protocol.PagerResult // attendant/cmd id -> who waits for its answer
}

var _ web.Backend = (*WebBackend)(nil)

func newWebBackend(b *Bridge) *WebBackend {
	w := &WebBackend{
		b:          b,
		roster:     map[string]web.Attendant{},
		alerts:     map[string]web.Alert{},
		lanes:      map[string]protocol.LaneState{},
		attendants: map[string]web.AttendantStatus{},
		assists:    map[string]protocol.Assist{},
		subs:       map[int]func(web.Event){},
		waiters:    map[string][]chan protocol.PagerResult{},
	}
	for _, a := range b.cfg.Attendants {
		w.roster[a.ID] = web.Attendant{ID: a.ID, Name: a.Name, Zone: a.Zone, Roles: a.Roles, PinHash: a.PinHash}
	}
	return w
}

// Roster looks attendants up in the bridge's roster, for web.New.
func (w *WebBackend) Roster() web.Roster {
	return func(id string) (web.Attendant, bool) {
		a, ok := w.roster[id]
		return a, ok
	}
}

// Presence implements web.Backend: it queues the device's presence for
// the dispatcher and returns.
func (w *WebBackend) Presence(who, device string, p protocol.Presence) error {
	p.Device = device
	return webErr(w.b.post(func(now time.Time, d *attendant.Dispatcher) (attendant.Effects, error) {
		fx, err := d.Presence(now, who, p)
		if err != nil {
			w.b.log.Warn("web presence refused", "attendant", who, "device", device, "err", err)
		}
		return fx, nil
	}))
}

// Command implements web.Backend: the command goes to the dispatcher as
// pager/{who}/cmd would, and the answer is the result published for it.
func (w *WebBackend) Command(ctx context.Context, who string, c protocol.PagerCmd) (protocol.PagerResult, error) {
	return w.ask(ctx, who, c)
}

// Lane implements web.Backend: the pager action "lane".
func (w *WebBackend) Lane(ctx context.Context, who, id, lane string, action protocol.Action) (protocol.PagerResult, error) {
	return w.ask(ctx, who, protocol.PagerCmd{ID: id, Action: protocol.PagerLane, Lane: lane, Resolution: action, TS: protocol.At(w.b.now())})
}

// ask runs a pager command and waits for its published answer: at once
// for most, when the lane answers for a resolve or a lane command.
func (w *WebBackend) ask(ctx context.Context, who string, c protocol.PagerCmd) (protocol.PagerResult, error) {
	key := who + "/" + c.ID
	ch := make(chan protocol.PagerResult, 1)
	w.mu.Lock()
	w.waiters[key] = append(w.waiters[key], ch)
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		rest := w.waiters[key][:0]
		for _, x := range w.waiters[key] {
			if x != ch {
				rest = append(rest, x)
			}
		}
		if len(rest) == 0 {
			delete(w.waiters, key)
		} else {
			w.waiters[key] = rest
		}
	}()
	_, err := w.b.Do(ctx, func(now time.Time, d *attendant.Dispatcher) (attendant.Effects, error) {
		fx, err := d.PagerCmd(now, who, c)
		if err != nil {
			w.b.log.Info("web command refused", "attendant", who, "action", c.Action, "alert", c.Alert, "lane", c.Lane, "err", err)
		}
		return fx, nil
	})
	if err != nil {
		return protocol.PagerResult{}, webErr(err)
	}
	select {
	case r := <-ch:
		return r, nil
	case <-ctx.Done():
		return protocol.PagerResult{}, ctx.Err()
	case <-w.b.stop:
		return protocol.PagerResult{}, web.ErrStopped
	}
}

// webErr is what the app is told when the bridge could not take a call.
func webErr(err error) error {
	if err != nil && errors.Is(err, ErrStopped) {
		return web.ErrStopped
	}
	return err
}

// Escalate implements web.Backend: Dispatcher.EscalateNow, answered at
// once (the pages it sends are published like any other).
func (w *WebBackend) Escalate(ctx context.Context, who, id, alertID string) (protocol.PagerResult, error) {
	out := make(chan protocol.PagerResult, 1)
	_, err := w.b.Do(ctx, func(now time.Time, d *attendant.Dispatcher) (attendant.Effects, error) {
		fx, err := d.EscalateNow(now, who, alertID)
		r := protocol.PagerResult{ID: id, OK: err == nil, TS: protocol.At(now)}
		var pe protocol.PagerError
		switch {
		case err == nil:
			w.b.log.Info("escalated from the console", "alert", alertID, "by", who)
		case errors.As(err, &pe):
			r.Error = string(pe)
			if pe == protocol.ErrAlreadyClaimed {
				a, _ := d.Alert(alertID)
				r.ClaimedBy = a.ClaimedBy
			}
		default:
			r.Error = "not paging yet"
		}
		out <- r
		return fx, nil
	})
	if err != nil {
		return protocol.PagerResult{}, webErr(err)
	}
	return <-out, nil
}

// Snapshot implements web.Backend: taken on the dispatcher's goroutine.
func (w *WebBackend) Snapshot(ctx context.Context, who string) (web.Snapshot, error) {
	out := make(chan web.Snapshot, 1)
	_, err := w.b.Do(ctx, func(now time.Time, d *attendant.Dispatcher) (attendant.Effects, error) {
		s := web.Snapshot{Pages: d.Held(now, who), Lanes: d.Lanes(), Assists: make(map[string]protocol.Assist, len(w.assists))}
		lanes := laneZones(s.Lanes)
		for _, a := range d.Alerts() {
			s.Alerts = append(s.Alerts, alertView(a, lanes))
		}
		for l, a := range w.assists {
			s.Assists[l] = a
		}
		for _, a := range d.Attendants() {
			s.Attendants = append(s.Attendants, attendantView(a))
		}
		out <- s
		return attendant.Effects{}, nil
	})
	if err != nil {
		return web.Snapshot{}, webErr(err)
	}
	return <-out, nil
}

// Subscribe implements web.Backend.
func (w *WebBackend) Subscribe(fn func(web.Event)) (cancel func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	id := w.nextSub
	w.nextSub++
	w.subs[id] = fn
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		delete(w.subs, id)
	}
}

// events turns a batch's effects, and what the batch changed in the
// dispatcher's views, into the app's events. It runs on the loop
// goroutine, after the batch was handled.
func (w *WebBackend) events(d *attendant.Dispatcher, fxs []attendant.Effects) []web.Event {
	var evs []web.Event
	for _, fx := range fxs {
		for _, r := range fx.Results {
			evs = append(evs, web.Event{Kind: web.EventResult, To: r.To, Result: r.Result})
		}
		for _, p := range fx.Pages {
			evs = append(evs, web.Event{Kind: web.EventPage, To: p.To, Page: p.Page})
		}
		for _, r := range fx.Records {
			if !r.Closed {
				continue // open alerts: below, from the dispatcher's view
			}
			a, ok := w.alerts[r.Record.ID]
			if !ok {
				a.Zone = w.lanes[r.Record.Lane].Zone
			}
			a.AlertRecord = r.Record
			delete(w.alerts, r.Record.ID)
			evs = append(evs, web.Event{Kind: web.EventAlert, Alert: a, Closed: true})
		}
		for _, a := range fx.Assists {
			if a.Assist == nil {
				delete(w.assists, a.Lane)
			} else {
				w.assists[a.Lane] = *a.Assist
			}
			evs = append(evs, web.Event{Kind: web.EventAssist, AssistLane: a.Lane, Assist: a.Assist})
		}
	}

	lanes := d.Lanes()
	for _, l := range lanes {
		if old, ok := w.lanes[l.Lane]; !ok || !reflect.DeepEqual(old, l) {
			w.lanes[l.Lane] = l
			evs = append(evs, web.Event{Kind: web.EventLane, Lane: l})
		}
	}
	zones := laneZones(lanes)
	open := d.Alerts()
	for _, a := range open {
		v := alertView(a, zones)
		if old, ok := w.alerts[v.ID]; !ok || !reflect.DeepEqual(old, v) {
			w.alerts[v.ID] = v
			evs = append(evs, web.Event{Kind: web.EventAlert, Alert: v})
		}
	}
	for _, a := range d.Attendants() {
		v := attendantView(a)
		if old, ok := w.attendants[v.ID]; !ok || old != v {
			w.attendants[v.ID] = v
			evs = append(evs, web.Event{Kind: web.EventAttendant, Attendant: v})
		}
	}
	return evs
}

// deliver hands events to the subscribers, and results to the calls that
// wait for them. It runs on the saver goroutine, after the effects the
// events come from are published.
func (w *WebBackend) deliver(evs []web.Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ids := make([]int, 0, len(w.subs))
	for id := range w.subs {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, ev := range evs {
		if ev.Kind == web.EventResult {
			for _, ch := range w.waiters[ev.To+"/"+ev.Result.ID] {
				select {
				case ch <- ev.Result:
				default: // it has its answer already
				}
			}
		}
		for _, id := range ids {
			w.subs[id](ev)
		}
	}
}

// laneZones maps each lane to its zone.
func laneZones(lanes []protocol.LaneState) map[string]string {
	m := make(map[string]string, len(lanes))
	for _, l := range lanes {
		m[l.Lane] = l.Zone
	}
	return m
}

// alertView is an open alert as the app shows it.
func alertView(a attendant.AlertState, laneZone map[string]string) web.Alert {
	sev := a.Alert.Severity
	if sev == "" {
		sev = protocol.SeverityOf(a.Alert.Kind)
	}
	zone := a.Alert.Zone
	if zone == "" {
		zone = laneZone[a.Alert.Lane]
	}
	return web.Alert{
		AlertRecord: protocol.AlertRecord{
			ID: a.Alert.ID, Lane: a.Alert.Lane, Kind: a.Alert.Kind, Severity: sev, Status: a.Status, Tier: a.Tier,
			ClaimedBy: a.ClaimedBy, Raised: protocol.At(a.Raised), Claimed: protocol.At(a.Claimed),
		},
		Zone: zone, Item: a.Alert.Item, Detail: a.Alert.Detail, Arrived: protocol.At(a.Arrived),
	}
}

// attendantView is a roster entry as the console shows it: the first
// open alert they claimed.
func attendantView(a attendant.AttendantStatus) web.AttendantStatus {
	v := web.AttendantStatus{ID: a.ID, Name: a.Name, Zone: a.Zone, Status: a.Status}
	if len(a.Alerts) > 0 {
		v.Alert = a.Alerts[0]
	}
	return v
}
