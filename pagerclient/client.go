package pagerclient

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/protocol"
)

// Opts configures a Client. Store and ID are required; the zero value of
// every other field is documented on it.
type Opts struct {
	// MQTT is the broker connection; its zero value is the local broker
	// on tcp://127.0.0.1:1883 without authentication. With a password and
	// no Username, the username is ID: the broker knows attendants by
	// their id.
	MQTT mqttc.Config
	// Store and ID name the attendant: presence goes to
	// sco/v1/{Store}/pager/{ID}/presence.
	Store, ID string
	// Zone is where the attendant works, sent with presence; "" sends
	// none (the bridge then uses the roster's zone).
	Zone string
	// Status is the presence published on connect; "" means available.
	Status string
	// Device names this handheld among the attendant's devices (a phone,
	// a second handheld, the web app): stable across restarts, 1 to 128
	// bytes of [A-Za-z0-9._:-]. It travels in every presence and in the
	// will, so one device going offline does not take the others off
	// shift. "" sends none: the attendant has one device.
	Device string
	// ClientID is the MQTT client id; "" means the MQTT username, or
	// pager-{Store}-{ID} (and -{Device}) without one.
	ClientID string
	// SyncWait is how long after connecting the pager waits for its
	// profile and for the pages the bridge sends it again before it
	// reports EvSynced (no profile: not on the roster; a page not sent
	// again is no longer the attendant's). 0 means DefaultSyncWait.
	SyncWait time.Duration
	// Now stamps messages and events; nil means time.Now.
	Now func() time.Time
}

// DefaultSyncWait is the SyncWait of an Opts that sets none.
const DefaultSyncWait = 3 * time.Second

// EventKind says what an Event reports.
type EventKind int

// Event kinds.
const (
	EvConnected EventKind = iota + 1 // connected (or reconnected) and subscribed; the presence goes next
	EvConnLost                       // the connection dropped; Err says why
	EvPage                           // a page: Page, Broadcast
	EvWithdrawn                      // a page was withdrawn: Page (Withdrawn, Reason)
	EvResult                         // the bridge answered a command: Result, Cmd
	EvBridge                         // the bridge went online or offline: Online
	EvError                          // a message could not be sent or was malformed: Err
)

// More event kinds.
const (
	// EvConnFailed: a connect failed and is retried; Err says why. Rate
	// limited: the first failure at once, then one a while
	// (mqttc.Reporter).
	EvConnFailed = EvError + 1 + iota
	// EvProfile: the bridge's profile of the attendant (Profile), or
	// Profile nil when it was cleared: the attendant left the roster.
	EvProfile
	// EvRecord: the bridge's record of an alert (Record); Cleared when
	// the record was cleared (the alert is closed; Record has its ID).
	EvRecord
	// EvSynced: SyncWait after a connect. Profiled says whether the
	// bridge's profile of the attendant is known by now; without one the
	// attendant is not on the roster (or the bridge never ran). Pages
	// shown before the connect that the bridge has not sent again since
	// are no longer the attendant's.
	EvSynced
	// EvResent: a command the bridge had not answered was sent again,
	// with its id and ts, after a reconnect or a bridge restart (Cmd).
	EvResent
)

var evNames = map[EventKind]string{EvConnected: "connected", EvConnLost: "connection lost", EvPage: "page",
	EvWithdrawn: "withdrawn", EvResult: "result", EvBridge: "bridge", EvError: "error", EvConnFailed: "connect failed",
	EvProfile: "profile", EvRecord: "record", EvSynced: "synced", EvResent: "resent"}

func (k EventKind) String() string {
	if s, ok := evNames[k]; ok {
		return s
	}
	return fmt.Sprintf("event(%d)", int(k))
}

// Event is one thing the pager heard or noticed.
type Event struct {
	Kind EventKind
	// Page is the page or withdrawal (EvPage, EvWithdrawn).
	Page protocol.Page
	// Broadcast marks a page that came on broadcast/page, sent by a lane
	// while the bridge is away.
	Broadcast bool
	// Result is the bridge's answer and Cmd the command it answers
	// (EvResult); Cmd is zero when the result matches no command this
	// client sent.
	Result protocol.PagerResult
	Cmd    protocol.PagerCmd
	// Online is the bridge's state (EvBridge).
	Online bool
	// Profile is the attendant's profile (EvProfile); nil: none.
	Profile *protocol.Profile
	// Record is an alert record (EvRecord); Cleared: the alert is closed.
	Record  *protocol.AlertRecord
	Cleared bool
	// Profiled says whether a profile is known (EvSynced).
	Profiled bool
	// Err says what went wrong (EvConnLost, EvError, EvConnFailed).
	Err error
	// At is when the client received or noticed it.
	At time.Time
}

// ErrNotConnected is returned by commands while the pager is offline: a
// claim must not be queued for minutes and then arrive stale.
var ErrNotConnected = errors.New("pagerclient: not connected to the broker")

// ErrClosed is returned after Close.
var ErrClosed = errors.New("pagerclient: closed")

// Client is one attendant's connection to the bridge.
type Client struct {
	o      Opts
	po     *paho.ClientOptions
	q      *queue
	prefix string // command id prefix, unique per client start

	mu       sync.Mutex
	status   string
	seq      uint64
	cmdSeq   uint64
	pending  map[string]protocol.PagerCmd // sent, not answered yet
	profile  *protocol.Profile
	bridgeTS time.Time   // the newest ts of a bridge/state online:true seen
	syncer   *time.Timer // EvSynced of the current connection
	client   paho.Client
	gen      int      // which paho client may connect; Restore starts a new one
	conn     net.Conn // the live connection, for Drop
	dropped  bool
	closed   bool
}

// ensureDefaults fills in the fields of o whose zero value means a
// default.
func (o *Opts) ensureDefaults() {
	if o.MQTT.Username == "" && (o.MQTT.Password != "" || o.MQTT.PasswordFile != "") {
		o.MQTT.Username = o.ID
	}
	if o.Status == "" {
		o.Status = protocol.PresenceAvailable
	}
	if o.ClientID == "" {
		fallback := "pager-" + o.Store + "-" + o.ID
		if o.Device != "" {
			fallback += "-" + o.Device
		}
		o.ClientID = o.MQTT.ClientID(fallback)
	}
	if o.SyncWait <= 0 {
		o.SyncWait = DefaultSyncWait
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Dial validates o and starts connecting; it returns at once. The first
// EvConnected event says the pager is online. The broker is retried until
// Close, so a pager started before its broker comes up when it does.
func Dial(o Opts) (*Client, error) {
	if !protocol.ValidID(o.Store) {
		return nil, fmt.Errorf("pagerclient: store %q must match [a-z0-9-]+", o.Store)
	}
	if !protocol.ValidID(o.ID) {
		return nil, fmt.Errorf("pagerclient: id %q must match [a-z0-9-]+", o.ID)
	}
	if o.Zone != "" && !protocol.ValidID(o.Zone) {
		return nil, fmt.Errorf("pagerclient: zone %q must match [a-z0-9-]+", o.Zone)
	}
	if o.Device != "" && !protocol.ValidMsgID(o.Device) {
		return nil, fmt.Errorf("pagerclient: device %q must be 1 to %d bytes of [A-Za-z0-9._:-]", o.Device, protocol.MaxMsgID)
	}
	o.ensureDefaults()
	if err := validStatus(o.Status); err != nil {
		return nil, err
	}
	c := &Client{o: o, q: newQueue(), status: o.Status, pending: map[string]protocol.PagerCmd{}}
	start := o.Now()
	c.prefix = fmt.Sprintf("%s-%x", o.ID, start.UnixNano())
	c.seq = uint64(start.UnixMilli()) // presence seq grows across restarts
	// The will is a presence like any other (a JSON object), naming the
	// device, with seq 0 (always taken: the bridge cannot have a newer
	// one from a device that is gone) and no ts (it is written now and
	// published later).
	will := &mqttc.Will{
		Topic:   protocol.PresenceTopic(o.Store, o.ID),
		Payload: protocol.Encode(protocol.Presence{Status: protocol.PresenceOffline, Zone: o.Zone, Device: o.Device}),
		QoS:     1,
		Retain:  true,
	}
	po, err := o.MQTT.Options(o.ClientID, will, c.onConnect, c.onLost)
	if err != nil {
		return nil, fmt.Errorf("pagerclient: %w", err)
	}
	// A clean session, as docs/protocol.md's reconnect recipe says:
	// nothing is lost by it, since the bridge sends a pager every page it
	// holds again when the pager announces itself (re-sync), and the
	// commands it had not answered are sent again (same id and ts; the
	// bridge answers each once, "stale" when it comes too late). A
	// persistent session would only add deliveries of what is over, and
	// paho's resume of one races with publishing from the on-connect
	// handler (it rewrites the DUP flag of the presence being sent;
	// upstream issue 703).
	po.SetCleanSession(true)
	// Handlers only queue, so they may run in arrival order: a page and
	// its quick withdrawal must not swap places.
	po.SetOrderMatters(true)
	(&mqttc.Reporter{OnFail: func(msg string) { c.emit(Event{Kind: EvConnFailed, Err: errors.New(msg)}) }}).Watch(po)
	c.po = po
	c.mu.Lock()
	cl := c.newClient()
	c.mu.Unlock()
	cl.Connect() // retried in the background (ConnectRetry)
	return c, nil
}

// newClient makes the paho client of a new generation; c.mu is held.
// Only the newest generation may open a connection, so a client left
// behind by Drop can never reconnect and take the session over.
func (c *Client) newClient() paho.Client {
	c.gen++
	gen := c.gen
	if u, err := url.Parse(c.o.MQTT.Broker); err == nil && dialable(u.Scheme) {
		c.po.SetCustomOpenConnectionFn(func(u *url.URL, o paho.ClientOptions) (net.Conn, error) {
			return c.open(gen, u, o)
		})
	}
	c.client = paho.NewClient(c.po)
	return c.client
}

// cl is the current paho client.
func (c *Client) cl() paho.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.client
}

// dialable says whether the client dials the scheme itself (and so can
// Drop the connection); websockets are left to paho.
func dialable(scheme string) bool {
	switch scheme {
	case "tcp", "mqtt", "ssl", "tls", "mqtts":
		return true
	}
	return false
}

// open dials the broker for paho, keeping the connection so that Drop can
// cut it without a DISCONNECT, as a handheld that loses its radio.
func (c *Client) open(gen int, u *url.URL, o paho.ClientOptions) (net.Conn, error) {
	c.mu.Lock()
	refused := c.dropped || gen != c.gen || c.closed
	c.mu.Unlock()
	if refused {
		return nil, errors.New("pagerclient: radio is off (Drop)")
	}
	d := &net.Dialer{Timeout: o.ConnectTimeout}
	var conn net.Conn
	var err error
	switch u.Scheme {
	case "ssl", "tls", "mqtts":
		cfg := o.TLSConfig
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		conn, err = tls.DialWithDialer(d, "tcp", u.Host, cfg)
	default:
		conn, err = d.Dial("tcp", u.Host)
	}
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dropped || gen != c.gen {
		conn.Close()
		return nil, errors.New("pagerclient: radio is off (Drop)")
	}
	c.conn = conn
	return conn, nil
}

// Events delivers what the pager hears, in order. It is closed by Close.
// Events are queued without limit, so a slow reader loses nothing.
func (c *Client) Events() <-chan Event { return c.q.out }

// ID is the attendant id.
func (c *Client) ID() string { return c.o.ID }

// Status is the presence the pager publishes.
func (c *Client) Status() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Connected reports whether the pager is connected to the broker now.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.dropped && c.client.IsConnectionOpen()
}

// Profile is the bridge's profile of the attendant, if it has one.
func (c *Client) Profile() (protocol.Profile, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.profile == nil {
		return protocol.Profile{}, false
	}
	return *c.profile, true
}

// onConnect follows the reconnect recipe of docs/protocol.md: subscribe,
// announce the presence (the bridge then sends every page the attendant
// holds again), send again the commands the bridge has not answered, and
// after SyncWait report EvSynced.
func (c *Client) onConnect(cl paho.Client) {
	store, id := c.o.Store, c.o.ID
	subs := map[string]paho.MessageHandler{
		protocol.ProfileTopic(store, id):     c.onProfile,
		protocol.PageTopic(store, id):        c.onPage(false),
		protocol.BroadcastPageTopic(store):   c.onPage(true),
		protocol.PagerResultTopic(store, id): c.onResult,
		protocol.BridgeStateTopic(store):     c.onBridge,
		protocol.AlertTopic(store, "+"):      c.onRecord,
	}
	// paho runs this in its own goroutine, so waiting for the SUBACKs is
	// safe: pages can arrive before the bridge sees the presence.
	for topic, h := range subs {
		c.check(cl.Subscribe(topic, 1, h), "subscribe "+topic)
	}
	// EvConnected goes before the presence: the pages the bridge sends
	// again in answer to it come after it, so the screen can tell them
	// from the pages it showed before the connect.
	c.emit(Event{Kind: EvConnected})
	c.announce()
	c.mu.Lock()
	if c.syncer != nil {
		c.syncer.Stop()
	}
	gen := c.gen
	c.syncer = time.AfterFunc(c.o.SyncWait, func() { c.synced(gen) })
	c.mu.Unlock()
}

// announce publishes the presence and sends again every command the
// bridge has not answered: on every connect, and when the bridge comes
// back (a bridge that restarted has only the last retained presence of
// the attendant's devices, and lost the commands sent while it was
// away).
func (c *Client) announce() {
	c.mu.Lock()
	status := c.status
	var resend []protocol.PagerCmd
	for _, cmd := range c.pending {
		resend = append(resend, cmd)
	}
	c.mu.Unlock()
	c.publishPresence(status)
	sort.Slice(resend, func(i, j int) bool {
		return resend[i].TS.Before(resend[j].TS.Time) || (resend[i].TS.Equal(resend[j].TS.Time) && resend[i].ID < resend[j].ID)
	})
	for _, cmd := range resend {
		c.publishCmd(cmd)
		c.emit(Event{Kind: EvResent, Cmd: cmd})
	}
}

// synced reports EvSynced for connection gen, if it is still current.
func (c *Client) synced(gen int) {
	c.mu.Lock()
	current := gen == c.gen && !c.dropped && !c.closed && c.client.IsConnectionOpen()
	profiled := c.profile != nil
	c.mu.Unlock()
	if current {
		c.emit(Event{Kind: EvSynced, Profiled: profiled})
	}
}

func (c *Client) onLost(_ paho.Client, err error) {
	c.mu.Lock()
	if c.syncer != nil {
		c.syncer.Stop() // the next connect starts its own
	}
	c.mu.Unlock()
	c.emit(Event{Kind: EvConnLost, Err: err})
}

// check reports a failed publish or subscribe as an EvError.
func (c *Client) check(tok paho.Token, what string) {
	if !tok.WaitTimeout(10 * time.Second) {
		c.emit(Event{Kind: EvError, Err: fmt.Errorf("pagerclient: %s: no answer from the broker in 10s", what)})
		return
	}
	if err := tok.Error(); err != nil {
		c.emit(Event{Kind: EvError, Err: fmt.Errorf("pagerclient: %s: %w", what, err)})
	}
}

func (c *Client) onPage(broadcast bool) paho.MessageHandler {
	return func(_ paho.Client, m paho.Message) {
		var p protocol.Page
		if err := protocol.Decode(m.Payload(), &p); err != nil {
			c.emit(Event{Kind: EvError, Err: fmt.Errorf("pagerclient: bad page on %s: %w", m.Topic(), err)})
			return
		}
		kind := EvPage
		if p.Withdrawn {
			kind = EvWithdrawn
		}
		c.emit(Event{Kind: kind, Page: p, Broadcast: broadcast})
	}
}

func (c *Client) onResult(_ paho.Client, m paho.Message) {
	var r protocol.PagerResult
	if err := protocol.Decode(m.Payload(), &r); err != nil {
		c.emit(Event{Kind: EvError, Err: fmt.Errorf("pagerclient: bad result on %s: %w", m.Topic(), err)})
		return
	}
	// A duplicate (QoS 1) of a result already delivered, or the answer to
	// another session's command, matches nothing and keeps Cmd zero.
	c.mu.Lock()
	cmd := c.pending[r.ID]
	delete(c.pending, r.ID)
	c.mu.Unlock()
	c.emit(Event{Kind: EvResult, Result: r, Cmd: cmd})
}

func (c *Client) onBridge(_ paho.Client, m paho.Message) {
	var b protocol.BridgeState
	if len(m.Payload()) > 0 {
		if err := protocol.Decode(m.Payload(), &b); err != nil {
			c.emit(Event{Kind: EvError, Err: fmt.Errorf("pagerclient: bad bridge state: %w", err)})
			return
		}
	}
	c.emit(Event{Kind: EvBridge, Online: b.Online})
	if !b.Online || b.TS.IsZero() {
		return
	}
	// A bridge/state online:true newer than any seen is a bridge that
	// (re)started while this pager was connected: announce again. The
	// first one seen is the retained one this connect found, and the
	// connect announced already; an older one (a retained message that
	// a broker delivers after a newer live one) changes nothing.
	c.mu.Lock()
	again := !c.bridgeTS.IsZero() && b.TS.After(c.bridgeTS)
	if b.TS.After(c.bridgeTS) {
		c.bridgeTS = b.TS.Time
	}
	c.mu.Unlock()
	if again {
		c.announce()
	}
}

func (c *Client) onProfile(_ paho.Client, m paho.Message) {
	var p *protocol.Profile
	if len(m.Payload()) > 0 {
		p = new(protocol.Profile)
		if err := protocol.Decode(m.Payload(), p); err != nil {
			c.emit(Event{Kind: EvError, Err: fmt.Errorf("pagerclient: bad profile on %s: %w", m.Topic(), err)})
			return
		}
	}
	c.mu.Lock()
	c.profile = p
	c.mu.Unlock()
	c.emit(Event{Kind: EvProfile, Profile: p})
}

func (c *Client) onRecord(_ paho.Client, m paho.Message) {
	t, err := protocol.ParseTopic(m.Topic())
	if err != nil {
		c.emit(Event{Kind: EvError, Err: fmt.Errorf("pagerclient: %w", err)})
		return
	}
	if len(m.Payload()) == 0 {
		c.emit(Event{Kind: EvRecord, Record: &protocol.AlertRecord{ID: t.ID}, Cleared: true})
		return
	}
	r := new(protocol.AlertRecord)
	if err := protocol.Decode(m.Payload(), r); err != nil {
		c.emit(Event{Kind: EvError, Err: fmt.Errorf("pagerclient: bad alert record on %s: %w", m.Topic(), err)})
		return
	}
	c.emit(Event{Kind: EvRecord, Record: r})
}

func (c *Client) emit(ev Event) {
	if ev.At.IsZero() {
		ev.At = c.o.Now()
	}
	c.q.push(ev)
}

func validStatus(s string) error {
	switch s {
	case protocol.PresenceAvailable, protocol.PresenceBusy, protocol.PresenceBreak:
		return nil
	}
	return fmt.Errorf("pagerclient: presence %q must be available, busy or break", s)
}

// SetStatus changes the attendant's presence (available, busy, break) and
// publishes it. While offline the new status is kept and published on
// reconnect.
func (c *Client) SetStatus(s string) error {
	if err := validStatus(s); err != nil {
		return err
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.status = s
	c.mu.Unlock()
	if c.Connected() {
		c.publishPresence(s)
	}
	return nil
}

func (c *Client) publishPresence(status string) paho.Token {
	c.mu.Lock()
	c.seq++
	p := protocol.Presence{Status: status, Zone: c.o.Zone, Seq: c.seq, Device: c.o.Device, TS: c.stamp()}
	c.mu.Unlock()
	tok := c.cl().Publish(protocol.PresenceTopic(c.o.Store, c.o.ID), 1, true, protocol.Encode(p))
	go c.check(tok, "publish presence")
	return tok
}

// Claim asks the bridge for the alert; the answer comes as an EvResult.
func (c *Client) Claim(alert string) (protocol.PagerCmd, error) {
	return c.send(protocol.PagerCmd{Alert: alert, Action: protocol.PagerClaim})
}

// Release gives a claimed alert back, or declines a page not claimed.
func (c *Client) Release(alert string) (protocol.PagerCmd, error) {
	return c.send(protocol.PagerCmd{Alert: alert, Action: protocol.PagerRelease})
}

// Resolve closes a claimed alert with an action (approve, void, ...).
func (c *Client) Resolve(alert string, a protocol.Action) (protocol.PagerCmd, error) {
	if !a.Valid() {
		return protocol.PagerCmd{}, fmt.Errorf("pagerclient: unknown action %q", a)
	}
	return c.send(protocol.PagerCmd{Alert: alert, Action: protocol.PagerResolve, Resolution: a})
}

// Arrive says the attendant is at the lane of an alert they claimed.
func (c *Client) Arrive(alert string) (protocol.PagerCmd, error) {
	return c.send(protocol.PagerCmd{Alert: alert, Action: protocol.PagerArrive})
}

// Lane takes a lane out of service (out_of_service) or puts it back
// (in_service); supervisors only.
func (c *Client) Lane(lane string, a protocol.Action) (protocol.PagerCmd, error) {
	if !protocol.ValidID(lane) {
		return protocol.PagerCmd{}, fmt.Errorf("pagerclient: lane %q must match [a-z0-9-]+", lane)
	}
	if a != protocol.ActionOutOfService && a != protocol.ActionInService {
		return protocol.PagerCmd{}, fmt.Errorf("pagerclient: a lane goes %s or %s, not %q", protocol.ActionOutOfService, protocol.ActionInService, a)
	}
	return c.send(protocol.PagerCmd{Action: protocol.PagerLane, Lane: lane, Resolution: a})
}

// send numbers and stamps cmd and publishes it. A command is refused at
// once while the pager is offline (the attendant sees the list is not
// current); one sent and not answered is sent again, unchanged, on the
// next connect, until the bridge answers it.
func (c *Client) send(cmd protocol.PagerCmd) (protocol.PagerCmd, error) {
	if cmd.Alert == "" && cmd.Action != protocol.PagerLane {
		return protocol.PagerCmd{}, errors.New("pagerclient: no alert given")
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return protocol.PagerCmd{}, ErrClosed
	}
	if c.dropped || !c.client.IsConnectionOpen() {
		c.mu.Unlock()
		return protocol.PagerCmd{}, ErrNotConnected
	}
	c.cmdSeq++
	cmd.ID = fmt.Sprintf("%s-%d", c.prefix, c.cmdSeq)
	cmd.TS = c.stamp()
	c.pending[cmd.ID] = cmd
	c.mu.Unlock()
	c.publishCmd(cmd)
	return cmd, nil
}

func (c *Client) publishCmd(cmd protocol.PagerCmd) {
	tok := c.cl().Publish(protocol.PagerCmdTopic(c.o.Store, c.o.ID), 1, false, protocol.Encode(cmd))
	what := cmd.Action + " " + cmd.Alert
	if cmd.Action == protocol.PagerLane {
		what = "lane " + cmd.Lane + " " + string(cmd.Resolution)
	}
	go c.check(tok, what)
}

// Drop cuts the connection without a DISCONNECT, as a handheld whose
// battery dies or that walks out of radio range: the broker publishes the
// will (offline) and the pager stays offline until Restore. It works for
// tcp:// and ssl:// brokers.
func (c *Client) Drop() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	u, err := url.Parse(c.o.MQTT.Broker)
	if err != nil || !dialable(u.Scheme) {
		c.mu.Unlock()
		return fmt.Errorf("pagerclient: drop is not supported for %q", c.o.MQTT.Broker)
	}
	c.dropped = true
	conn, old := c.conn, c.client
	c.conn = nil
	c.mu.Unlock()
	if conn != nil {
		_ = conn.Close() // no DISCONNECT: the broker publishes the will
	}
	go old.Disconnect(0) // stop its retries; it can never connect again
	return nil
}

// Restore brings a dropped pager back: it reconnects and publishes its
// presence again.
func (c *Client) Restore() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	if !c.dropped {
		c.mu.Unlock()
		return nil
	}
	c.dropped = false
	cl := c.newClient()
	c.mu.Unlock()
	cl.Connect()
	return nil
}

// Close goes off shift: it publishes presence offline, disconnects, and
// closes Events. Safe to call twice.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	if c.syncer != nil {
		c.syncer.Stop()
	}
	c.mu.Unlock()
	var err error
	cl := c.cl()
	if c.Connected() { // a dropped pager has no way to say goodbye: its will did
		tok := c.publishPresence(protocol.PresenceOffline)
		if !tok.WaitTimeout(2 * time.Second) {
			err = errors.New("pagerclient: close: offline presence not acknowledged")
		} else if tok.Error() != nil {
			err = fmt.Errorf("pagerclient: close: %w", tok.Error())
		}
	}
	cl.Disconnect(250)
	c.q.close()
	return err
}

// stamp is now as it travels (UTC, whole milliseconds), so a command
// the Client returns equals the one the bridge decodes.
func (c *Client) stamp() protocol.Time {
	return protocol.At(c.o.Now().UTC().Truncate(time.Millisecond))
}
