package mosquittoproc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Find returns the path of name, a program of Debian's mosquitto package
// (mosquitto, mosquitto_passwd): on PATH, else in /usr/sbin or
// /usr/local/sbin, which are not on a normal user's PATH. It returns ""
// when there is none.
func Find(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// ErrNotFound is returned by Start when there is no mosquitto to run.
var ErrNotFound = errors.New("mosquittoproc: mosquitto not found (apt-get install mosquitto)")

// Opts configures Start. Dir and Conf are required.
type Opts struct {
	// Bin is the mosquitto executable; "" means Find("mosquitto").
	Bin string
	// Dir is where Start writes mosquitto.conf.
	Dir string
	// Conf returns the config of a broker listening on 127.0.0.1:port.
	Conf func(port int) (string, error)
	// Out receives what the broker prints (its log, with log_dest
	// stderr); nil discards it.
	Out io.Writer
	// StartWait bounds the wait for the broker to accept connections; 0
	// means 10 s.
	StartWait time.Duration
	// StopWait is how long Stop waits after SIGTERM before SIGKILL; 0
	// means 5 s.
	StopWait time.Duration
}

// Broker is a running Mosquitto.
type Broker struct {
	Addr string // 127.0.0.1:port; "" for Run's
	Pid  int

	cmd      *exec.Cmd
	stopWait time.Duration
	done     chan struct{} // closed once it has exited and been reaped
	err      error         // what Wait said, once done is closed
	tail     *tail
	once     sync.Once
	stopErr  error
}

// Start runs Mosquitto with the config o.Conf gives for a free loopback
// port and returns once it accepts connections. A port taken between
// choosing it and the broker's bind is tried again with another, up to
// five times.
func Start(ctx context.Context, o Opts) (*Broker, error) {
	if o.Dir == "" || o.Conf == nil {
		return nil, errors.New("mosquittoproc: Opts.Dir and Opts.Conf are required")
	}
	if err := o.defaults(); err != nil {
		return nil, err
	}
	var lastErr error
	for range 5 {
		port, err := FreePort()
		if err != nil {
			return nil, fmt.Errorf("mosquittoproc: %w", err)
		}
		conf, err := o.Conf(port)
		if err != nil {
			return nil, fmt.Errorf("mosquittoproc: %w", err)
		}
		path := filepath.Join(o.Dir, "mosquitto.conf")
		if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
			return nil, fmt.Errorf("mosquittoproc: %w", err)
		}
		b, err := start(o, path, fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			return nil, err
		}
		if err := b.waitListening(ctx, o.StartWait); err != nil {
			_ = b.Stop()
			if ctx.Err() != nil {
				return nil, fmt.Errorf("mosquittoproc: %w", ctx.Err())
			}
			lastErr = fmt.Errorf("%w; it printed:\n%s", err, b.tail.String())
			continue // most likely the port was taken between FreePort and its bind
		}
		return b, nil
	}
	return nil, fmt.Errorf("mosquittoproc: mosquitto did not start: %w", lastErr)
}

// Run runs Mosquitto on conf, a config file the caller wrote with its own
// listeners, and returns at once, with Addr "": the caller knows when it
// is ready (it logs "running" once every listener is open). Of o, Run
// uses Bin, Out and StopWait.
func Run(conf string, o Opts) (*Broker, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	return start(o, conf, "")
}

func (o *Opts) defaults() error {
	if o.Bin == "" {
		if o.Bin = Find("mosquitto"); o.Bin == "" {
			return ErrNotFound
		}
	}
	if o.StartWait <= 0 {
		o.StartWait = 10 * time.Second
	}
	if o.StopWait <= 0 {
		o.StopWait = 5 * time.Second
	}
	return nil
}

func start(o Opts, conf, addr string) (*Broker, error) {
	b := &Broker{Addr: addr, stopWait: o.StopWait, done: make(chan struct{}), tail: &tail{max: 4 << 10}}
	out := io.Writer(b.tail)
	if o.Out != nil {
		out = io.MultiWriter(o.Out, b.tail)
	}
	b.cmd = exec.Command(o.Bin, "-c", conf)
	b.cmd.Stdout, b.cmd.Stderr = out, out
	b.cmd.SysProcAttr = sysProcAttr()
	if err := b.cmd.Start(); err != nil {
		return nil, fmt.Errorf("mosquittoproc: start %s: %w", o.Bin, err)
	}
	b.Pid = b.cmd.Process.Pid
	go func() {
		b.err = b.cmd.Wait()
		close(b.done)
	}()
	return b, nil
}

// URL is the broker's address as an MQTT client URL.
func (b *Broker) URL() string { return "tcp://" + b.Addr }

// Done is closed once the broker has exited.
func (b *Broker) Done() <-chan struct{} { return b.done }

// Err is how the broker exited (what exec.Cmd.Wait said) once Done is
// closed, and nil while it runs.
func (b *Broker) Err() error {
	select {
	case <-b.done:
		return b.err
	default:
		return nil
	}
}

// Signal sends sig to the broker by its pid: SIGHUP makes Mosquitto
// reload its config, its password file and its ACL.
func (b *Broker) Signal(sig os.Signal) error {
	if err := b.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("mosquittoproc: mosquitto (pid %d): %w", b.Pid, err)
	}
	return nil
}

// Stop sends the broker SIGTERM, waits for it to exit (StopWait), kills
// it with SIGKILL if it has not, and waits for that too. It returns an
// error when the broker had to be killed or had exited by itself with a
// failure. A second Stop returns the first one's answer.
func (b *Broker) Stop() error {
	b.once.Do(func() {
		select {
		case <-b.done:
			if b.err != nil {
				b.stopErr = fmt.Errorf("mosquittoproc: mosquitto (pid %d) had exited: %v", b.Pid, b.err)
			}
			return
		default:
		}
		_ = b.cmd.Process.Signal(syscall.SIGTERM) // fails only if it has just exited
		select {
		case <-b.done:
		case <-time.After(b.stopWait):
			_ = b.cmd.Process.Kill()
			<-b.done
			b.stopErr = fmt.Errorf("mosquittoproc: mosquitto (pid %d) did not stop on SIGTERM within %v: killed", b.Pid, b.stopWait)
		}
	})
	return b.stopErr
}

// waitListening polls the broker's port until it accepts a connection,
// the broker exits, ctx ends or wait passes.
func (b *Broker) waitListening(ctx context.Context, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		c, err := net.DialTimeout("tcp", b.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("mosquitto not listening on %s after %v: %w", b.Addr, wait, err)
		}
		// A process we do not control gives no event to wait on.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-b.done:
			return fmt.Errorf("mosquitto exited: %v", b.err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// FreePort is a loopback TCP port that is free at the time of asking:
// another process may take it before the caller binds it.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail keeps the last max bytes written to it, for an error message.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.b))
}
