package outbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
	bolt "go.etcd.io/bbolt"
)

// Msg is one MQTT message for the outbox, published with QoS 1.
type Msg struct {
	// Seq is the message's place in the outbox, set by Commit.
	Seq     uint64 `json:"-"`
	Topic   string `json:"topic"`
	Payload []byte `json:"payload"`
	Retain  bool   `json:"retain"`
	// Early lets the message go out while its Commit is still being
	// written, when nothing older is waiting (a newly raised alert: a
	// stuck shopper's page does not wait for the fsync). Commit
	// publishes it itself, on its caller's goroutine, with no hand-over
	// to the publisher (paho passes it to its writer at once; the
	// client's write timeout bounds a stalled one). It still stays in the
	// outbox until the broker acknowledges it, and is not sent a second
	// time on the same connection.
	Early bool `json:"-"`

	// Valid, for a message given to Send, is asked just before each
	// time the message would be published; when it says false the
	// message is dropped instead. A lane's broadcast page is sent only
	// while the bridge is offline, also when it waited in the outbox
	// while the bridge came back. Commit ignores it.
	Valid func() bool `json:"-"`

	// volatile: given to Send, never journaled.
	volatile bool
}

// Publisher is what the outbox needs from an MQTT client; a paho.Client
// is one. Its own store must keep nothing (NoStore): the outbox is the
// only copy of what is to be sent, and re-sends after a reconnect.
type Publisher interface {
	IsConnectionOpen() bool
	Publish(topic string, qos byte, retained bool, payload any) paho.Token
}

var _ Publisher = paho.Client(nil)

// Opts configures an Outbox. The zero value waits 2s for the journal's
// lock, checks the connection every 250ms while a message waits for its
// PUBACK, backs off failed publishes from 250ms to 10s, and logs to
// slog.Default().
type Opts struct {
	// LockTimeout bounds the wait for another process's lock on the
	// journal.
	LockTimeout time.Duration
	// CheckInterval is how often the connection is looked at while a
	// message is in flight or the client is offline (a lost connection
	// completes no token).
	CheckInterval time.Duration
	// Logger gets publish failures; nil means slog.Default().
	Logger *slog.Logger
	// BeforeWrite, when set, runs in every Commit after its early
	// publishes and before its journal write (tests hold a commit with
	// it).
	BeforeWrite func()
	// WriteError, when set, runs in every Commit just before its journal
	// write; an error it returns fails the write as a full or failing
	// disk would (tests make the journal fail with it).
	WriteError func() error
	// MaxBackoff caps the wait before a message whose publish failed is
	// tried again: CheckInterval after the first failure, doubling with
	// each failure in a row. 0 means 10s.
	MaxBackoff time.Duration

	// after waits for a backoff; nil means time.After (tests see the
	// waits and end them).
	after func(time.Duration) <-chan time.Time
}

// maxDeferredAcks bounds the acknowledged messages kept on disk until the
// next Commit.
const maxDeferredAcks = 256

// Outbox is the lane's state that must not be lost, with one owner: the
// journal (data_dir/lane.db) holding the session snapshot and the
// messages for the broker, and the publisher that delivers them.
//
// Commit writes a snapshot and the messages it produced in one synced
// transaction (a crash leaves both or neither). A publisher goroutine
// then sends the messages in order, one at a time with QoS 1: publish,
// wait for the PUBACK, next. It publishes only on an open connection;
// when the connection is lost or replaced while a message waits for its
// PUBACK, it sends that message again on the next one, so a message may
// arrive twice but never zero times. An acknowledged message leaves the
// outbox at once and the disk with the next Commit (or Close): an ack
// costs no sync of its own, and a lane killed before then sends it again.
//
// One kind of message does not wait for the disk: Msg.Early (see there).
//
// Its methods are safe from any goroutine; Commits are serialised, and
// their order is the outbox's.
type Outbox struct {
	db   *bolt.DB
	path string // of the journal, for errors
	log  *slog.Logger
	o    Opts

	// wmu serialises the writers (Commit, flush) and guards last.
	wmu  sync.Mutex
	last uint64 // the last sequence number given out

	// mu guards the rest; a publish is made holding it, so that the
	// order of the Publish calls is the outbox's order.
	mu       sync.Mutex
	pub      Publisher
	queue    []Msg    // committed, not acknowledged, in order
	acked    []uint64 // acknowledged, still on disk
	early    map[uint64]inflight
	inflight inflight // the message waiting for its PUBACK; seq 0 when none
	gen      uint64   // counts Connected calls
	ready    bool     // Connected since the connection was last seen closed
	closed   bool
	// flushFailed: a flush of the acks failed; the next Commit retries.
	flushFailed bool

	failures int // publishes failed in a row; the publisher's own

	kick   chan struct{} // the queue grew
	conn   chan struct{} // Connected was called
	shrunk chan struct{} // the queue shrank
	stop   chan struct{}
	wg     sync.WaitGroup

	startOnce sync.Once
	closeOnce sync.Once
	closeErr  error
}

// inflight is a message published on connection gen.
type inflight struct {
	seq uint64
	tok paho.Token
	gen uint64
}

// Open opens (creating if needed) the journal in dir and loads the
// messages still waiting in it. Only one process may hold it: a second
// opener fails after Opts.LockTimeout. Nothing is published until Start.
func Open(dir string, o *Opts) (*Outbox, error) {
	var oo Opts
	if o != nil {
		oo = *o
	}
	if oo.LockTimeout <= 0 {
		oo.LockTimeout = 2 * time.Second
	}
	if oo.CheckInterval <= 0 {
		oo.CheckInterval = 250 * time.Millisecond
	}
	if oo.MaxBackoff <= 0 {
		oo.MaxBackoff = 10 * time.Second
	}
	if oo.after == nil {
		oo.after = time.After
	}
	log := oo.Logger
	if log == nil {
		log = slog.Default()
	}
	db, err := openJournal(dir, oo.LockTimeout, log)
	if err != nil {
		return nil, err
	}
	queue, last, bad, err := loadQueue(db)
	if err != nil {
		db.Close()
		return nil, err
	}
	if len(bad) > 0 {
		// One line, however many: each is kept as it was, never sent.
		attrs := []any{"count", len(bad), "file", db.Path(), "bucket", string(bucketBad), "first", bad[0].err}
		if err := setAside(db, bad); err != nil {
			attrs = append(attrs, "err", fmt.Errorf("not moved (skipped until the next start): %w", err))
		}
		log.Error("outbox: entries that cannot be sent were set aside", attrs...)
	}
	return &Outbox{
		db: db, path: db.Path(), log: log, o: oo,
		last:   last,
		queue:  queue,
		early:  map[uint64]inflight{},
		kick:   make(chan struct{}, 1),
		conn:   make(chan struct{}, 1),
		shrunk: make(chan struct{}, 1),
		stop:   make(chan struct{}),
	}, nil
}

// LoadSnapshot decodes the stored snapshot into v. It returns false when
// there is none (a new lane).
func (o *Outbox) LoadSnapshot(v any) (bool, error) { return loadSnapshot(o.db, v) }

// Start starts delivering through p. Call it once, before the client
// connects; later calls do nothing.
func (o *Outbox) Start(p Publisher) {
	o.startOnce.Do(func() {
		o.mu.Lock()
		o.pub = p
		o.mu.Unlock()
		o.wg.Add(1)
		go o.run()
	})
}

// Connected tells the outbox that the client has (re)connected: a message
// still waiting for its PUBACK from an earlier connection is sent again.
// Call it from the client's on-connect handler. Nothing is published on a
// connection before it has been announced so: paho reports a connection
// open before it calls that handler, and a message published in between
// would be sent twice.
func (o *Outbox) Connected() {
	o.mu.Lock()
	o.gen++
	o.ready = true
	o.mu.Unlock()
	signal(o.conn)
}

// connOpen says whether the client may publish now: connected, and
// announced by Connected. Called with mu held.
func (o *Outbox) connOpen() bool {
	if !o.pub.IsConnectionOpen() {
		o.ready = false
	}
	return o.ready
}

// Commit stores snapshot (when not nil) and appends msgs to the outbox in
// one synced transaction, so that a crash leaves either both or neither:
// the session never holds an alert whose message was not queued.
//
// A retained message replaces the retained messages still waiting for
// the same topic, as the broker would: after a long outage the lane sends
// its latest state, not every state it went through. Other messages keep
// their order.
//
// Early messages are published before the write when nothing older is
// waiting (the outbox holds at most the message in flight on the current
// connection) and the client is connected; otherwise, and always for the
// others, the publisher sends them once the write is done. When the write
// fails the early ones may have gone out all the same.
func (o *Outbox) Commit(snapshot any, msgs ...Msg) error {
	o.wmu.Lock()
	defer o.wmu.Unlock()
	msgs = o.numbered(msgs, false)

	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return errors.New("journal: commit: outbox closed")
	}
	early := o.publishEarly(msgs)
	acked := slices.Clone(o.acked)
	stale := o.staleRetained(msgs)
	o.mu.Unlock()
	if early {
		// paho's writer, which the publish readied, runs now: the
		// fsync below would hold this P while it waits.
		runtime.Gosched()
	}
	var snap []byte
	if snapshot != nil {
		b, err := json.Marshal(snapshot)
		if err != nil {
			o.mu.Lock()
			for _, m := range msgs {
				delete(o.early, m.Seq)
			}
			o.mu.Unlock()
			return fmt.Errorf("journal: encode snapshot: %w", err)
		}
		snap = b
	}

	if o.o.BeforeWrite != nil {
		o.o.BeforeWrite()
	}
	var err error
	if o.o.WriteError != nil {
		err = o.o.WriteError()
	}
	if err == nil {
		err = write(o.db, snap, append(slices.Clone(acked), stale...), msgs)
	}

	o.mu.Lock()
	if err != nil {
		for _, m := range msgs {
			delete(o.early, m.Seq) // never reached the outbox
		}
		o.mu.Unlock()
		return fmt.Errorf("cannot write the journal %s: %w", o.path, err)
	}
	o.acked = without(o.acked, acked)
	o.flushFailed = false
	o.mu.Unlock()
	o.enqueue(msgs, stale, false)
	return nil
}

// numbered is a copy of msgs with their sequence numbers, for Commit or
// (volatile) for Send. Called with wmu held.
func (o *Outbox) numbered(msgs []Msg, volatile bool) []Msg {
	msgs = slices.Clone(msgs)
	for i := range msgs {
		o.last++
		msgs[i].Seq = o.last
		msgs[i].volatile = volatile
		if volatile {
			msgs[i].Early = false
		} else {
			msgs[i].Valid = nil
		}
	}
	return msgs
}

// enqueue drops the stale retained messages from the queue and appends
// msgs, then wakes the publisher. When the stale ones are still on disk
// (stillOnDisk), the next write deletes them. Called with wmu held.
func (o *Outbox) enqueue(msgs []Msg, stale []uint64, stillOnDisk bool) {
	o.mu.Lock()
	o.queue = slices.DeleteFunc(o.queue, func(m Msg) bool {
		if !slices.Contains(stale, m.Seq) {
			return false
		}
		if stillOnDisk && !m.volatile {
			o.acked = append(o.acked, m.Seq)
		}
		delete(o.early, m.Seq)
		return true
	})
	o.queue = append(o.queue, msgs...)
	o.mu.Unlock()
	if len(stale) > 0 {
		signal(o.shrunk)
	}
	if len(msgs) > 0 {
		signal(o.kick)
	}
}

// Send appends msgs to the outbox without journaling them: they are
// published in order after everything waiting, sent again after a lost
// connection like the rest, and lost if the lane stops first. It is for
// what must reach the broker while the journal cannot be written (the
// alert that says so, the state that shows the lane closed) and for what
// a restarted lane derives again anyway. A retained message replaces
// the waiting ones on its topic, as in Commit. Early is ignored; Valid,
// when set, is asked before each publish, and a message it refuses is
// dropped.
func (o *Outbox) Send(msgs ...Msg) error {
	o.wmu.Lock()
	defer o.wmu.Unlock()
	msgs = o.numbered(msgs, true)
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return errors.New("outbox: send: outbox closed")
	}
	stale := o.staleRetained(msgs)
	o.mu.Unlock()
	o.enqueue(msgs, stale, true)
	return nil
}

// publishEarly publishes the early messages of msgs when nothing older
// may go before them. Called with mu held.
func (o *Outbox) publishEarly(msgs []Msg) bool {
	if o.pub == nil || !slices.ContainsFunc(msgs, func(m Msg) bool { return m.Early }) {
		return false
	}
	switch {
	case len(o.queue) == 0:
	case len(o.queue) == 1 && o.queue[0].Seq == o.inflight.seq && o.inflight.gen == o.gen:
		// Published before these, on this connection: they follow it.
	default:
		return false
	}
	if !o.connOpen() {
		return false
	}
	for _, m := range msgs {
		if m.Early {
			o.early[m.Seq] = inflight{seq: m.Seq, tok: o.pub.Publish(m.Topic, 1, m.Retain, m.Payload), gen: o.gen}
		}
	}
	return true
}

// staleRetained lists the waiting retained messages on the topics msgs
// retain anew. Called with mu held.
func (o *Outbox) staleRetained(msgs []Msg) []uint64 {
	var stale []uint64
	for _, q := range o.queue {
		if q.Retain && slices.ContainsFunc(msgs, func(m Msg) bool { return m.Retain && m.Topic == q.Topic }) {
			stale = append(stale, q.Seq)
		}
	}
	return stale
}

// Pending returns the messages waiting for the broker, in order.
func (o *Outbox) Pending() []Msg {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.queue)
}

// Drain waits until the broker has every message or timeout has passed,
// and returns how many are still waiting.
func (o *Outbox) Drain(timeout time.Duration) int {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		o.mu.Lock()
		n := len(o.queue)
		o.mu.Unlock()
		if n == 0 {
			return 0
		}
		select {
		case <-o.shrunk:
		case <-deadline.C:
			return n
		}
	}
}

// Close stops the publisher, deletes the acknowledged messages from the
// journal and closes it. What is still waiting is sent after the next
// Open. Safe to call twice.
func (o *Outbox) Close() error {
	o.closeOnce.Do(func() {
		close(o.stop)
		o.wg.Wait()
		o.mu.Lock()
		o.closed = true // a Commit still writing finishes before flush
		o.mu.Unlock()
		ferr := o.flush()
		o.closeErr = errors.Join(ferr, o.db.Close())
	})
	return o.closeErr
}

// flush deletes the acknowledged messages from the journal, synced.
func (o *Outbox) flush() error {
	o.wmu.Lock()
	defer o.wmu.Unlock()
	o.mu.Lock()
	acked := slices.Clone(o.acked)
	o.mu.Unlock()
	if len(acked) == 0 {
		return nil
	}
	if err := write(o.db, nil, acked, nil); err != nil {
		return fmt.Errorf("cannot write the journal %s: %w", o.path, err)
	}
	o.mu.Lock()
	o.acked = without(o.acked, acked)
	o.mu.Unlock()
	return nil
}

// run is the publisher goroutine.
func (o *Outbox) run() {
	defer o.wg.Done()
	check := time.NewTicker(o.o.CheckInterval)
	defer check.Stop()
	for {
		cur, m, st := o.next()
		switch st {
		case empty:
			select {
			case <-o.kick:
			case <-o.conn:
			case <-o.stop:
				return
			}
			continue
		case offline:
			select {
			case <-o.conn:
			case <-check.C:
			case <-o.stop:
				return
			}
			continue
		}
		if !o.await(cur, m, check.C) {
			return
		}
	}
}

type nextState uint8

const (
	sending nextState = iota
	empty
	offline
)

// next publishes the first waiting message (or takes its early publish
// on this connection) and makes it the one in flight.
func (o *Outbox) next() (inflight, Msg, nextState) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.inflight = inflight{}
	if len(o.queue) == 0 {
		return inflight{}, Msg{}, empty
	}
	if !o.connOpen() {
		return inflight{}, Msg{}, offline
	}
	for len(o.queue) > 0 && o.queue[0].volatile && o.queue[0].Valid != nil && !o.queue[0].Valid() {
		delete(o.early, o.queue[0].Seq)
		o.queue = slices.Delete(o.queue, 0, 1)
		signal(o.shrunk)
	}
	if len(o.queue) == 0 {
		return inflight{}, Msg{}, empty
	}
	m := o.queue[0]
	cur := inflight{seq: m.Seq, gen: o.gen}
	if e, ok := o.early[m.Seq]; ok {
		delete(o.early, m.Seq)
		if e.gen == o.gen {
			cur.tok = e.tok
		}
	}
	if cur.tok == nil {
		cur.tok = o.pub.Publish(m.Topic, 1, m.Retain, m.Payload)
	}
	o.inflight = cur
	return cur, m, sending
}

// await waits for cur's PUBACK and acknowledges m; it returns early when
// the connection went away (the message is sent again on the next one).
// It returns false when the outbox is stopping.
func (o *Outbox) await(cur inflight, m Msg, check <-chan time.Time) bool {
	for {
		select {
		case <-cur.tok.Done():
			if err := cur.tok.Error(); err != nil {
				// Not at once: the client has just said it cannot. Each
				// failure in a row doubles the wait, up to MaxBackoff, so
				// a message that always fails costs a log line now and
				// then, not a core.
				wait := o.backoff()
				o.log.Warn("mqtt publish failed; will retry", "topic", m.Topic, "err", err, "retry_in", wait)
				o.clearInflight()
				select {
				case <-o.o.after(wait):
				case <-o.stop:
					return false
				}
				return true
			}
			o.failures = 0
			o.ack(m.Seq)
			return true
		case <-o.conn:
			if !o.sameConn(cur.gen) {
				return true
			}
		case <-check:
			if !o.sameConn(cur.gen) {
				return true
			}
		case <-o.stop:
			return false
		}
	}
}

// backoff counts a failed publish and returns the wait before the next
// try. Called by the publisher goroutine only.
func (o *Outbox) backoff() time.Duration {
	wait := o.o.CheckInterval
	for i := 0; i < o.failures && wait < o.o.MaxBackoff; i++ {
		wait *= 2
	}
	o.failures++
	return min(wait, o.o.MaxBackoff)
}

// sameConn says whether the connection gen is still open.
func (o *Outbox) sameConn(gen uint64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.connOpen() && o.gen == gen
}

func (o *Outbox) clearInflight() {
	o.mu.Lock()
	o.inflight = inflight{}
	o.mu.Unlock()
}

// ack removes a delivered message from the outbox; the disk forgets it
// with the next write.
func (o *Outbox) ack(seq uint64) {
	o.mu.Lock()
	o.inflight = inflight{}
	if i := slices.IndexFunc(o.queue, func(m Msg) bool { return m.Seq == seq }); i >= 0 {
		if !o.queue[i].volatile {
			o.acked = append(o.acked, seq)
		}
		o.queue = slices.Delete(o.queue, i, i+1)
	}
	full := len(o.acked) >= maxDeferredAcks && !o.flushFailed
	o.mu.Unlock()
	signal(o.shrunk)
	if full {
		if err := o.flush(); err != nil {
			// Once: the next Commit deletes them, or tells its caller
			// that the journal cannot be written.
			o.mu.Lock()
			o.flushFailed = true
			o.mu.Unlock()
			o.log.Error("outbox: acknowledged messages stay in the journal until the next write", "err", err)
		}
	}
}

// without returns s without the elements of drop.
func without(s, drop []uint64) []uint64 {
	if len(drop) == 0 {
		return s
	}
	return slices.DeleteFunc(s, func(v uint64) bool { return slices.Contains(drop, v) })
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// NoStore is a paho Store that keeps nothing: the outbox is the lane's
// only copy of what is to be sent, and its publisher re-sends after a
// reconnect. Set it on the client (ClientOptions.SetStore). (paho's own
// resend of stored messages races with publishes made while it
// reconnects: eclipse-paho/paho.mqtt.golang#703.)
type NoStore struct{}

func (NoStore) Open()                             {}
func (NoStore) Put(string, packets.ControlPacket) {}
func (NoStore) Get(string) packets.ControlPacket  { return nil }
func (NoStore) All() []string                     { return nil }
func (NoStore) Del(string)                        {}
func (NoStore) Close()                            {}
func (NoStore) Reset()                            {}

var _ paho.Store = NoStore{}
