package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/attendant/bridge"
	"github.com/sco-project/sco/attendant/web"
	"github.com/sco-project/sco/internal/broker"
	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/kiosk/daemon"
	"github.com/sco-project/sco/kiosk/laneconfig"
	"github.com/sco-project/sco/protocol"
	"github.com/sco-project/sco/simulator/vdev"
)

// LaneSpec describes one simulated lane.
type LaneSpec struct {
	ID    string // lane id; "" means its 1-based number
	Zone  string // "" means front
	Scale string // nci (default) | toledo | sics
	// Policy overrides, as in the lane config's policy block (YAML
	// values: "2s", "3").
	Policy map[string]string
	// ScaleSettle is how long the virtual scale moves after a change; 0
	// means the vdev default (400 ms).
	ScaleSettle time.Duration
}

// Opts configures a simulated store. The zero value runs store s1 with one
// lane, the default roster and escalation, and an embedded broker.
type Opts struct {
	// Broker is an MQTT broker URL; "" starts an embedded mochi broker on
	// a free loopback port.
	Broker string
	// MQTT carries credentials and TLS for Broker (its Broker field is
	// ignored).
	MQTT mqttc.Config
	// Logins, when not nil, has every part log in as itself, as in a
	// real store: the bridge as "bridge", lane N as "lane-N", each
	// virtual pager as its attendant id and the Observer as
	// ObserverLogin, each with the password Logins gives its username
	// (MQTT's username and password are then not used). A part whose
	// username has no password here does not start. The broker allows
	// one connection per username, so the store makes one per login.
	Logins map[string]string
	Store  string // "" means s1
	Lanes  []LaneSpec
	// Roster is the bridge's attendants; nil means DefaultRoster.
	Roster []attendant.Attendant
	// Escalation; zero fields take the bridge defaults.
	Escalation attendant.Escalation
	// Limits; zero fields take the bridge defaults.
	Limits attendant.Limits
	// NoBridge runs the store without an attendant bridge (lanes fall back
	// to broadcast paging).
	NoBridge bool
	// Web, when set, has the bridge serve the attendant app (package
	// attendant/web) as its web: block says; the roster's pin_hash
	// entries are the PINs to sign in with. Store.WebURL is its address.
	Web *web.Config
	// Dir holds data dirs, device links and the catalogue; "" means a new
	// temporary directory, removed by Close.
	Dir string
	// Logger receives every component's logs (the broker's, the
	// bridge's, each lane's, and each virtual pager's events at debug),
	// each line with its component; nil discards them.
	Logger *slog.Logger
}

// ObserverLogin is the username the Observer logs in with when
// Opts.Logins is set: a read-only login (it publishes nothing).
const ObserverLogin = "observer"

// DefaultRoster is the simulated store's staff.
var DefaultRoster = []attendant.Attendant{
	{ID: "ana", Name: "Ana", Zone: "front", Roles: []string{protocol.RoleAttendant, protocol.RoleAgeVerifier}},
	{ID: "ben", Name: "Ben", Zone: "back", Roles: []string{protocol.RoleAttendant}},
	{ID: "sue", Name: "Sue", Zone: "office", Roles: []string{protocol.RoleAttendant, protocol.RoleAgeVerifier, protocol.RoleSupervisor}},
}

// Store is a running simulated store.
type Store struct {
	ID        string
	BrokerURL string
	MQTT      mqttc.Config
	Dir       string
	Lanes     []*Lane
	Observer  *Observer
	Roster    []attendant.Attendant

	logins map[string]string
	log    *slog.Logger
	broker *broker.Broker
	bridge *bridge.Bridge
	bcfg   *bridge.Config
	tmp    bool
	pagers []*Pager
	// loggedIn are the attendants whose pagers are logged in (with
	// Opts.Logins: one each).
	loggedIn map[string]bool
	mu       sync.Mutex
	closeMu  sync.Once

	// stopBridge stops the bridge's Run, which then sends on bridgeDone.
	stopBridge context.CancelFunc
	bridgeDone chan error
}

// Lane is one simulated lane: real daemon code, virtual devices.
type Lane struct {
	ID      string
	Zone    string
	Scanner *vdev.VirtualScanner
	Scale   *vdev.VirtualScale
	Config  *laneconfig.Config
	// URL is the shopper screen, http://127.0.0.1:port/.
	URL string

	d      *daemon.Daemon
	cancel context.CancelFunc
	done   chan error
}

// ensureDefaults fills in the fields of o whose zero value means a
// default.
func (o *Opts) ensureDefaults() {
	if o.Store == "" {
		o.Store = "s1"
	}
	if len(o.Lanes) == 0 {
		o.Lanes = []LaneSpec{{}}
	}
	if o.Roster == nil {
		o.Roster = DefaultRoster
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Start starts the store and returns once every lane has published its
// state and the bridge (if any) is online.
func Start(ctx context.Context, o Opts) (s *Store, err error) {
	o.ensureDefaults()
	s = &Store{ID: o.Store, Dir: o.Dir, log: o.Logger, MQTT: o.MQTT, Roster: o.Roster, logins: o.Logins, loggedIn: map[string]bool{}}
	started := s // the returns below set s to nil on an error
	defer func() {
		if err != nil {
			started.Close()
		}
	}()
	if s.Dir == "" {
		if s.Dir, err = os.MkdirTemp("", "kiosk-sim-"); err != nil {
			return nil, fmt.Errorf("harness: %w", err)
		}
		s.tmp = true
	}
	s.BrokerURL = o.Broker
	if s.BrokerURL == "" {
		if s.broker, err = broker.Start(broker.Opts{Logger: s.log.With("component", "broker")}); err != nil {
			return nil, fmt.Errorf("harness: %w", err)
		}
		s.BrokerURL = s.broker.URL()
	}
	s.MQTT.Broker = s.BrokerURL
	if err := s.MQTT.Validate(); err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	ocfg, err := s.Login(ObserverLogin)
	if err != nil {
		return nil, err
	}
	if s.Observer, err = NewObserver(ocfg, s.ID, fmt.Sprintf("sim-observer-%s-%d", s.ID, os.Getpid())); err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	catalog, err := WriteDemoCatalog(s.Dir)
	if err != nil {
		return nil, fmt.Errorf("harness: catalogue: %w", err)
	}
	if !o.NoBridge {
		bcfg, err := s.Login("bridge")
		if err != nil {
			return nil, err
		}
		s.bcfg = &bridge.Config{
			Config: attendant.Config{Store: s.ID, Attendants: o.Roster, Escalation: o.Escalation, Limits: o.Limits},
			MQTT:   bcfg, DataDir: filepath.Join(s.Dir, "bridge"), Web: o.Web,
		}
		if err := s.bcfg.Validate(); err != nil {
			return nil, fmt.Errorf("harness: bridge config: %w", err)
		}
		if err := s.StartBridge(); err != nil {
			return nil, err
		}
	}
	for i, spec := range o.Lanes {
		l, err := s.startLane(i, spec, catalog)
		if err != nil {
			return nil, err
		}
		s.Lanes = append(s.Lanes, l)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	err = s.Observer.Until(wctx, func() bool {
		for _, l := range s.Lanes {
			if st, ok := s.Observer.LaneState(l.ID); !ok || !st.Online {
				return false
			}
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("harness: lanes did not come online: %w", err)
	}
	return s, nil
}

// Login is the MQTT config the part that logs in as user uses: MQTT
// with that user's name and password from Opts.Logins, or MQTT as it is
// when Opts.Logins is nil.
func (s *Store) Login(user string) (mqttc.Config, error) {
	c := s.MQTT
	if s.logins == nil {
		return c, nil
	}
	pw, ok := s.logins[user]
	if !ok {
		return c, fmt.Errorf("harness: no broker login for %s in Opts.Logins", user)
	}
	c.Username, c.Password, c.PasswordFile = user, pw, ""
	return c, nil
}

// StartBridge starts (or restarts) the attendant bridge and waits until it
// says it is online.
func (s *Store) StartBridge() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bcfg == nil {
		return errors.New("harness: this store runs without a bridge")
	}
	if s.bridge != nil {
		return nil
	}
	from := s.Observer.Len()
	b, err := bridge.New(s.bcfg, &bridge.Opts{Logger: s.log.With("component", "bridge")})
	if err != nil {
		return fmt.Errorf("harness: bridge: %w", err)
	}
	run, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(run) }()
	s.bridge, s.stopBridge, s.bridgeDone = b, stop, done
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, _, err = s.Observer.Find(ctx, from, nil, func(e Event) bool { return e.Bridge != nil && e.Bridge.Online })
	if err != nil {
		return fmt.Errorf("harness: bridge did not come online: %w", err)
	}
	return nil
}

// WebURL is the attendant app's address (http://127.0.0.1:port/) while
// the bridge runs with Opts.Web; "" otherwise.
func (s *Store) WebURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bridge == nil {
		return ""
	}
	return s.bridge.WebURL()
}

// StopBridge stops the bridge (its will tells the lanes it is offline).
func (s *Store) StopBridge() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bridge == nil {
		return nil
	}
	s.stopBridge()
	err := <-s.bridgeDone
	s.bridge = nil
	return err
}

func (s *Store) startLane(i int, spec LaneSpec, catalog string) (*Lane, error) {
	l := &Lane{ID: spec.ID, Zone: spec.Zone}
	if l.ID == "" {
		l.ID = fmt.Sprint(i + 1)
	}
	if l.Zone == "" {
		l.Zone = "front"
	}
	proto, err := vdev.ParseProtocol(orDefault(spec.Scale, "nci"))
	if err != nil {
		return nil, fmt.Errorf("harness: lane %s: %w", l.ID, err)
	}
	dir := filepath.Join(s.Dir, "lane-"+l.ID)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	if l.Scanner, err = vdev.NewScanner(vdev.ScannerOpts{Dir: dir}); err != nil {
		return nil, fmt.Errorf("harness: lane %s: %w", l.ID, err)
	}
	if l.Scale, err = vdev.NewScale(vdev.ScaleOpts{Dir: dir, Protocol: proto, Physics: vdev.PhysicsOpts{Settle: spec.ScaleSettle, Seed: uint64(i + 1)}}); err != nil {
		l.Scanner.Close()
		return nil, fmt.Errorf("harness: lane %s: %w", l.ID, err)
	}
	mqtt, err := s.Login("lane-" + l.ID)
	if err != nil {
		l.close()
		return nil, err
	}
	yml := laneYAML(s, l, mqtt, proto, dir, catalog, spec.Policy)
	cfgPath := filepath.Join(dir, "lane.yaml")
	if err := os.WriteFile(cfgPath, []byte(yml), 0o640); err != nil {
		l.close()
		return nil, fmt.Errorf("harness: %w", err)
	}
	if l.Config, err = laneconfig.Parse([]byte(yml), cfgPath); err != nil {
		l.close()
		return nil, fmt.Errorf("harness: lane %s: %w", l.ID, err)
	}
	if err := s.runLane(l); err != nil {
		l.close()
		return nil, err
	}
	return l, nil
}

func laneYAML(s *Store, l *Lane, mqtt mqttc.Config, proto vdev.Protocol, dir, catalog string, policy map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "store: %s\nlane: %q\nzone: %s\ndata_dir: %s\ncatalog: %s\n", s.ID, l.ID, l.Zone, filepath.Join(dir, "data"), catalog)
	b.WriteString(mqtt.YAML())
	fmt.Fprintf(&b, "scanner:\n  port: %s\n  baud: 9600\n", l.Scanner.Path())
	switch proto {
	case vdev.SICS:
		fmt.Fprintf(&b, "scale:\n  port: %s\n  protocol: sics\n  baud: 9600\n  data_bits: 8\n  parity: none\n", l.Scale.Path())
	default:
		fmt.Fprintf(&b, "scale:\n  port: %s\n  protocol: %s\n  baud: 9600\n  data_bits: 7\n  parity: even\n", l.Scale.Path(), proto)
	}
	b.WriteString("ui:\n  listen: 127.0.0.1:0\n")
	if len(policy) > 0 {
		b.WriteString("policy:\n")
		for k, v := range policy {
			fmt.Fprintf(&b, "  %s: %s\n", k, v)
		}
	}
	return b.String()
}

func (s *Store) runLane(l *Lane) error {
	// The daemon adds the store and lane to its lines.
	d, err := daemon.New(l.Config, &daemon.Opts{Logger: s.log.With("component", "lane"), ShutdownTimeout: time.Second})
	if err != nil {
		return fmt.Errorf("harness: lane %s: %w", l.ID, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.d, l.cancel, l.done = d, cancel, make(chan error, 1)
	l.URL = "http://" + d.Addr() + "/"
	go func() { l.done <- d.Run(ctx) }()
	return nil
}

func (l *Lane) stop() {
	if l.cancel == nil {
		return
	}
	l.cancel()
	<-l.done
	l.cancel = nil
}

func (l *Lane) close() {
	l.stop()
	if l.Scanner != nil {
		l.Scanner.Close()
	}
	if l.Scale != nil {
		l.Scale.Close()
	}
}

// State is the lane's current state, read from the daemon.
func (l *Lane) State() protocol.LaneState { return l.d.State() }

// Post calls the lane's local API (help, help/cancel, finish) and returns
// the HTTP status.
func (l *Lane) Post(path string) (int, error) {
	req, err := http.NewRequest(http.MethodPost, strings.TrimSuffix(l.URL, "/")+"/api/"+path, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("lane %s: POST /api/%s: %w", l.ID, path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// Lane returns the lane with id, or nil.
func (s *Store) Lane(id string) *Lane {
	for _, l := range s.Lanes {
		if l.ID == id {
			return l
		}
	}
	return nil
}

// Attendant returns the roster entry for id.
func (s *Store) Attendant(id string) (attendant.Attendant, bool) {
	for _, a := range s.Roster {
		if a.ID == id {
			return a, true
		}
	}
	return attendant.Attendant{}, false
}

// Close stops pagers, lanes, bridge, observer and broker, in that order.
// Safe to call twice.
func (s *Store) Close() {
	s.closeMu.Do(func() {
		s.mu.Lock()
		pagers := s.pagers
		s.mu.Unlock()
		for _, p := range pagers {
			p.Close()
		}
		for _, l := range s.Lanes {
			l.close()
		}
		if err := s.StopBridge(); err != nil {
			s.log.Warn("bridge did not stop cleanly", "err", err)
		}
		if s.Observer != nil {
			s.Observer.Close()
		}
		if s.broker != nil {
			s.broker.Close()
		}
		if s.tmp {
			os.RemoveAll(s.Dir)
		}
	})
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}
