package pagerclient

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
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
	// ClientID is the MQTT client id; "" means the MQTT username, or
	// pager-{Store}-{ID} without one.
	ClientID string
	// Now stamps messages and events; nil means time.Now.
	Now func() time.Time
}

// EventKind says what an Event reports.
type EventKind int

// Event kinds.
const (
	EvConnected EventKind = iota + 1 // connected (or reconnected) and presence published
	EvConnLost                       // the connection dropped; Err says why
	EvPage                           // a page: Page, Broadcast
	EvWithdrawn                      // a page was withdrawn: Page (Withdrawn, Reason)
	EvResult                         // the bridge answered a command: Result, Cmd
	EvBridge                         // the bridge went online or offline: Online
	EvError                          // a message could not be sent or was malformed: Err
)

// EvConnFailed: a connect failed and is retried; Err says why. Rate
// limited: the first failure at once, then one a while (mqttc.Reporter).
const EvConnFailed = EvError + 1

var evNames = map[EventKind]string{EvConnected: "connected", EvConnLost: "connection lost", EvPage: "page",
	EvWithdrawn: "withdrawn", EvResult: "result", EvBridge: "bridge", EvError: "error", EvConnFailed: "connect failed"}

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

	mu      sync.Mutex
	status  string
	seq     uint64
	cmdSeq  uint64
	pending map[string]protocol.PagerCmd
	client  paho.Client
	gen     int      // which paho client may connect; Restore starts a new one
	conn    net.Conn // the live connection, for Drop
	dropped bool
	closed  bool
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
		o.ClientID = o.MQTT.ClientID("pager-" + o.Store + "-" + o.ID)
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
	o.ensureDefaults()
	if err := validStatus(o.Status); err != nil {
		return nil, err
	}
	c := &Client{o: o, q: newQueue(), status: o.Status, pending: map[string]protocol.PagerCmd{}}
	start := o.Now()
	c.prefix = fmt.Sprintf("%s-%x", o.ID, start.UnixNano())
	c.seq = uint64(start.UnixMilli()) // presence seq grows across restarts
	will := &mqttc.Will{
		Topic:   protocol.PresenceTopic(o.Store, o.ID),
		Payload: protocol.Encode(protocol.Presence{Status: protocol.PresenceOffline, Zone: o.Zone}),
		QoS:     1,
		Retain:  true,
	}
	po, err := o.MQTT.Options(o.ClientID, will, c.onConnect, c.onLost)
	if err != nil {
		return nil, fmt.Errorf("pagerclient: %w", err)
	}
	// A clean session: paho's resume of a persistent session races with
	// publishing from the on-connect handler (it rewrites the DUP flag of
	// the presence being sent; upstream issue 703), and a pager must
	// publish its presence on every connect. Pages missed while away are
	// not lost: the bridge pages a pager's open alerts again when it comes
	// back available.
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

func (c *Client) onConnect(cl paho.Client) {
	root := c.o.Store
	subs := map[string]paho.MessageHandler{
		protocol.PageTopic(root, c.o.ID):        c.onPage(false),
		protocol.BroadcastPageTopic(root):       c.onPage(true),
		protocol.PagerResultTopic(root, c.o.ID): c.onResult,
		protocol.BridgeStateTopic(root):         c.onBridge,
	}
	// paho runs this in its own goroutine, so waiting for the SUBACKs is
	// safe: EvConnected then means pages can arrive, and the bridge only
	// sees the presence once they can.
	for topic, h := range subs {
		c.check(cl.Subscribe(topic, 1, h), "subscribe "+topic)
	}
	c.mu.Lock()
	status := c.status
	c.mu.Unlock()
	c.publishPresence(status)
	c.emit(Event{Kind: EvConnected})
}

func (c *Client) onLost(_ paho.Client, err error) {
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
	p := protocol.Presence{Status: status, Zone: c.o.Zone, Seq: c.seq, TS: protocol.At(c.o.Now())}
	c.mu.Unlock()
	tok := c.cl().Publish(protocol.PresenceTopic(c.o.Store, c.o.ID), 1, true, protocol.Encode(p))
	go c.check(tok, "publish presence")
	return tok
}

// Claim asks the bridge for the alert; the answer comes as an EvResult.
func (c *Client) Claim(alert string) (protocol.PagerCmd, error) {
	return c.send(alert, protocol.PagerClaim, "")
}

// Release gives a claimed alert back.
func (c *Client) Release(alert string) (protocol.PagerCmd, error) {
	return c.send(alert, protocol.PagerRelease, "")
}

// Resolve closes a claimed alert with an action (approve, void, ...).
func (c *Client) Resolve(alert string, a protocol.Action) (protocol.PagerCmd, error) {
	if !a.Valid() {
		return protocol.PagerCmd{}, fmt.Errorf("pagerclient: unknown action %q", a)
	}
	return c.send(alert, protocol.PagerResolve, a)
}

func (c *Client) send(alert, action string, res protocol.Action) (protocol.PagerCmd, error) {
	if alert == "" {
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
	cmd := protocol.PagerCmd{ID: fmt.Sprintf("%s-%d", c.prefix, c.cmdSeq), Alert: alert, Action: action, Resolution: res, TS: protocol.At(c.o.Now())}
	c.pending[cmd.ID] = cmd
	c.mu.Unlock()
	tok := c.cl().Publish(protocol.PagerCmdTopic(c.o.Store, c.o.ID), 1, false, protocol.Encode(cmd))
	go c.check(tok, action+" "+alert)
	return cmd, nil
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
