package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/testsupport"
)

func needMosquitto(t *testing.T) {
	t.Helper()
	if MosquittoBinary() == "" {
		if testsupport.RequireMosquitto() {
			t.Fatal("bench: mosquitto not found and SCO_REQUIRE_MOSQUITTO=1")
		}
		t.Skip("bench: mosquitto not installed")
	}
}

// Two kioskd processes, the bridge process and Mosquitto, built and
// started by the bench: every alert is paged once and resolved, the report
// has its rows and every process's figures, and every process the run
// started is gone once it returns.
func TestProcsPageEveryAlertOnceAndStopEveryProcess(t *testing.T) {
	needMosquitto(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var kids childWatch
	rep, err := Run(ctx, Opts{
		Procs: true, Lanes: 2, Pagers: 2, Alerts: 6, Rate: 100, RawSamples: 10, Wait: 20 * time.Second,
		ChildEnv: []string{"GODEBUG=gctrace=1"}, Dir: t.TempDir(),
		Progress: kids.at("raw hops alongside", nil),
	})
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	assert.True(t, rep.Processes)
	assert.Equal(t, 6, rep.Scans)
	assert.Equal(t, 6, rep.Paged)
	assert.Equal(t, 6, rep.Resolved)
	assert.Equal(t, map[int]int{1: 6}, rep.PagesTier)
	assert.Equal(t, 6, rep.Chain.N)
	assert.Greater(t, rep.RawHopPaced.N, 0)
	assert.Greater(t, rep.OverheadP50, 0.0)
	assert.True(t, strings.HasPrefix(rep.Broker, "Mosquitto tcp://127.0.0.1:"), rep.Broker)

	var names []string
	for _, st := range rep.ProcStats {
		names = append(names, st.Name)
		assert.Greater(t, st.PID, 0, st.Name)
		if strings.HasPrefix(st.Name, "kioskd") || st.Name == "attendant-bridge" {
			assert.GreaterOrEqual(t, st.GCs, 0, "%s: gctrace lines counted", st.Name)
		}
	}
	assert.Equal(t, []string{"mosquitto", "attendant-bridge", "kioskd 1", "kioskd 2", "kiosk-sim (bench: devices, probes, pagers)"}, names)

	var text bytes.Buffer
	require.NoError(t, rep.WriteText(&text))
	for _, want := range []string{"kioskd and attendant-bridge processes", "chain", "raw hop, paced", "overhead", "duplicates=0", "processes during the run", "kioskd x2", "attendant-bridge"} {
		assert.Contains(t, text.String(), want)
	}
	kids.assertGone(t, 4) // Mosquitto, the bridge, two lanes
}

// Cancelled in the middle of the run (Ctrl-C), the bench still stops every
// process it started.
func TestProcsCancelledStopEveryProcess(t *testing.T) {
	needMosquitto(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var kids childWatch
	_, err := Run(ctx, Opts{
		Procs: true, Lanes: 2, Pagers: 1, Alerts: 1000, Rate: 50, RawSamples: 10, Wait: 20 * time.Second,
		Dir: t.TempDir(), Progress: kids.at("raw hops alongside", cancel),
	})
	require.ErrorIs(t, err, context.Canceled)
	kids.assertGone(t, 4)
}

func TestProcsRejectFakeDevices(t *testing.T) {
	_, err := Run(context.Background(), Opts{Procs: true, Fake: true})
	require.ErrorContains(t, err, "-fake runs lanes in this process only")
}

func TestGCTrace(t *testing.T) {
	log := []byte("time=... level=INFO msg=x\n" +
		"gc 1 @0.012s 2%: 0.015+0.52+0.004 ms clock, 0.030+0.1/0.3/0.2+0.009 ms cpu, 3->4->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P\n" +
		"gc 2 @1.5s 1%: 0.5+1.2+0.25 ms clock, 1+0/0/0+0.5 ms cpu, 4->4->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)\n")
	n, pause := gcTrace(log)
	assert.Equal(t, 2, n)
	assert.InDelta(t, float64(769*time.Microsecond), float64(pause), float64(time.Microsecond))
	n, _ = gcTrace([]byte("no trace here\n"))
	assert.Zero(t, n)
}

func TestProcGroupsSumsTheLanes(t *testing.T) {
	g := procGroups([]ProcStat{
		{Name: "mosquitto", CPU: 5, GCs: -1},
		{Name: "kioskd 1", PID: 10, CPU: 1, Slices: 2, GCs: 1},
		{Name: "kioskd 2", PID: 11, CPU: 3, Slices: 4, GCs: 2},
	})
	assert.Equal(t, []ProcStat{{Name: "mosquitto", CPU: 5, GCs: -1}, {Name: "kioskd x2", CPU: 4, Slices: 6, GCs: 3}}, g)
}

// childWatch records this process's children when a progress line
// containing a phrase is written (and then calls then, if not nil).
type childWatch struct {
	mu   sync.Mutex
	pids []int
	err  error
}

func (c *childWatch) at(phrase string, then func()) *progressHook {
	return &progressHook{phrase: phrase, fire: func() {
		pids, err := children(os.Getpid())
		c.mu.Lock()
		c.pids, c.err = pids, err
		c.mu.Unlock()
		if then != nil {
			then()
		}
	}}
}

// assertGone checks that want children were seen, and that none of them
// exists any more.
func (c *childWatch) assertGone(t *testing.T, want int) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	require.NoError(t, c.err)
	require.Len(t, c.pids, want, "children while the run was measuring")
	for _, pid := range c.pids {
		err := syscall.Kill(pid, 0)
		assert.True(t, errors.Is(err, syscall.ESRCH), "process %d still exists after the run (kill 0: %v)", pid, err)
	}
}

type progressHook struct {
	phrase string
	fire   func()
	once   sync.Once
}

func (h *progressHook) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(h.phrase)) {
		h.once.Do(h.fire)
	}
	return len(p), nil
}

// children lists the processes whose parent is pid.
func children(pid int) ([]int, error) {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return nil, err
	}
	var out []int
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // it ended
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			return nil, fmt.Errorf("%s: %q", path, s)
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == pid {
			child, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
			out = append(out, child)
		}
	}
	return out, nil
}
