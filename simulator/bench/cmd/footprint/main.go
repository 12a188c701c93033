// Command footprint measures one kioskd process: start-up time to ready
// (GET /api/state answering), resident memory and CPU while idle and
// during a busy session, read from /proc. FOOTPRINT_DEBUG=1 runs kioskd
// at debug level and prints its log and each state. It runs the lane's world itself
// (an embedded broker, a virtual scanner and NCI scale on ptys, the demo
// catalogue) so that only kioskd is measured. scripts/footprint.sh
// builds kioskd and runs it.
//
//	go run ./simulator/bench/cmd/footprint -kioskd /tmp/kioskd -idle 10s -busy 10s
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sco-project/sco/internal/broker"
	"github.com/sco-project/sco/simulator/harness"
	"github.com/sco-project/sco/simulator/vdev"
)

func main() {
	if err := mainImpl(); err != nil {
		fmt.Fprintln(os.Stderr, "footprint:", err)
		os.Exit(1)
	}
}

func mainImpl() error {
	kioskd := flag.String("kioskd", "", "path to the kioskd binary (required)")
	idle := flag.Duration("idle", 10*time.Second, "how long to measure the idle lane")
	busy := flag.Duration("busy", 15*time.Second, "how long to measure a busy session")
	// The lane accepts an item once the scale has held the weight for a
	// moment; 1.5s per item is a brisk shopper every item of whom counts.
	every := flag.Duration("every", 1500*time.Millisecond, "busy session: one item scanned and bagged this often")
	poll := flag.Duration("poll", 0, "scale.poll_interval for the lane; 0 means kioskd's default")
	flag.Parse()
	if *kioskd == "" {
		return errors.New("-kioskd is required")
	}
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
`, filepath.Join(dir, "data"), catalog, br.URL(), sc.Path(), sl.Path(), pollYAML(*poll), addr)
	if err := os.WriteFile(cfg, []byte(yml), 0o640); err != nil {
		return err
	}

	var stderr bytes.Buffer
	args := []string{"-config", cfg}
	if os.Getenv("FOOTPRINT_DEBUG") != "" {
		args = append(args, "-log-level", "debug")
	}
	cmd := exec.Command(*kioskd, args...)
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
	ready, err := waitReady(url, t0, 10*time.Second)
	if err != nil {
		return fmt.Errorf("%w; kioskd said: %s", err, strings.TrimSpace(stderr.String()))
	}
	pid := cmd.Process.Pid
	fi, err := os.Stat(*kioskd)
	if err != nil {
		return err
	}
	fmt.Printf("binary_bytes        %d\n", fi.Size())
	fmt.Printf("startup_to_ready    %v\n", ready.Round(100*time.Microsecond))

	idleCPU, idleRSS, err := measure(pid, *idle, nil)
	if err != nil {
		return err
	}
	fmt.Printf("idle_rss_kb         %d\n", idleRSS)
	fmt.Printf("idle_cpu_percent    %.2f (of one core, over %v)\n", idleCPU, *idle)

	n := 0
	step := func() {
		n++
		_ = sc.Scan(harness.GTINCola, "")
		sl.Place(355)
		if os.Getenv("FOOTPRINT_DEBUG") != "" {
			b, _ := get(url)
			fmt.Fprintln(os.Stderr, b)
		}
	}
	busyCPU, busyRSS, err := measure(pid, *busy, &busyDriver{every: *every, step: step})
	if err != nil {
		return err
	}
	fmt.Printf("busy_rss_kb         %d\n", busyRSS)
	fmt.Printf("busy_cpu_percent    %.2f (of one core, over %v, one item every %v: %d scanned)\n", busyCPU, *busy, *every, n)
	st, err := proc(pid, "status")
	if err != nil {
		return err
	}
	fmt.Printf("peak_rss_kb         %d\n", field(st, "VmHWM:"))
	fmt.Printf("threads             %d\n", field(st, "Threads:"))
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
	if os.Getenv("FOOTPRINT_DEBUG") != "" {
		fmt.Fprintln(os.Stderr, stderr.String())
	}
	fmt.Printf("final_state         %s, %d items in the basket\n", final.State, final.Items)
	return nil
}

func pollYAML(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return ", poll_interval: " + d.String()
}

type busyDriver struct {
	every time.Duration
	step  func()
}

// measure samples the process's CPU time over d (while drv, if any, runs
// its steps) and returns the CPU percentage of one core and VmRSS at the
// end in kB.
func measure(pid int, d time.Duration, drv *busyDriver) (float64, int, error) {
	c0, err := cpuTicks(pid)
	if err != nil {
		return 0, 0, err
	}
	t0 := time.Now()
	end := t0.Add(d)
	if drv == nil {
		time.Sleep(d) // measuring an idle process: waiting is the workload
	} else {
		tick := time.NewTicker(drv.every)
		for time.Now().Before(end) {
			drv.step()
			<-tick.C
		}
		tick.Stop()
	}
	c1, err := cpuTicks(pid)
	if err != nil {
		return 0, 0, err
	}
	wall := time.Since(t0)
	st, err := proc(pid, "status")
	if err != nil {
		return 0, 0, err
	}
	cpu := float64(c1-c0) / clkTck / wall.Seconds() * 100
	return cpu, field(st, "VmRSS:"), nil
}

// clkTck is USER_HZ, 100 on every Linux this runs on.
const clkTck = 100

// cpuTicks is utime+stime of pid in clock ticks (/proc/pid/stat fields
// 14 and 15).
func cpuTicks(pid int) (int64, error) {
	s, err := proc(pid, "stat")
	if err != nil {
		return 0, err
	}
	t, err := parseStatTicks(s)
	if err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return t, nil
}

// parseStatTicks reads utime+stime from a /proc/pid/stat line.
func parseStatTicks(s string) (int64, error) {
	// The command name (field 2) may hold spaces and parentheses; fields
	// count from after its last closing parenthesis.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("no command name")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("%d fields after the command name, want at least 13", len(f))
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	k, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return u + k, nil
}

func proc(pid int, name string) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, name))
	return string(b), err
}

// field is the number after key in a /proc status file, 0 if absent.
func field(status, key string) int {
	for _, line := range strings.Split(status, "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.Atoi(f[0])
				return n
			}
		}
	}
	return 0
}

// waitReady polls url until it answers 200 and returns the time since t0.
func waitReady(url string, t0 time.Time, limit time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
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
