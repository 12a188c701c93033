package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/internal/mosquittoproc"
	"github.com/sco-project/sco/simulator/harness"
	"github.com/sco-project/sco/simulator/vdev"
)

// module is the import path the binaries are built from.
const module = "github.com/sco-project/sco"

// MosquittoConf is the broker config process mode runs Mosquitto with,
// for the loopback port %d: what a store's broker needs for the lanes'
// traffic. set_tcp_nodelay: without it Mosquitto's small packets wait for
// the peer's delayed ACK (Nagle), 40 ms at a time. No queue or in-flight
// limit: a burst queues thousands of QoS 1 messages for one subscriber,
// which Mosquitto would otherwise drop.
const MosquittoConf = `listener %d 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
max_inflight_messages 0
set_tcp_nodelay true
`

// stopTimeout is how long a process has to stop after SIGTERM before it
// is killed.
const stopTimeout = 5 * time.Second

// startProcs starts the store as it is deployed: Mosquitto (unless
// o.Broker names a broker), the attendant-bridge process and one kioskd
// process per lane, each lane with its journal under dir and a virtual
// scanner and NCI scale on ptys hosted here. It returns once the bridge
// and every lane are online.
func startProcs(ctx context.Context, o Opts, dir string, lanes []harness.LaneSpec, roster []attendant.Attendant) (w *world, err error) {
	w = &world{id: "s1", mqtt: o.MQTT}
	defer func() {
		if err != nil {
			w.close()
		}
	}()
	kioskd, bridge, err := binaries(ctx, o, dir)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Progress, "bench: binaries %s, %s\n", kioskd, bridge)
	var env []string
	if len(o.ChildEnv) > 0 {
		env = append(os.Environ(), o.ChildEnv...)
	}
	gctrace := gcTraced(env)

	w.mqtt.Broker = o.Broker
	if o.Broker == "" {
		m, stop, err := startMosquitto(ctx, o.Mosquitto, dir)
		if err != nil {
			return nil, err
		}
		w.procs = append(w.procs, m)
		w.stops = append(w.stops, stop)
		w.mqtt.Broker = m.broker.URL()
	}
	if err := w.mqtt.Validate(); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	obs, err := harness.NewObserver(w.mqtt, w.id, fmt.Sprintf("bench-observer-%s-%d", w.id, os.Getpid()))
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	w.observer = obs
	w.stops = append(w.stops, obs.Close)

	bcfg := filepath.Join(dir, "bridge.yaml")
	if err := os.WriteFile(bcfg, []byte(bridgeYAML(w, filepath.Join(dir, "bridge"), roster)), 0o600); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	// -log-format json: as docs/lane.md's systemd unit runs kioskd.
	b, err := startProc("attendant-bridge", filepath.Join(dir, "bridge.log"), env, bridge, "-config", bcfg, "-log-format", "json")
	if err != nil {
		return nil, err
	}
	b.gctrace = gctrace
	w.procs = append(w.procs, b)
	w.stops = append(w.stops, func() { stopProcs([]*proc{b}, stopTimeout) })

	catalog, err := harness.WriteDemoCatalog(dir)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	var kids []*proc
	// Stopped before their devices close (stops run last first), all
	// at once.
	defer func() { w.stops = append(w.stops, func() { stopProcs(kids, stopTimeout) }) }()
	for i, spec := range lanes {
		ldir := filepath.Join(dir, "lane-"+spec.ID)
		sc, err := vdev.NewScanner(vdev.ScannerOpts{Dir: ldir})
		if err != nil {
			return nil, fmt.Errorf("bench: lane %s: %w", spec.ID, err)
		}
		w.stops = append(w.stops, func() { sc.Close() })
		sl, err := vdev.NewScale(vdev.ScaleOpts{Dir: ldir, Physics: vdev.PhysicsOpts{Seed: uint64(i + 1)}})
		if err != nil {
			return nil, fmt.Errorf("bench: lane %s: %w", spec.ID, err)
		}
		w.stops = append(w.stops, func() { sl.Close() })
		cfg := filepath.Join(ldir, "lane.yaml")
		if err := os.WriteFile(cfg, []byte(laneYAML(w, spec, filepath.Join(ldir, "data"), catalog, sc.Path(), sl.Path())), 0o600); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		k, err := startProc("kioskd "+spec.ID, filepath.Join(ldir, "kioskd.log"), env, kioskd, "-config", cfg, "-log-format", "json")
		if err != nil {
			return nil, err
		}
		k.gctrace = gctrace
		kids = append(kids, k)
		w.lanes = append(w.lanes, lane{id: spec.ID, scan: func() error { return sc.Scan(UnknownGTIN, "") }})
	}
	w.procs = append(w.procs, kids...)
	w.procs = append(w.procs, &proc{name: "kiosk-sim (bench: devices, probes, pagers)", pid: os.Getpid()})

	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err = obs.Until(wctx, func() bool {
		for _, p := range w.procs {
			if p.exited() {
				return true // reported below
			}
		}
		for _, l := range w.lanes {
			if st, ok := obs.LaneState(l.id); !ok || !st.Online {
				return false
			}
		}
		return true
	})
	for _, p := range w.procs {
		if p.exited() {
			return nil, fmt.Errorf("bench: %s exited: %v%s", p.name, p.exitErr(), w.logTails())
		}
	}
	if err != nil {
		return nil, fmt.Errorf("bench: lanes did not come online: %w%s", err, w.logTails())
	}
	if _, _, err := obs.Find(wctx, 0, nil, func(e harness.Event) bool { return e.Bridge != nil && e.Bridge.Online }); err != nil {
		return nil, fmt.Errorf("bench: the bridge did not come online: %w%s", err, w.logTails())
	}
	return w, nil
}

// binaries finds or builds kioskd and attendant-bridge: o's paths, else
// the ones next to this executable, else go build into dir/bin.
func binaries(ctx context.Context, o Opts, dir string) (kioskd, bridge string, err error) {
	kioskd, bridge = o.Kioskd, o.Bridge
	near := ""
	if exe, err := os.Executable(); err == nil {
		near = filepath.Dir(exe)
	}
	var build []string
	for _, b := range []struct {
		path *string
		name string
	}{{&kioskd, "kioskd"}, {&bridge, "attendant-bridge"}} {
		if *b.path != "" {
			continue
		}
		if p := filepath.Join(near, b.name); near != "" && isExecutable(p) {
			*b.path = p
			continue
		}
		*b.path = filepath.Join(dir, "bin", b.name)
		build = append(build, module+"/cmd/"+b.name)
	}
	if len(build) == 0 {
		return kioskd, bridge, nil
	}
	args := append([]string{"build", "-o", filepath.Join(dir, "bin") + string(filepath.Separator)}, build...)
	out, err := exec.CommandContext(ctx, "go", args...).CombinedOutput()
	if err != nil {
		return "", "", fmt.Errorf("bench: go %s (run inside the sco module, or name the binaries with -kioskd and -bridge): %w\n%s",
			strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return kioskd, bridge, nil
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// MosquittoBinary finds the mosquitto executable, or returns "".
func MosquittoBinary() string { return mosquittoproc.Find("mosquitto") }

// startMosquitto runs bin ("" means MosquittoBinary) with MosquittoConf
// on a free loopback port, through mosquittoproc, its output going to
// dir/mosquitto.log, and returns once it accepts connections. stop stops
// it (SIGTERM, SIGKILL after stopTimeout) and closes its log.
func startMosquitto(ctx context.Context, bin, dir string) (p *proc, stop func(), err error) {
	if bin == "" {
		if bin = MosquittoBinary(); bin == "" {
			return nil, nil, errors.New("bench: mosquitto not found (install Debian's mosquitto package, or pass -mosquitto or -broker)")
		}
	}
	logPath := filepath.Join(dir, "mosquitto.log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, nil, fmt.Errorf("bench: mosquitto: %w", err)
	}
	conf := func(port int) (string, error) { return fmt.Sprintf(MosquittoConf, port), nil }
	b, err := mosquittoproc.Start(ctx, mosquittoproc.Opts{Bin: bin, Dir: dir, Conf: conf, Out: f, StopWait: stopTimeout})
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("bench: %w", err)
	}
	stop = func() {
		_ = b.Stop() // it has exited once Stop returns, so its log is complete
		f.Close()
	}
	return &proc{name: "mosquitto", pid: b.Pid, broker: b, log: logPath, done: b.Done()}, stop, nil
}

func bridgeYAML(w *world, dataDir string, roster []attendant.Attendant) string {
	var b strings.Builder
	fmt.Fprintf(&b, "store: %s\ndata_dir: %q\n%sattendants:\n", w.id, dataDir, w.mqtt.YAML())
	for _, a := range roster {
		fmt.Fprintf(&b, "  - {id: %s, name: %q, zone: %s, roles: [%s]}\n", a.ID, a.Name, a.Zone, strings.Join(a.Roles, ", "))
	}
	fmt.Fprintf(&b, "limits: {pager_cmds_per_s: %g, pager_cmd_burst: %d}\n", limits.PagerCmdsPerS, limits.PagerCmdBurst)
	return b.String()
}

func laneYAML(w *world, spec harness.LaneSpec, dataDir, catalog, scanner, scale string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "store: %s\nlane: %q\nzone: %s\ndata_dir: %q\ncatalog: %q\n%s", w.id, spec.ID, spec.Zone, dataDir, catalog, w.mqtt.YAML())
	fmt.Fprintf(&b, "scanner: {port: %q, baud: 9600}\n", scanner)
	fmt.Fprintf(&b, "scale: {port: %q, protocol: nci, baud: 9600, data_bits: 7, parity: even}\n", scale)
	b.WriteString("ui: {listen: \"127.0.0.1:0\"}\n")
	if len(spec.Policy) > 0 {
		b.WriteString("policy:\n")
		for k, v := range spec.Policy {
			fmt.Fprintf(&b, "  %s: %s\n", k, v)
		}
	}
	return b.String()
}

// gcTraced says whether env (nil: this process's) turns gctrace on.
func gcTraced(env []string) bool {
	if env == nil {
		env = os.Environ()
	}
	on := false
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok {
			on = false // the last one counts
			for _, s := range strings.Split(v, ",") {
				if s == "gctrace=1" {
					on = true
				}
			}
		}
	}
	return on
}
