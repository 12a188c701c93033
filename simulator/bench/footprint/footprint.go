package footprint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/sco-project/sco/internal/broker"
	"github.com/sco-project/sco/simulator/harness"
	"github.com/sco-project/sco/simulator/vdev"
)

// Opts configures Run. Only Kioskd is required; the zero value of every
// other field is the default named on it.
type Opts struct {
	Kioskd string        // path to the kioskd binary
	Idle   time.Duration // how long to measure the idle lane; 0: 10s
	Busy   time.Duration // how long to measure a busy session; 0: 15s
	// Every is how often the busy shopper scans and bags an item; 0:
	// 1.5s. The lane accepts an item once the scale has held the weight
	// for a moment; 1.5s is a brisk shopper every item of whom counts.
	Every time.Duration
	Poll  time.Duration // scale.poll_interval for the lane; 0: kioskd's default
	// Debug runs kioskd at debug level and writes its log and the lane's
	// state after each busy step to Log.
	Debug bool
	Out   io.Writer // the report, one line per measure; nil: os.Stdout
	Log   io.Writer // debug output; nil: os.Stderr
}

func (o *Opts) ensureDefaults() error {
	if o.Kioskd == "" {
		return errors.New("the kioskd binary is required")
	}
	if o.Idle == 0 {
		o.Idle = 10 * time.Second
	}
	if o.Busy == 0 {
		o.Busy = 15 * time.Second
	}
	if o.Every == 0 {
		o.Every = 1500 * time.Millisecond
	}
	if o.Idle < 0 || o.Busy < 0 || o.Every < 0 || o.Poll < 0 {
		return errors.New("durations must not be negative")
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if o.Log == nil {
		o.Log = os.Stderr
	}
	return nil
}

// Run starts kioskd in a world of its own, measures it and prints the
// report to o.Out as it goes. kioskd is interrupted and waited for before
// Run returns; cancelling ctx ends the measurement early with ctx's error.
func Run(ctx context.Context, o Opts) error {
	if err := o.ensureDefaults(); err != nil {
		return fmt.Errorf("footprint: %w", err)
	}
	if err := run(ctx, o); err != nil {
		return fmt.Errorf("footprint: %w", err)
	}
	return nil
}

func run(ctx context.Context, o Opts) error {
	dir, err := os.MkdirTemp("", "footprint-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	br, err := broker.Start(broker.Opts{})
	if err != nil {
		return err
	}
	defer br.Close()
	sc, err := vdev.NewScanner(vdev.ScannerOpts{Dir: dir})
	if err != nil {
		return err
	}
	defer sc.Close()
	sl, err := vdev.NewScale(vdev.ScaleOpts{Dir: dir, Physics: vdev.PhysicsOpts{Settle: 100 * time.Millisecond}})
	if err != nil {
		return err
	}
	defer sl.Close()
	catalog, err := harness.WriteDemoCatalog(dir)
	if err != nil {
		return err
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	cfg := filepath.Join(dir, "lane.yaml")
	yml := fmt.Sprintf(`store: s1
lane: "1"
zone: front
data_dir: %s
catalog: %s
mqtt: {broker: %s}
scanner: {port: %s, baud: 9600}
scale: {port: %s, protocol: nci, baud: 9600, data_bits: 7, parity: even%s}
ui: {listen: %s}
`, filepath.Join(dir, "data"), catalog, br.URL(), sc.Path(), sl.Path(), pollYAML(o.Poll), addr)
	if err := os.WriteFile(cfg, []byte(yml), 0o640); err != nil {
		return err
	}

	var stderr bytes.Buffer
	args := []string{"-config", cfg}
	if o.Debug {
		args = append(args, "-log-level", "debug")
	}
	cmd := exec.Command(o.Kioskd, args...)
	cmd.Stderr = &stderr
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	url := "http://" + addr + "/api/state"
	ready, err := waitReady(ctx, url, t0, 10*time.Second)
	if err != nil {
		return fmt.Errorf("%w; kioskd said: %s", err, strings.TrimSpace(stderr.String()))
	}
	pid := cmd.Process.Pid
	fi, err := os.Stat(o.Kioskd)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "binary_bytes        %d\n", fi.Size())
	fmt.Fprintf(o.Out, "startup_to_ready    %v\n", ready.Round(100*time.Microsecond))

	idleCPU, idleRSS, err := measure(ctx, pid, o.Idle, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "idle_rss_kb         %d\n", idleRSS)
	fmt.Fprintf(o.Out, "idle_cpu_percent    %.2f (of one core, over %v)\n", idleCPU, o.Idle)

	n := 0
	step := func() {
		n++
		_ = sc.Scan(harness.GTINCola, "")
		sl.Place(355)
		if o.Debug {
			b, _ := get(url)
			fmt.Fprintln(o.Log, b)
		}
	}
	busyCPU, busyRSS, err := measure(ctx, pid, o.Busy, &busyDriver{every: o.Every, step: step})
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "busy_rss_kb         %d\n", busyRSS)
	fmt.Fprintf(o.Out, "busy_cpu_percent    %.2f (of one core, over %v, one item every %v: %d scanned)\n", busyCPU, o.Busy, o.Every, n)
	st, err := proc(pid, "status")
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "peak_rss_kb         %d\n", field(st, "VmHWM:"))
	fmt.Fprintf(o.Out, "threads             %d\n", field(st, "Threads:"))
	body, err := get(url)
	if err != nil {
		return err
	}
	var final struct {
		State string `json:"state"`
		Items int    `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &final); err != nil {
		return fmt.Errorf("%s: %w", url, err)
	}
	if o.Debug {
		fmt.Fprintln(o.Log, stderr.String())
	}
	fmt.Fprintf(o.Out, "final_state         %s, %d items in the basket\n", final.State, final.Items)
	return nil
}

func pollYAML(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return ", poll_interval: " + d.String()
}

// waitReady polls url until it answers 200 and returns the time since t0.
func waitReady(ctx context.Context, url string, t0 time.Time, limit time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		if _, err := get(url); err == nil {
			return time.Since(t0), nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("kioskd did not answer %s within %v", url, limit)
		case <-time.After(time.Millisecond):
		}
	}
}

func get(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", url, resp.Status)
	}
	return b.String(), err
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
