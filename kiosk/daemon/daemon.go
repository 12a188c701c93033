package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/internal/fifo"
	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/kiosk"
	"github.com/sco-project/sco/kiosk/laneconfig"
	"github.com/sco-project/sco/kiosk/outbox"
	"github.com/sco-project/sco/protocol"
)

// Opts configures a Daemon. The zero value opens everything from the
// config: devices by their ports, the catalogue from its file, the local
// API on ui.listen, uses the real clock and logs nothing. New fills the
// defaults in (Opts.ensureDefaults).
type Opts struct {
	// Logger receives the daemon's logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NewID returns unique session and alert ids; nil means
	// {lane}-{yyyymmdd}-{hhmmss}-{random}, unique across restarts.
	NewID func() string
	// Scanner, Scale, Light and Button replace the devices the config
	// names (the simulator passes its own); they stay the caller's to
	// close. nil opens them from the config (and Run closes them); a lane
	// with no GPIO pins has no light or button.
	Scanner devices.Scanner
	Scale   devices.Scale
	Light   devices.Light
	Button  devices.Button
	// Catalog replaces the catalogue file; nil loads cfg.Catalog.
	Catalog kiosk.Catalog
	// Listener serves the local API; nil listens on cfg.UI.Listen.
	Listener net.Listener
	// ClientID is the MQTT client id; "" means the MQTT username, or
	// sco-lane-{store}-{lane} without one.
	ClientID string
	// ShutdownTimeout bounds how long Run waits on SIGTERM for the
	// broker to take the offline state; 0 means 3s.
	ShutdownTimeout time.Duration
	// RecordDir, when set, receives a transcript of each serial device
	// the daemon opens (scanner_session.txt, scale_session.txt; see
	// serialport.ParseTranscript): a session on real hardware becomes a
	// test fixture for devicestest.Line.Play.
	RecordDir string

	// beforeCommit, when set (tests), runs in each outbox commit before
	// its journal write (outbox.Opts.BeforeWrite).
	beforeCommit func()
	// writeError, when set (tests), fails the journal writes while it
	// returns an error (outbox.Opts.WriteError).
	writeError func() error
	// httpTimeouts, when set (tests), replaces the local API's read and
	// write timeouts; keepalive the event stream's keep-alive interval
	// (15s).
	httpTimeouts time.Duration
	keepalive    time.Duration
}

func (o *Opts) httpTimeout(d time.Duration) time.Duration {
	if o.httpTimeouts > 0 {
		return o.httpTimeouts
	}
	return d
}

// Daemon is one running lane. Create it with New, run it with Run.
type Daemon struct {
	cfg  *laneconfig.Config
	log  *slog.Logger
	now  func() time.Time
	opts Opts

	eng     *kiosk.Engine
	out     *outbox.Outbox // journal, outbox and publisher
	weights *weightStore   // learned weights in data_dir
	scanner devices.Scanner
	scale   devices.Scale
	light   devices.Light
	button  devices.Button
	ownDevs []func() error // closers of what New opened

	client paho.Client
	inbox  *fifo.Queue[inMsg] // paho handlers -> engine goroutine

	ln    net.Listener
	srv   *http.Server
	guard *guard // Host, origin, token and size checks (guard.go)
	hub   *hub

	metrics *metrics // GET /metrics

	reqs     chan request
	loopDone chan struct{}
	state    atomic.Pointer[protocol.LaneState] // latest, with basket

	// bridgeDown: the bridge is known to be offline on the current
	// connection (broadcast pages are valid); set by the engine
	// goroutine, cleared on every connect.
	bridgeDown atomic.Bool

	// Owned by the engine goroutine.
	bridge    bridgeStatus
	lastLight devices.LightPattern
	lost      map[string]bool // device -> lost (for its reconnects)
	// The journal cannot be written (fault.go): the next try at probeAt,
	// after probeWait; the rolled-back events to handle again after.
	faulted   bool
	probeAt   time.Time
	probeWait time.Duration
	kept      []kiosk.Event

	closeOnce sync.Once
	closeErr  error
}

type bridgeStatus uint8

const (
	bridgeUnknown bridgeStatus = iota
	bridgeOnline
	bridgeOffline
)

// New prepares a lane: it opens the journal (and restores the session it
// holds), loads the catalogue, opens the devices and the local API port,
// and builds the MQTT client. Nothing runs until Run. A device that cannot
// be opened is not an error: its driver keeps retrying and the engine sees
// it as lost (device_fault after device_grace).
func New(cfg *laneconfig.Config, o *Opts) (*Daemon, error) {
	d := &Daemon{
		cfg:      cfg,
		inbox:    fifo.New[inMsg](),
		hub:      newHub(maxStreams),
		reqs:     make(chan request),
		loopDone: make(chan struct{}),
	}
	if o != nil {
		d.opts = *o
	}
	d.opts.ensureDefaults(cfg)
	d.log = d.opts.Logger.With("store", cfg.Store, "lane", cfg.Lane)
	d.now = d.opts.Now
	if err := d.open(d.opts.NewID); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// ensureDefaults fills in the fields of o whose zero value means a
// default. (The devices, the catalogue and the listener are not defaults
// but things New opens from cfg.)
func (o *Opts) ensureDefaults(cfg *laneconfig.Config) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewID == nil {
		now := o.Now
		o.NewID = func() string { return NewID(cfg.Lane, now()) }
	}
	if o.ClientID == "" {
		o.ClientID = cfg.MQTT.ClientID("sco-lane-" + cfg.Store + "-" + cfg.Lane)
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 3 * time.Second
	}
}

func (d *Daemon) open(newID func() string) error {
	cfg := d.cfg
	cat := d.opts.Catalog
	if cat == nil {
		c, err := kiosk.LoadCatalog(cfg.Catalog, cfg.Barcode.Layouts, cfg.Policy.DefaultToleranceG)
		if err != nil {
			return fmt.Errorf("daemon: %w", err)
		}
		cat = c
	}
	out, err := outbox.Open(cfg.DataDir, &outbox.Opts{LockTimeout: 2 * time.Second, Logger: d.log,
		BeforeWrite: d.opts.beforeCommit, WriteError: d.opts.writeError})
	if err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	d.out = out
	d.ownDevs = append(d.ownDevs, out.Close)
	d.metrics = newMetrics(cfg.Store, cfg.Lane,
		func() bool { return d.client.IsConnectionOpen() }, // set below, before anything serves
		func() int { return len(d.out.Pending()) })

	d.eng = kiosk.NewEngine(kiosk.EngineConfig{Store: cfg.Store, Lane: cfg.Lane, Zone: cfg.Zone, Policy: cfg.Policy, NewID: newID}, cat)
	ws, learned := openWeights(cfg.DataDir, d.log, d.now)
	d.weights = ws
	d.ownDevs = append(d.ownDevs, ws.Close)
	d.eng.SetLearned(learned)
	if len(learned) > 0 {
		d.log.Info("learned weights loaded", "items", len(learned), "file", ws.path)
	}
	var snap kiosk.Snapshot
	ok, err := out.LoadSnapshot(&snap)
	if err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	if ok {
		if err := d.eng.Restore(snap); err != nil {
			return fmt.Errorf("daemon: restore session from %s: %w", cfg.DataDir, err)
		}
		st := d.eng.State()
		d.log.Info("session restored", "session", st.Session, "items", st.Items, "alerts", len(st.Alerts))
	}

	st := d.eng.State()
	if st.TS.IsZero() {
		st.TS = protocol.At(d.now()) // a new lane: its state is as of now
	}
	d.state.Store(&st) // the local API reads this, never the engine

	if err := d.openDevices(); err != nil {
		return err
	}

	d.ln = d.opts.Listener
	if d.ln == nil {
		ln, err := net.Listen("tcp", cfg.UI.Listen)
		if err != nil {
			return fmt.Errorf("daemon: ui.listen: %w", err)
		}
		d.ln = ln
	}
	srv, err := d.newServer(cfg.UI)
	if err != nil {
		return err
	}
	d.srv = srv

	clientID := d.opts.ClientID
	// The will is fixed at connect time, so it names the lane and says
	// offline, and nothing about the session that would go stale.
	will := protocol.LaneState{Store: cfg.Store, Lane: cfg.Lane, Zone: cfg.Zone, State: protocol.StateOffline,
		Light: string(devices.LightOff), Alerts: []string{}}
	w := &mqttc.Will{Topic: protocol.LaneStateTopic(cfg.Store, cfg.Lane), Payload: protocol.Encode(will), QoS: 1, Retain: true}
	mopts, err := cfg.MQTT.Options(clientID, w, d.onConnect, d.onConnectionLost)
	if err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	// Messages must reach the engine in the order they arrived (an assist
	// "paged" then "claimed"); the handler only queues, so paho may call
	// it in order on its own goroutine.
	mopts.SetOrderMatters(true)
	mopts.SetDefaultPublishHandler(d.onMessage)
	mopts.SetStore(outbox.NoStore{})
	(&mqttc.Reporter{Log: d.log}).Watch(mopts) // failed connects are logged, with why
	d.client = paho.NewClient(mopts)
	return nil
}

// Addr is the address the local API listens on.
func (d *Daemon) Addr() string { return d.ln.Addr().String() }

// NewID returns an id unique across restarts: lane, UTC time to the
// second and 48 random bits, e.g. 3-20261123-101502-9f2c4e1a7b3d.
func NewID(lane string, now time.Time) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("daemon: no randomness: " + err.Error())
	}
	return lane + "-" + now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// Run runs the lane until ctx is cancelled, then shuts down cleanly: the
// offline state is published (retained), the devices and the journal are
// closed. It returns nil after a clean shutdown.
func (d *Daemon) Run(ctx context.Context) error {
	defer d.Close()
	// Connect in the background: paho retries until the broker is up;
	// the outbox holds everything meanwhile.
	d.out.Start(d.client)
	d.client.Connect()

	srvErr := make(chan error, 1)
	go func() {
		err := d.srv.Serve(d.ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		srvErr <- err
	}()

	loopCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(d.loopDone)
		d.loop(loopCtx)
	}()

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-srvErr:
		runErr = fmt.Errorf("daemon: local API: %w", err)
		srvErr <- nil
	}
	cancel()
	<-d.loopDone
	d.log.Info("shutting down")

	// The offline state goes through the outbox like everything else, so
	// it is ordered after what is still pending (without the journal when
	// it cannot be written).
	off := d.stateMsg(d.offlineState())
	if d.faulted {
		d.send(off)
	} else if err := d.out.Commit(nil, off); err != nil {
		d.log.Error("journal offline state", "err", err)
		d.send(off)
	}
	if n := d.out.Drain(d.opts.ShutdownTimeout); n > 0 {
		d.log.Warn("broker did not take every message before shutdown; they stay in the outbox for the next start", "pending", n)
	}
	if err := d.out.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("daemon: %w", err)
	}
	d.client.Disconnect(250)

	d.hub.close()
	sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer scancel()
	if err := d.srv.Shutdown(sctx); err != nil {
		d.log.Warn("local API shutdown", "err", err)
	}
	<-srvErr
	if d.light != nil {
		if err := d.light.Set(devices.LightOff); err != nil {
			d.log.Warn("light off", "err", err)
		}
	}
	if err := d.Close(); err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}

// Close releases the devices and the journal. Run calls it; it is for
// the case where Run is never called. Safe to call twice.
func (d *Daemon) Close() error {
	d.closeOnce.Do(func() {
		if d.ln != nil {
			d.ln.Close() // already closed after Run: the error says so and is of no interest
		}
		var errs []error
		for i := len(d.ownDevs) - 1; i >= 0; i-- {
			if err := d.ownDevs[i](); err != nil {
				errs = append(errs, err)
			}
		}
		d.closeErr = errors.Join(errs...)
	})
	return d.closeErr
}

// ReloadCatalog loads the catalogue file again and hands it to the
// engine (SIGHUP). On error the old catalogue stays in use.
func (d *Daemon) ReloadCatalog() error {
	cat, err := kiosk.LoadCatalog(d.cfg.Catalog, d.cfg.Barcode.Layouts, d.cfg.Policy.DefaultToleranceG)
	if err != nil {
		return fmt.Errorf("daemon: reload: %w (keeping the old catalogue)", err)
	}
	_, err = d.do(request{kind: reqCatalog, catalog: cat})
	return err
}

// State returns the latest lane state, with the basket.
func (d *Daemon) State() protocol.LaneState { return d.apiState() }

func (d *Daemon) offlineState() protocol.LaneState {
	// The last state, marked offline. Seq stays: it counts session
	// changes, and the session did not change.
	st := d.apiState()
	st.TS = protocol.At(d.now())
	st.Online = false
	st.State = protocol.StateOffline
	st.Light = string(devices.LightOff)
	st.Basket = nil
	if st.Alerts == nil {
		st.Alerts = []string{}
	}
	return st
}
