package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"slices"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/attendant/web"
	"github.com/sco-project/sco/internal/fifo"
	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/protocol"
)

// Opts configures a Bridge. The zero value logs nothing, uses the system
// clock, waits 500ms after subscribing before paging, and connects with
// the MQTT username as client id ("sco-bridge-{store}" without one). New
// fills the defaults in (Opts.ensureDefaults).
type Opts struct {
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Settle is how long the bridge waits after its first subscription
	// before it pages anybody, so that the retained presence of every
	// pager has arrived and nobody is skipped as offline. 0 means 500ms.
	Settle time.Duration
	// ClientID is the MQTT client id; "" means the MQTT username, or
	// "sco-bridge-{store}" without one.
	ClientID string

	// beforeSave, when set (tests), runs on the saver before each save.
	beforeSave func()
}

// Bridge is the running attendant bridge: one MQTT client, one goroutine
// that owns the attendant.Dispatcher, and one that owns the Store in
// data_dir. Create it with New, run it with Run.
//
// Every effect but one is published only once the state that caused it is
// on disk: results, withdrawals, alert records, assists, lane commands and
// escalations. The exception is an alert's first page
// (attendant.PageOut.First), which goes out as soon as the alert is
// handled, while the save runs: a shopper is not kept waiting for the
// bridge's fsync. A crash in that window forgets the page, not the alert:
// the lane still has it open, pages it on broadcast/page while the bridge
// is offline, and publishes it again when the bridge is back, which pages
// it again.
//
// Saves run on their own goroutine, one at a time: what arrives during a
// save is handled at once and saved together in the next one (group
// commit), so a slow disk delays the effects that need it, never the
// handling of the next message or a first page.
type Bridge struct {
	cfg    *Config
	log    *slog.Logger
	now    func() time.Time
	settle time.Duration
	hook   func() // Opts.beforeSave
	d      *attendant.Dispatcher
	store  *Store
	client paho.Client

	metrics   *metrics     // GET /metrics
	metricsLn net.Listener // metrics_listen; nil when not set

	app    *WebBackend // nil without a web: block
	webSrv *web.Server // the app, served by Run

	inbox   *inbox               // paho handlers -> loop
	saves   *fifo.Queue[saveJob] // loop -> saver
	resumed chan struct{}        // closed when the first connect has completed
	stop    chan struct{}        // closed when Run stops handling messages

	mu      sync.Mutex
	running context.CancelFunc // set by Run: stops it
	closed  bool               // Close was called: Run must not start
	runDone chan struct{}      // closed when Run returns
	webURL  string             // set by Run once the app listens

	releaseOnce sync.Once
	releaseErr  error
}

type inMsg struct {
	topic      string
	payload    []byte
	subscribed bool  // not a message: the subscriptions are in place
	call       *call // not a message: Do or post
}

// call is one Do: the function and where its outcome goes.
type call struct {
	fn   func(time.Time, *attendant.Dispatcher) (attendant.Effects, error)
	done chan callResult // buffered: the loop never waits for the caller
}

type callResult struct {
	fx  attendant.Effects
	err error
}

// ErrStopped is what Do answers once the bridge has stopped handling
// messages.
var ErrStopped = errors.New("bridge: stopped")

// Do runs fn on the loop goroutine, which owns the dispatcher, with the
// bridge's clock, and applies the effects fn returns as those of an MQTT
// message: saved, then published (an alert's first pages at once). It
// waits until fn has run and returns what fn returned; it fails when ctx
// is done first or the bridge has stopped. Do calls come before any
// queued lane or pager message. This is how an in-process device (the
// web app, WebBackend) acts: Dispatcher.Presence with its device for its
// presence, PagerCmd for its commands, EscalateNow for the console.
func (b *Bridge) Do(ctx context.Context, fn func(now time.Time, d *attendant.Dispatcher) (attendant.Effects, error)) (attendant.Effects, error) {
	c := &call{fn: fn, done: make(chan callResult, 1)}
	if err := b.post1(c); err != nil {
		return attendant.Effects{}, err
	}
	select {
	case r := <-c.done:
		return r.fx, r.err
	case <-ctx.Done():
		return attendant.Effects{}, fmt.Errorf("bridge: %w", ctx.Err())
	case <-b.stop:
		// It may still have run, just before the loop stopped.
		select {
		case r := <-c.done:
			return r.fx, r.err
		default:
			return attendant.Effects{}, ErrStopped
		}
	}
}

// post queues fn for the loop goroutine as Do does, without waiting for
// it: a change that needs no answer (a handheld's presence). Calls run in
// the order they were posted. It fails only when the bridge has stopped.
func (b *Bridge) post(fn func(now time.Time, d *attendant.Dispatcher) (attendant.Effects, error)) error {
	return b.post1(&call{fn: fn, done: make(chan callResult, 1)})
}

func (b *Bridge) post1(c *call) error {
	select {
	case <-b.stop:
		return ErrStopped
	default:
	}
	b.inbox.push(inMsg{call: c})
	return nil
}

// ensureDefaults fills in the fields of o whose zero value means a
// default.
func (o *Opts) ensureDefaults(cfg *Config) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Settle == 0 {
		o.Settle = 500 * time.Millisecond
	}
	if o.ClientID == "" {
		o.ClientID = cfg.MQTT.ClientID("sco-bridge-" + cfg.Store)
	}
}

// New prepares a bridge: it validates cfg (applying its defaults), opens
// the store in cfg.DataDir (one bridge per data_dir), restores the open
// alerts it holds and builds the MQTT client. Nothing runs until Run.
func New(cfg *Config, o *Opts) (*Bridge, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("bridge: config: %w", err)
	}
	var oo Opts
	if o != nil {
		oo = *o
	}
	oo.ensureDefaults(cfg)
	b := &Bridge{
		cfg:     cfg,
		log:     oo.Logger,
		now:     oo.Now,
		settle:  oo.Settle,
		hook:    oo.beforeSave,
		d:       attendant.NewDispatcher(&cfg.Config),
		inbox:   newInbox(),
		saves:   fifo.New[saveJob](),
		resumed: make(chan struct{}),
		stop:    make(chan struct{}),
		runDone: make(chan struct{}),
	}
	clientID := oo.ClientID
	store, err := OpenStore(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	st, err := store.Load()
	if err != nil {
		store.Close()
		return nil, err
	}
	b.store = store
	b.d.Restore(st)
	if len(st.Alerts) > 0 {
		b.log.Info("restored open alerts", "count", len(st.Alerts))
	}
	b.metrics = newMetrics(cfg.Store)
	if b.metricsLn, err = listenMetrics(cfg.MetricsListen); err != nil {
		store.Close()
		return nil, fmt.Errorf("bridge: metrics_listen: %w", err)
	}
	will := &mqttc.Will{Topic: protocol.BridgeStateTopic(cfg.Store), Payload: protocol.Encode(protocol.BridgeState{Online: false}), QoS: 1, Retain: true}
	opts, err := cfg.MQTT.Options(clientID, will, b.onConnect, b.onLost)
	if err != nil {
		b.release()
		return nil, fmt.Errorf("bridge: %w", err)
	}
	// One goroutine handles messages in arrival order (a cancel must not
	// overtake its open); the handler only queues.
	opts.SetOrderMatters(true)
	opts.SetDefaultPublishHandler(b.receive)
	(&mqttc.Reporter{Log: b.log}).Watch(opts) // failed connects are logged, with why
	b.client = paho.NewClient(opts)
	if cfg.Web != nil {
		b.app = newWebBackend(b)
		b.webSrv, err = web.New(*cfg.Web, b.app, b.app.Roster(), &web.Opts{
			Logger: b.log.With("component", "web"), Now: b.now, Store: cfg.Store, Metrics: b.WriteMetrics,
		})
		if err != nil {
			store.Close()
			return nil, fmt.Errorf("bridge: %w", err)
		}
	}
	return b, nil
}

// Web is the bridge as the attendant app sees it; nil when the config
// has no web: block.
func (b *Bridge) Web() *WebBackend { return b.app }

// WebURL is the attendant app's address (https://host:port/ or
// http://...), once Run listens on web.listen; "" before, or without a
// web: block.
func (b *Bridge) WebURL() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.webURL
}

// Run runs the bridge until ctx is done: it connects to the broker (paho
// keeps trying in the background until the broker is up), says online on
// bridge/state, pages, escalates and arbitrates. Then it shuts down
// cleanly: it stops handling messages, saves and publishes what it has
// handled, marks the bridge offline on bridge/state (retained),
// disconnects and closes the store. It returns nil after a clean
// shutdown. A bridge runs once; Close stops a running bridge too.
func (b *Bridge) Run(ctx context.Context) error {
	b.mu.Lock()
	if b.running != nil || b.closed {
		b.mu.Unlock()
		return errors.New("bridge: Run called twice, or after Close")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b.running = cancel
	b.mu.Unlock()
	defer close(b.runDone)

	// The app listens first: a web.listen that is taken fails the start.
	var webDone chan error
	webCtx, stopWeb := context.WithCancel(context.Background())
	defer stopWeb()
	if b.webSrv != nil {
		ln, err := net.Listen("tcp", b.cfg.Web.Listen)
		if err != nil {
			b.release()
			return fmt.Errorf("bridge: web.listen: %w", err)
		}
		scheme := "http"
		if b.cfg.Web.TLS() {
			scheme = "https"
		}
		b.mu.Lock()
		b.webURL = scheme + "://" + ln.Addr().String() + "/"
		b.mu.Unlock()
		webDone = make(chan error, 1)
		go func() { webDone <- b.webSrv.Serve(webCtx, ln) }()
	}

	connTok := b.client.Connect() // ConnectRetry: keeps trying in the background
	go func() {
		connTok.Wait()
		close(b.resumed)
	}()
	saverDone := make(chan struct{})
	go func() {
		defer close(saverDone)
		b.saver()
	}()
	b.log.Info("bridge started", "store", b.cfg.Store, "broker", b.cfg.MQTT.Broker, "attendants", len(b.cfg.Attendants))

	stopHistory := b.serveHistory() // for attendant-bridge report
	stopMetrics := b.serveMetrics()
	b.metrics.state(b.d)
	b.loop(ctx)
	close(b.stop)
	b.saves.Close()
	<-saverDone
	if webDone != nil {
		// Actions under way were answered "stopping" when the loop
		// stopped; the app ends its event streams and returns.
		stopWeb()
		if err := <-webDone; err != nil {
			b.log.Warn("attendant app did not stop cleanly", "err", err)
		}
	}
	if b.client.IsConnectionOpen() {
		tok := b.client.Publish(protocol.BridgeStateTopic(b.cfg.Store), 1, true, protocol.Encode(protocol.BridgeState{Online: false, TS: protocol.At(b.now())}))
		tok.WaitTimeout(2 * time.Second)
	}
	b.client.Disconnect(250)
	stopHistory()
	stopMetrics()
	err := b.release()
	b.log.Info("bridge stopped")
	return err
}

// Close stops a running bridge as cancelling Run's context does, waits
// for Run to return and returns the same error; without Run it closes
// the store. Safe to call twice.
func (b *Bridge) Close() error {
	b.mu.Lock()
	b.closed = true
	stop := b.running
	b.mu.Unlock()
	if stop != nil {
		stop()
		<-b.runDone
	}
	return b.release()
}

// release closes the store, once.
func (b *Bridge) release() error {
	b.releaseOnce.Do(func() {
		if b.metricsLn != nil {
			b.metricsLn.Close() // closed already after Run: nothing to report
		}
		b.releaseErr = b.store.Close()
	})
	return b.releaseErr
}

func (b *Bridge) subscriptions() map[string]byte {
	root := protocol.Root(b.cfg.Store)
	return map[string]byte{
		root + "/lane/+/alert":          1,
		root + "/lane/+/state":          1,
		root + "/lane/+/command/result": 1,
		root + "/lane/+/checkout":       1,
		root + "/pager/+/presence":      1,
		root + "/pager/+/cmd":           1,
	}
}

// onConnect runs on a paho goroutine after every (re)connect: paho does
// not restore subscriptions, and lanes re-publish their open alerts when
// bridge/state turns online.
func (b *Bridge) onConnect(c paho.Client) {
	b.log.Info("connected to broker")
	tok := c.SubscribeMultiple(b.subscriptions(), b.receive)
	go func() {
		// paho runs OnConnect before it has re-queued the session's stored
		// messages, and a publish in that window races with it (an open
		// paho issue, #703). The first connect's token completes after
		// that step; reconnects have no such signal.
		select {
		case <-b.resumed:
		case <-b.stop:
			return
		}
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			b.log.Error("subscribe failed", "err", tok.Error())
			return
		}
		b.inbox.push(inMsg{subscribed: true})
		b.publish(protocol.BridgeStateTopic(b.cfg.Store), true, protocol.Encode(protocol.BridgeState{Online: true, TS: protocol.At(b.now())}))
	}()
}

// receive queues a message for the loop; it runs on paho's goroutine and
// never blocks.
func (b *Bridge) receive(_ paho.Client, m paho.Message) {
	b.inbox.push(inMsg{topic: m.Topic(), payload: m.Payload()})
}

func (b *Bridge) onLost(_ paho.Client, err error) {
	b.log.Warn("connection to broker lost", "err", err)
}

// loop owns the dispatcher: it handles what paho queued and fires the
// deadlines, until ctx is done.
func (b *Bridge) loop(ctx context.Context) {
	var settleAt, droppedLogged time.Time
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		// Before paging starts only the settle time counts: restored
		// deadlines may be long past and would spin the loop.
		var next time.Time
		ok := false
		if b.d.Started() {
			next, ok = b.d.NextDeadline()
		} else if !settleAt.IsZero() {
			next, ok = settleAt, true
		}
		// An idle bridge still ticks hourly, to forget old ids.
		wait := time.Hour
		if ok {
			wait = max(next.Sub(b.now()), 0)
		}
		// Timers since Go 1.23 drop a pending tick on Reset, so the loop
		// may Reset without draining.
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-b.inbox.Ready():
			// A batch (control messages, then a turn of each lane and
			// each pager: inbox.take) is handled at once: the state is
			// saved (one synced write) once before the batch's effects
			// are published, in the order of the messages.
			var fxs []attendant.Effects
			ms := b.inbox.take()
			if now := b.now(); now.Sub(droppedLogged) >= 10*time.Second {
				for src, n := range b.inbox.dropped() {
					b.log.Warn("flood: messages dropped, the source's queue is full", "source", src, "dropped", n)
					droppedLogged = now
				}
			}
			for _, m := range ms {
				if m.call != nil {
					fx, err := m.call.fn(b.now(), b.d)
					m.call.done <- callResult{fx, err}
					fxs = append(fxs, fx)
					continue
				}
				if m.subscribed {
					if settleAt.IsZero() {
						settleAt = b.now().Add(b.settle)
					}
					b.publishProfiles()
					continue
				}
				fxs = append(fxs, b.handle(m))
			}
			b.apply(fxs...)
		case <-timer.C:
			now := b.now()
			if !b.d.Started() && !settleAt.IsZero() && !now.Before(settleAt) {
				b.log.Info("paging starts")
				b.apply(b.d.Start(now))
				continue
			}
			b.apply(b.d.Tick(now))
		}
	}
}

// publishProfiles publishes the retained profile of every roster entry
// and clears those of ids that had one and have left the roster (the
// store keeps the list). It runs on the loop goroutine after every
// (re)connect: a broker that lost its retained messages gets them again.
func (b *Bridge) publishProfiles() {
	now := b.now()
	var ids []string
	for _, p := range b.d.Profiles(now) {
		ids = append(ids, p.To)
		b.publish(protocol.ProfileTopic(b.cfg.Store, p.To), true, protocol.Encode(p.Profile))
	}
	before, err := b.store.Profiled()
	if err != nil {
		b.log.Error("profiles of attendants who left the roster not cleared", "err", err)
		return
	}
	// Clears are few (who left since the last connect): wait for the
	// broker to have them, briefly, and keep listing those it does not,
	// to clear them again on the next connect.
	for _, id := range before {
		if slices.Contains(ids, id) || !protocol.ValidID(id) {
			continue
		}
		tok := b.client.Publish(protocol.ProfileTopic(b.cfg.Store, id), 1, true, []byte{})
		if !tok.WaitTimeout(2*time.Second) || tok.Error() != nil {
			b.log.Warn("profile of an attendant who left the roster not cleared; cleared on the next connect", "attendant", id, "err", tok.Error())
			ids = append(ids, id)
			continue
		}
		b.log.Info("attendant left the roster: profile cleared", "attendant", id)
	}
	if err := b.store.SetProfiled(ids); err != nil {
		b.log.Error("list of profiles not saved", "err", err)
	}
}

// handle feeds one message to the dispatcher and returns the effects to
// apply. Bad input is logged with the topic and dropped; it never stops
// the bridge.
func (b *Bridge) handle(m inMsg) attendant.Effects {
	fx, err := b.d.Handle(b.now(), m.topic, m.payload)
	if err != nil {
		b.log.Warn("message rejected", "topic", m.topic, "bytes", len(m.payload), "err", err)
	}
	return fx
}

// apply sends the first pages in fxs at once and hands the rest to the
// saver, with the state to save first when any of fxs changed it. It runs
// on the loop goroutine.
func (b *Bridge) apply(fxs ...attendant.Effects) {
	job := saveJob{fxs: fxs}
	// First pages go out now, before anything else is done: collecting
	// the changes to save is not the shopper's to wait for. The saver
	// publishes the rest (publishEffects skips these).
	for _, fx := range job.fxs {
		for _, p := range fx.Pages {
			if p.First {
				b.publishPage(p)
			}
		}
	}
	if slices.ContainsFunc(fxs, func(fx attendant.Effects) bool { return fx.Changed }) {
		job.save, job.changes = true, b.d.Changes()
	}
	if b.app != nil {
		job.events = b.app.events(b.d, fxs)
	}
	if job.save || len(job.events) > 0 || slices.ContainsFunc(job.fxs, hasEffects) {
		b.saves.Push(job)
	}
	b.metrics.state(b.d)
}

func hasEffects(fx attendant.Effects) bool {
	return len(fx.Results)+len(fx.Pages)+len(fx.Records)+len(fx.Assists)+len(fx.Commands) > 0
}

// saveJob is one batch for the saver: the changes to persist (if save),
// the effects to publish after them and what to tell the web app then.
type saveJob struct {
	save    bool
	changes attendant.Changes
	fxs     []attendant.Effects
	events  []web.Event
}

// saver persists and publishes the loop's batches in order. Batches that
// queued up during a save are saved together, in one transaction. Changes
// whose save failed are saved again with the next ones.
func (b *Bridge) saver() {
	var unsaved *attendant.Changes
	var pruned time.Time
	for range b.saves.Ready() {
		// The loop may have just published first pages: let paho's
		// writer, which that woke, run before the fsync holds this
		// thread (and the scheduler's slot the writer would wait in).
		runtime.Gosched()
		jobs, closed := b.saves.Drain()
		for _, j := range jobs {
			switch {
			case !j.save:
			case unsaved == nil:
				c := j.changes
				unsaved = &c
			default:
				*unsaved = unsaved.Then(j.changes)
			}
		}
		if unsaved != nil {
			if b.hook != nil {
				b.hook()
			}
			began := time.Now() // a measurement, not the bridge's clock
			fresh, err := b.store.apply(*unsaved)
			b.metrics.save.Observe(time.Since(began).Seconds())
			if err != nil {
				b.log.Error("state not saved; saved again with the next change", "err", err)
			} else {
				unsaved = nil
				for _, c := range fresh {
					b.metrics.checkouts.WithLabelValues(c.Lane).Inc()
				}
			}
		}
		if now := b.now(); now.Sub(pruned) >= pruneEvery {
			pruned = now
			b.prune(now)
		}
		for _, j := range jobs {
			for _, fx := range j.fxs {
				b.metrics.effects(fx) // before: who sees the effect sees it counted
				b.publishEffects(fx)
			}
			if len(j.events) > 0 {
				b.app.deliver(j.events)
			}
		}
		if closed {
			return
		}
	}
}

// pruneEvery is how often the saver forgets the history older than the
// config's history.
const pruneEvery = time.Hour

// prune forgets the history older than the config's history.
func (b *Bridge) prune(now time.Time) {
	n, err := b.store.Prune(now.Add(-time.Duration(b.cfg.History)))
	if err != nil {
		b.log.Error("history not pruned; tried again later", "err", err)
		return
	}
	if n > 0 {
		b.log.Info("history pruned", "records", n, "older_than", time.Duration(b.cfg.History).String())
	}
}

// publishPage publishes a page, then logs it (a log line is a write to
// stderr: not before the page).
func (b *Bridge) publishPage(p attendant.PageOut) {
	b.publish(protocol.PageTopic(b.cfg.Store, p.To), false, protocol.Encode(p.Page))
	if p.Page.Withdrawn {
		b.log.Info("page withdrawn", "attendant", p.To, "alert", p.Page.Alert, "reason", p.Page.Reason)
	} else {
		b.log.Info("paged", "attendant", p.To, "alert", p.Page.Alert, "tier", p.Page.Tier, "text", p.Page.Text)
	}
}

// publishEffects publishes one event's effects.
func (b *Bridge) publishEffects(fx attendant.Effects) {
	s := b.cfg.Store
	for _, r := range fx.Results {
		b.publish(protocol.PagerResultTopic(s, r.To), false, protocol.Encode(r.Result))
	}
	for _, p := range fx.Pages {
		if !p.First { // apply sent those
			b.publishPage(p)
		}
	}
	for _, r := range fx.Records {
		topic := protocol.AlertTopic(s, r.Record.ID)
		b.publish(topic, true, protocol.Encode(r.Record))
		if r.Closed {
			b.log.Info("alert closed", "alert", r.Record.ID, "status", r.Record.Status, "resolution", r.Record.Resolution, "by", r.Record.ClaimedBy)
			b.publish(topic, true, nil)
		}
	}
	for _, a := range fx.Assists {
		var payload []byte
		if a.Assist != nil {
			payload = protocol.Encode(a.Assist)
		}
		b.publish(protocol.LaneAssistTopic(s, a.Lane), true, payload)
	}
	for _, c := range fx.Commands {
		b.log.Info("lane command", "lane", c.Lane, "id", c.Command.ID, "action", c.Command.Action, "by", c.Command.By)
		b.publish(protocol.LaneCommandTopic(s, c.Lane), false, protocol.Encode(c.Command))
	}
}

// publish sends at QoS 1 without waiting: paho retries QoS 1 messages
// itself, and waiting here would stall the event loop while the broker
// is away.
func (b *Bridge) publish(topic string, retain bool, payload []byte) {
	tok := b.client.Publish(topic, 1, retain, payload)
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			b.log.Warn("publish failed", "topic", topic, "err", err)
		}
	default:
	}
}
