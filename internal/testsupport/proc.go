package testsupport

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Proc is a real binary a test runs (kioskd, attendant-bridge), whose log
// on stderr, one JSON record a line (-log-format json), the test can wait
// on. It is killed by its pid when the test ends, passed or failed, and
// its log is printed when the test failed.
type Proc struct {
	// Wait bounds WaitLog and Term; StartProc sets 15s.
	Wait time.Duration

	t      testing.TB
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // the exit status, once exited is closed

	mu     sync.Mutex
	logs   []map[string]any
	raw    []string
	notify chan struct{}
}

// StartProc runs bin with args; name says which process it is in
// failures.
func StartProc(t testing.TB, name, bin string, args ...string) *Proc {
	t.Helper()
	p := &Proc{Wait: 15 * time.Second, t: t, name: name, exited: make(chan struct{}), notify: make(chan struct{}, 1)}
	p.cmd = exec.Command(bin, args...)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatalf("testsupport: %s: %v", name, err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("testsupport: start %s: %v", name, err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var rec map[string]any
			_ = json.Unmarshal(sc.Bytes(), &rec)
			p.mu.Lock()
			p.raw = append(p.raw, sc.Text())
			if rec != nil {
				p.logs = append(p.logs, rec)
			}
			p.mu.Unlock()
			select {
			case p.notify <- struct{}{}:
			default:
			}
		}
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("%s log:\n%s", p.name, p.Log())
		}
	})
	return p
}

// Log is everything the process has logged so far.
func (p *Proc) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.raw, "\n")
}

// WaitLog waits for a log record that matches and returns it; the test
// fails when the process exits first or none comes within Wait.
func (p *Proc) WaitLog(match func(rec map[string]any) bool) map[string]any {
	p.t.Helper()
	deadline := time.After(p.Wait)
	for i := 0; ; {
		p.mu.Lock()
		for ; i < len(p.logs); i++ {
			if match(p.logs[i]) {
				rec := p.logs[i]
				p.mu.Unlock()
				return rec
			}
		}
		p.mu.Unlock()
		select {
		case <-p.notify:
		case <-p.exited:
			p.t.Fatalf("%s exited (%v) before the expected log record", p.name, p.err)
		case <-deadline:
			p.t.Fatalf("%s: the expected log record did not come within %v", p.name, p.Wait)
		}
	}
}

// WaitMsg waits for a log record whose msg is msg.
func (p *Proc) WaitMsg(msg string) map[string]any {
	p.t.Helper()
	return p.WaitLog(func(rec map[string]any) bool { return rec["msg"] == msg })
}

// Term stops the process with SIGTERM and fails the test unless it exits
// 0 within Wait.
func (p *Proc) Term() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatalf("%s: %v", p.name, err)
	}
	select {
	case <-p.exited:
		if p.err != nil {
			p.t.Fatalf("%s exits 0 on SIGTERM: %v", p.name, p.err)
		}
	case <-time.After(p.Wait):
		p.t.Fatalf("%s did not stop on SIGTERM within %v", p.name, p.Wait)
	}
}

// Signal sends sig to the process (SIGHUP to reload, say).
func (p *Proc) Signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("%s: signal %v: %v", p.name, sig, err)
	}
}

// Kill kills the process with SIGKILL, as a power cut would, and waits
// until it has exited.
func (p *Proc) Kill() {
	p.t.Helper()
	p.Signal(syscall.SIGKILL)
	<-p.exited
}
