package mosquitto_test

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/testsupport"
)

// TestDocumentedStore is a store IT person's first hour, done as the docs
// say: README's steps, in their order, literally, on a store server made
// of a temporary directory (/etc, /var/lib, /usr/local/bin and /tmp moved
// under it) and a real Mosquitto. The broker gets its users and ACL, a
// lane runs the real kioskd against `kiosk-sim devices`, the bridge runs
// with docs/bridge.md's first config, and attendant ana runs the terminal
// pager. Then the shopper presses help: ana's pager rings, her claim
// reaches the lane ("Ana is on the way."), and her resolution closes it.
// Every command of the marked blocks is carried out; a command this test
// does not know fails it, so the docs cannot gain a step the test skips.
func TestDocumentedStore(t *testing.T) {
	needTools(t)
	if _, err := exec.LookPath("curl"); err != nil {
		if testsupport.RequireMosquitto() {
			t.Fatal("curl not found")
		}
		t.Skip("curl not installed")
	}
	h := newHost(t)
	s := newServer(t, h)

	// The blocks, in the order a reader meets them.
	readme := []string{"broker-users", "lane-install", "lane-config", "lane-run", "pager", "check-help", "check-claim", "check-assist", "check-resolve"}
	requireInOrder(t, "README.md", readme)
	requireInOrder(t, "docs/bridge.md", []string{"bridge-install", "bridge-config", "bridge-run"})
	block := func(doc, name string) testsupport.DocBlock { return testsupport.MarkedBlock(t, doc, name) }

	// 1. The broker.
	h.run(docBlock(t, "README.md", "broker-users"))
	for _, u := range []string{"bridge", "lane-3", "ana"} {
		require.Contains(t, h.passwords, u, "README step 1 creates %s", u)
	}

	// 2. A lane on virtual devices.
	s.run(block("README.md", "lane-install"))
	s.ready("kiosk-sim devices", "put these paths in the lane config")
	s.write(block("README.md", "lane-config"))
	s.run(block("README.md", "lane-run"))
	s.ready("kioskd", `msg="mqtt connected"`)

	// 3. The bridge: docs/bridge.md.
	s.run(block("docs/bridge.md", "bridge-install"))
	s.write(block("docs/bridge.md", "bridge-config"))
	s.run(block("docs/bridge.md", "bridge-run"))
	s.ready("attendant-bridge", `msg="paging starts"`)

	// 4. Ana's pager.
	s.run(block("README.md", "pager"))
	s.ready("pager", "connected as ana, presence available")

	// 5. The chain: help, page, claim, who is coming, resolve.
	out := s.run(block("README.md", "check-help"))
	assert.Contains(t, out, `"state":"assist"`, "the help press answers the new state")
	s.session("pager", block("README.md", "check-claim"))
	s.ready("kioskd", ` Ana is on the way."`)
	out = s.run(block("README.md", "check-assist"))
	assert.Regexp(t, `"prompt":"[^"]*Ana is on the way\."`, out)
	assert.Regexp(t, `"assist":\{[^}]*"name":"Ana"`, out)
	s.session("pager", block("README.md", "check-resolve"))
	s.ready("kioskd", `msg="command result"`)
	assert.Regexp(t, `msg="command result" .*ok=true`, s.procs["kioskd"].out.String(), "the lane applied the resolution")

	// Everyone logged in as the docs said, and nobody was refused.
	log := h.Log()
	for _, u := range []string{"lane-3", "bridge", "ana"} {
		assert.Contains(t, log, "u'"+u+"'", "%s logged in", u)
	}
	assert.NotContains(t, log, "not authorised")

	// Stopped as a person would (Ctrl-C), last started first: each
	// exits 0.
	for _, name := range []string{"pager", "attendant-bridge", "kioskd", "kiosk-sim devices"} {
		assert.Equal(t, 0, s.procs[name].stop(), "%s exit status:\n%s", name, s.procs[name].out.String())
	}
	_, err := os.Lstat(s.mapped("/tmp/sco-dev/scanner"))
	assert.True(t, os.IsNotExist(err), "kiosk-sim devices removes its device links: %v", err)
}

// requireInOrder checks that doc's marked blocks come in this order.
func requireInOrder(t *testing.T, doc string, names []string) {
	t.Helper()
	last := 0
	for _, name := range names {
		b := testsupport.MarkedBlock(t, doc, name)
		require.Greater(t, b.Line, last, "%s: block %s comes after the one before it in the steps", doc, name)
		last = b.Line
	}
}

// server is the store server of the documented steps, in a temporary
// directory: its paths and ports are the test's, its long-running
// programs are started in the background and stopped by pid.
type server struct {
	t      *testing.T
	h      *host
	mapper *strings.Replacer
	path   string // PATH, with the server's /usr/local/bin first
	procs  map[string]*proc
	bins   map[string]string // built for "go run ./cmd/NAME"
}

func newServer(t *testing.T, h *host) *server {
	for _, d := range []string{"usr/local/bin", "var/lib", "tmp", "etc"} {
		require.NoError(t, os.MkdirAll(h.path(d), 0o755))
	}
	s := &server{t: t, h: h, procs: map[string]*proc{}, bins: map[string]string{},
		path: h.path("/usr/local/bin") + string(os.PathListSeparator) + os.Getenv("PATH")}
	s.mapper = strings.NewReplacer(
		"/etc/sco", h.path("/etc/sco"),
		"/var/lib/sco", h.path("/var/lib/sco"),
		"/usr/local/bin", h.path("/usr/local/bin"),
		"/tmp/sco-dev", h.path("/tmp/sco-dev"),
		"127.0.0.1:1883", fmt.Sprintf("127.0.0.1:%d", h.ports["1883"]),
		"127.0.0.1:8090", fmt.Sprintf("127.0.0.1:%d", testsupport.FreePort(t)),
	)
	return s
}

// mapped is a command or config text with the server's paths and ports.
func (s *server) mapped(text string) string { return s.h.mapPaths(s.mapper.Replace(text)) }

// daemons are the long-running commands of the steps, by the name the
// test knows them by.
var daemons = []struct{ prefix, name string }{
	{"go run ./cmd/kiosk-sim devices ", "kiosk-sim devices"},
	{"go run ./cmd/pager ", "pager"},
	{"kioskd -config ", "kioskd"},
	{"attendant-bridge -config ", "attendant-bridge"},
}

// passwordPrompt is how the steps give a program its MQTT password: a
// prompt naming the user, answered on stdin.
var passwordPrompt = regexp.MustCompile(`^read -rsp 'MQTT password of ([a-z0-9-]+): ' pw && `)

// run carries out a shell block, command by command, and returns what
// the last one printed.
func (s *server) run(b testsupport.DocBlock) string {
	s.t.Helper()
	require.Equal(s.t, "sh", b.Lang, "%s: a shell block", b.Where())
	out := ""
	for _, c := range commands(b.Lines) {
		bare := strings.TrimSpace(strings.SplitN(c, "#", 2)[0])
		if name, ok := daemonName(bare); ok {
			s.start(name, bare)
			continue
		}
		switch {
		case strings.HasPrefix(bare, "apt-get install "):
			// The test checked at its start that the packages' programs are here.
		case passwordPrompt.MatchString(bare):
			u := passwordPrompt.FindStringSubmatch(bare)[1]
			require.Contains(s.t, s.h.passwords, u, "%s: a password for %s, who add-user.sh did not create", b.Where(), u)
			out = s.shell(bare, s.h.passwords[u]+"\n")
		case strings.HasPrefix(bare, "kioskd -check-config "), strings.HasPrefix(bare, "attendant-bridge -check-config "):
			out = s.shell(bare, "")
			assert.Regexp(s.t, `: ok \(`, out, "%s: %s", b.Where(), bare)
		case strings.HasPrefix(bare, "go build -o /usr/local/bin/"), strings.HasPrefix(bare, "mkdir -p /etc/sco"),
			strings.HasPrefix(bare, "cp simulator/"), strings.HasPrefix(bare, "curl -s "):
			out = s.shell(bare, "")
		default:
			s.t.Fatalf("%s: the documented steps have a command this test does not know: %q", b.Where(), c)
		}
	}
	return out
}

func daemonName(c string) (string, bool) {
	for _, d := range daemons {
		if strings.HasPrefix(c, d.prefix) {
			return d.name, true
		}
	}
	return "", false
}

// shell runs one command with bash in the repository, on the server's
// paths, and returns its output; it must succeed.
func (s *server) shell(c, stdin string) string {
	s.t.Helper()
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", s.mapped(c))
	cmd.Dir = s.h.repo
	cmd.Env = append(os.Environ(), "PATH="+s.path)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	s.t.Logf("$ %s\n%s", s.mapped(c), out)
	require.NoError(s.t, err, "%s\n%s", c, out)
	return string(out)
}

// write puts a config block where its first line says ("# /etc/sco/lane.yaml").
func (s *server) write(b testsupport.DocBlock) {
	s.t.Helper()
	file := b.ConfigFile()
	require.True(s.t, filepath.IsAbs(file), "%s: the block names where it goes on its first line (# /etc/sco/...)", b.Where())
	require.NoError(s.t, os.WriteFile(s.mapped(file), []byte(s.mapped(b.Text())), 0o600))
}

// start starts a long-running command as a person starts it in a
// terminal of its own: "go run ./cmd/NAME" runs the command built from
// the same package.
func (s *server) start(name, c string) {
	s.t.Helper()
	require.NotContains(s.t, s.procs, name, "%s started twice", name)
	if rest, ok := strings.CutPrefix(c, "go run ./cmd/"); ok {
		pkg, args, _ := strings.Cut(rest, " ")
		if s.bins[pkg] == "" {
			s.bins[pkg] = testsupport.Binary(s.t, "github.com/sco-project/sco/cmd/"+pkg)
		}
		c = s.bins[pkg] + " " + args
	}
	cmd := exec.Command("bash", "-c", "exec "+s.mapped(c))
	cmd.Dir = s.h.repo
	cmd.Env = append(os.Environ(), "PATH="+s.path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &proc{t: s.t, name: name, out: &testsupport.SyncBuffer{}, exited: make(chan int, 1)}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	in, err := cmd.StdinPipe()
	require.NoError(s.t, err)
	p.in = in
	require.NoError(s.t, cmd.Start())
	p.pid = cmd.Process.Pid
	go func() {
		err := cmd.Wait()
		code := cmd.ProcessState.ExitCode()
		if err != nil && code == 0 {
			code = -1
		}
		p.exited <- code
	}()
	s.t.Cleanup(func() {
		p.stop()
		s.t.Logf("%s (pid %d):\n%s", name, p.pid, p.out.String())
	})
	s.t.Logf("$ %s &   # pid %d", s.mapped(c), p.pid)
	s.procs[name] = p
}

// ready waits until a running command has printed text.
func (s *server) ready(name, text string) {
	s.t.Helper()
	p := s.procs[name]
	require.NotNil(s.t, p, "%s is not running", name)
	select {
	case <-p.out.Seen(text):
	case code := <-p.exited:
		p.exited <- code
		s.t.Fatalf("%s exited (%d) before printing %q:\n%s", name, code, text, p.out.String())
	case <-time.After(30 * time.Second):
		s.t.Fatalf("%s did not print %q:\n%s", name, text, p.out.String())
	}
}

// typed says which lines of a pager session the person types.
var typed = regexp.MustCompile(`^(a|b|p|q|h|ls|[crl] [0-9]+( [a-z_]+)?)$`)

// session plays a documented pager session: the lines the person types
// are typed, and every other line must be printed, in this order and
// after the lines of the sessions before.
func (s *server) session(name string, b testsupport.DocBlock) {
	s.t.Helper()
	p := s.procs[name]
	require.NotNil(s.t, p, "%s is not running", name)
	for _, line := range b.Lines {
		if typed.MatchString(line) {
			_, err := io.WriteString(p.in, line+"\n")
			require.NoError(s.t, err)
			continue
		}
		s.ready(name, line+"\n")
		at := strings.Index(p.out.String()[p.played:], line+"\n")
		require.GreaterOrEqual(s.t, at, 0, "%s: %q printed before the lines above it", b.Where(), line)
		p.played += at + len(line) + 1
	}
}

// proc is a long-running command of the steps.
type proc struct {
	t      *testing.T
	name   string
	pid    int
	in     io.WriteCloser
	out    *testsupport.SyncBuffer
	exited chan int
	code   *int
	played int // how much of out the sessions have gone through
}

// stop sends SIGINT to the command's process group, as Ctrl-C in its
// terminal does, waits for it to exit (killing the group after 10 s) and
// returns its exit status. A second stop returns the same status.
func (p *proc) stop() int {
	if p.code != nil {
		return *p.code
	}
	_ = syscall.Kill(-p.pid, syscall.SIGINT)
	var code int
	select {
	case code = <-p.exited:
	case <-time.After(10 * time.Second):
		p.t.Errorf("%s (pid %d) did not stop on SIGINT: killed", p.name, p.pid)
		_ = syscall.Kill(-p.pid, syscall.SIGKILL)
		code = <-p.exited
	}
	_ = p.in.Close()
	p.code = &code
	return code
}
