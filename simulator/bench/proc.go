package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sco-project/sco/internal/mosquittoproc"
)

// proc is a process of the store: one the bench started (startProc), the
// Mosquitto it started (startMosquitto), or the bench itself (done nil).
type proc struct {
	name   string
	pid    int
	cmd    *exec.Cmd             // startProc's, else nil
	broker *mosquittoproc.Broker // startMosquitto's, else nil
	log    string                // its stdout and stderr
	done   <-chan struct{}       // closed once it has exited and been reaped
	// gctrace says it runs with GODEBUG=gctrace=1, so its log counts
	// its garbage collections.
	gctrace bool
	err     error // what Wait said, once done (startProc's)
	once    sync.Once
}

// startProc starts bin with args, its output going to logPath. env nil
// means this process's environment.
func startProc(name, logPath string, env []string, bin string, args ...string) (*proc, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("bench: %s: %w", name, err)
	}
	defer f.Close() // the child has its own descriptor
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr, cmd.Env = f, f, env
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: starting %s: %w", name, err)
	}
	done := make(chan struct{})
	p := &proc{name: name, pid: cmd.Process.Pid, cmd: cmd, log: logPath, done: done}
	go func() {
		p.err = cmd.Wait()
		close(done)
	}()
	return p, nil
}

// exited reports whether p has exited.
func (p *proc) exited() bool {
	if p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// exitErr is how p exited, once it has.
func (p *proc) exitErr() error {
	if p.broker != nil {
		return p.broker.Err()
	}
	return p.err
}

// stopProcs asks every process in ps that startProc started to stop
// (SIGTERM), waits for all of them up to timeout, kills (SIGKILL) those
// still running and waits for them too. Signals go to each process by its
// pid only. Safe to call twice.
func stopProcs(ps []*proc, timeout time.Duration) {
	var live []*proc
	for _, p := range ps {
		if p.cmd == nil {
			continue
		}
		p.once.Do(func() {
			_ = p.cmd.Process.Signal(sigTerm) // fails only if it has exited
			live = append(live, p)
		})
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for _, p := range live {
		select {
		case <-p.done:
			continue
		case <-deadline.C:
		}
		// Past the deadline: kill this one and every one after it
		// still running.
		for _, q := range live {
			if !q.exited() {
				_ = q.cmd.Process.Kill()
			}
		}
		break
	}
	for _, p := range live {
		<-p.done
	}
}

// tail is the last n lines of p's log.
func (p *proc) tail(n int) string {
	if p.log == "" {
		return ""
	}
	b, err := os.ReadFile(p.log)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// procSample is a process's counters at one moment.
type procSample struct {
	cpu, wait time.Duration // on a CPU; runnable, waiting for one
	slices    uint64        // times a thread of it was put on a CPU
	gcs       int           // -1: not known
	gcPause   time.Duration
	rssKB     int64
}

// sample reads p's scheduler counters (the sum over its threads of
// /proc/PID/task/*/schedstat), resident memory, and its garbage
// collections: from its gctrace lines for a child, from the runtime for
// this process.
func (p *proc) sample() procSample {
	s := procSample{gcs: -1}
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", p.pid))
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue // the thread ended
		}
		f := strings.Fields(string(b))
		if len(f) < 3 {
			continue
		}
		run, err1 := strconv.ParseInt(f[0], 10, 64)
		wait, err2 := strconv.ParseInt(f[1], 10, 64)
		n, err3 := strconv.ParseUint(f[2], 10, 64)
		if errors.Join(err1, err2, err3) != nil {
			continue
		}
		s.cpu += time.Duration(run)
		s.wait += time.Duration(wait)
		s.slices += n
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid)); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				s.rssKB, _ = strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			}
		}
	}
	if p.done == nil {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		s.gcs, s.gcPause = int(ms.NumGC), time.Duration(ms.PauseTotalNs)
	} else if b, err := os.ReadFile(p.log); err == nil && p.gctrace {
		s.gcs, s.gcPause = gcTrace(b)
	}
	return s
}

// gcTrace counts the GODEBUG=gctrace=1 lines in a log and sums their
// stop-the-world clock times.
//
//	gc 7 @2.013s 1%: 0.021+0.61+0.004 ms clock, 0.042+0.12/0.3/0+0.008 ms cpu, ...
func gcTrace(log []byte) (gcs int, pause time.Duration) {
	sc := bufio.NewScanner(bytes.NewReader(log))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "gc ") {
			continue
		}
		_, clock, ok := strings.Cut(line, "%: ")
		if !ok {
			continue
		}
		clock, _, ok = strings.Cut(clock, " ms clock")
		if !ok {
			continue
		}
		phases := strings.Split(clock, "+")
		if len(phases) != 3 {
			continue
		}
		gcs++
		for _, ph := range []string{phases[0], phases[2]} { // the two stop-the-world phases
			if ms, err := strconv.ParseFloat(ph, 64); err == nil {
				pause += time.Duration(ms * float64(time.Millisecond))
			}
		}
	}
	return gcs, pause
}

// ProcStat is what one process used during the measured run.
type ProcStat struct {
	Name string `json:"name"`
	PID  int    `json:"pid"`
	// CPU is the time its threads ran; Cores is that over the run's
	// wall time (1 is one core busy throughout).
	CPU   time.Duration `json:"cpu_ns"`
	Cores float64       `json:"cores"`
	// RunQueue is how long its threads were runnable but waited for a
	// CPU; Slices is how often one was put on a CPU (wake-ups and
	// preemptions). RunQueue / Slices is the mean wait for a CPU.
	RunQueue time.Duration `json:"run_queue_ns"`
	Slices   uint64        `json:"slices"`
	// GCs and GCPause are its garbage collections and their
	// stop-the-world time: for a child only with GODEBUG=gctrace=1 in
	// Opts.ChildEnv (-1 otherwise).
	GCs     int           `json:"gcs"`
	GCPause time.Duration `json:"gc_pause_ns"`
	RSSKB   int64         `json:"rss_kb"` // at the end of the run
}

// diffSamples is what each process used between two samples taken wall
// apart.
func diffSamples(procs []*proc, before, after []procSample, wall time.Duration) []ProcStat {
	out := make([]ProcStat, len(procs))
	for i, p := range procs {
		b, a := before[i], after[i]
		st := ProcStat{Name: p.name, PID: p.pid, CPU: a.cpu - b.cpu, RunQueue: a.wait - b.wait, Slices: a.slices - b.slices, GCs: -1, RSSKB: a.rssKB}
		if wall > 0 {
			st.Cores = st.CPU.Seconds() / wall.Seconds()
		}
		if a.gcs >= 0 {
			st.GCs, st.GCPause = a.gcs-max(b.gcs, 0), a.gcPause-b.gcPause
		}
		out[i] = st
	}
	return out
}

// procGroups sums the stats of processes of one kind (the lanes' kioskd
// processes), keeping the others as they are, in order of first
// appearance. A process's kind is its name's first word.
func procGroups(stats []ProcStat) []ProcStat {
	var out []ProcStat
	idx := map[string]int{}
	count := map[string]int{}
	for _, st := range stats {
		kind, _, _ := strings.Cut(st.Name, " ")
		i, ok := idx[kind]
		if !ok {
			idx[kind] = len(out)
			out = append(out, st)
			count[kind] = 1
			continue
		}
		count[kind]++
		g := &out[i]
		g.Name = fmt.Sprintf("%s x%d", kind, count[kind])
		g.PID = 0
		g.CPU += st.CPU
		g.Cores += st.Cores
		g.RunQueue += st.RunQueue
		g.Slices += st.Slices
		g.RSSKB += st.RSSKB
		if st.GCs >= 0 {
			g.GCs = max(g.GCs, 0) + st.GCs
			g.GCPause += st.GCPause
		}
	}
	return out
}

func (st ProcStat) String() string {
	perSlice := time.Duration(0)
	if st.Slices > 0 {
		perSlice = st.RunQueue / time.Duration(st.Slices)
	}
	gc := "gcs -"
	if st.GCs >= 0 {
		gc = fmt.Sprintf("gcs %d (%s)", st.GCs, ms(st.GCPause))
	}
	return fmt.Sprintf("cpu %9s (%.2f)  runq %9s / %6d slices = %7.1fus  %-20s rss %d MB",
		ms(st.CPU), st.Cores, ms(st.RunQueue), st.Slices, float64(perSlice)/float64(time.Microsecond), gc, st.RSSKB>>10)
}
