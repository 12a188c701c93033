package footprint

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

type busyDriver struct {
	every time.Duration
	step  func()
}

// measure samples the process's CPU time over d (while drv, if any, runs
// its steps) and returns the CPU percentage of one core and VmRSS at the
// end in kB.
func measure(ctx context.Context, pid int, d time.Duration, drv *busyDriver) (float64, int, error) {
	c0, err := cpuTicks(pid)
	if err != nil {
		return 0, 0, err
	}
	t0 := time.Now()
	end := t0.Add(d)
	if drv == nil {
		// Measuring an idle process: waiting is the workload.
		timer := time.NewTimer(d)
		select {
		case <-ctx.Done():
			timer.Stop()
			return 0, 0, ctx.Err()
		case <-timer.C:
		}
	} else {
		tick := time.NewTicker(drv.every)
		for time.Now().Before(end) {
			drv.step()
			select {
			case <-ctx.Done():
				tick.Stop()
				return 0, 0, ctx.Err()
			case <-tick.C:
			}
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
