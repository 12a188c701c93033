package mosquitto_test

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/testsupport"
)

// debianMain is Debian's stock /etc/mosquitto/mosquitto.conf (package
// mosquitto 2.0.11), which sco.conf is a conf.d snippet for.
const debianMain = `# Place your local configuration in /etc/mosquitto/conf.d/
#
# A full description of the configuration file is at
# /usr/share/doc/mosquitto/examples/mosquitto.conf.example

pid_file /run/mosquitto/mosquitto.pid

persistence true
persistence_location /var/lib/mosquitto/

log_dest file /var/log/mosquitto/mosquitto.log

include_dir /etc/mosquitto/conf.d
`

// host is a store server in a temporary directory: root stands for /,
// the documented shell steps run in the repository with /etc/mosquitto
// (and Debian's other Mosquitto paths) moved under root, and "systemctl
// restart mosquitto" starts Mosquitto on the test's own loopback ports.
type host struct {
	t         *testing.T
	root      string
	repo      string
	ports     map[string]int    // the snippets' listener port -> the test's
	passwords map[string]string // set by add-user.sh steps, by username
	rewritten map[string]bool   // conf.d files already given the test's paths and ports
	mosquitto *testsupport.MosquittoService
}

// needTools skips the test when Mosquitto and the tools the steps use
// are missing, or fails it with SCO_REQUIRE_MOSQUITTO=1.
func needTools(t *testing.T) {
	t.Helper()
	testsupport.NeedMosquittoPasswd(t)
	for _, tool := range []string{"bash", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			if testsupport.RequireMosquitto() {
				t.Fatalf("%s not found", tool)
			}
			t.Skipf("%s not installed", tool)
		}
	}
	if testsupport.MosquittoBinary() == "" {
		t.Fatal("mosquitto not found and SCO_REQUIRE_MOSQUITTO=1")
	}
}

func newHost(t *testing.T) *host {
	t.Helper()
	repo, err := filepath.Abs("../..")
	require.NoError(t, err)
	h := &host{t: t, root: t.TempDir(), repo: repo, passwords: map[string]string{}, rewritten: map[string]bool{},
		ports: map[string]int{"1883": testsupport.FreePort(t), "8883": testsupport.FreePort(t)}}
	for _, d := range []string{"etc/mosquitto/conf.d", "run/mosquitto", "var/lib/mosquitto", "var/log/mosquitto"} {
		require.NoError(t, os.MkdirAll(filepath.Join(h.root, d), 0o755))
	}
	main := debianMain
	for _, p := range []string{"/run/", "/var/"} {
		main = strings.ReplaceAll(main, " "+p, " "+h.root+p)
	}
	require.NoError(t, os.WriteFile(h.path("/etc/mosquitto/mosquitto.conf"), []byte(h.mapPaths(main)), 0o644))
	if os.Geteuid() == 0 {
		// As root (CI containers), Mosquitto drops to its own user, which
		// cannot read the test's private temp dir; "user root" keeps it.
		require.NoError(t, os.WriteFile(h.path("/etc/mosquitto/conf.d/00-test.conf"), []byte("user root\n"), 0o644))
		h.rewritten["00-test.conf"] = true
	}
	h.mosquitto = testsupport.NewMosquittoService(t, "the store's", h.path("/etc/mosquitto/mosquitto.conf"))
	return h
}

// path is where an absolute path of the store server lives in the test.
func (h *host) path(p string) string { return filepath.Join(h.root, p) }

// mapPaths moves /etc/mosquitto under root in a command or config text,
// add-user.sh's default directory included.
func (h *host) mapPaths(s string) string {
	s = strings.ReplaceAll(s, "/etc/mosquitto", h.root+"/etc/mosquitto")
	return strings.ReplaceAll(s, "scripts/mosquitto/add-user.sh ", "scripts/mosquitto/add-user.sh -d "+h.root+"/etc/mosquitto/sco ")
}

// run carries out a documented block, command by command. A command that
// this test does not know how to carry out fails the test, so the docs
// cannot gain a step the test skips.
func (h *host) run(block []string) {
	h.t.Helper()
	var script []string
	flush := func() {
		if len(script) > 0 {
			h.shell(strings.Join(script, "\n"), "")
			script = nil
		}
	}
	for _, c := range commands(block) {
		switch {
		case strings.HasPrefix(c, "apt-get install "):
			// needTools checked that the packages' programs are here.
		case c == "systemctl restart mosquitto":
			flush()
			h.restart()
		case c == "systemctl reload mosquitto":
			flush()
			h.mosquitto.Reload()
		case strings.HasPrefix(c, "scripts/mosquitto/add-user.sh "):
			flush()
			// It asks for the password twice, as for a person at a terminal.
			u := addUserName(h.t, c)
			h.passwords[u] = "pw-" + u
			h.shell(c, h.passwords[u]+"\n"+h.passwords[u]+"\n")
		case strings.HasPrefix(c, "chown mosquitto: "):
			if os.Geteuid() == 0 && hasUser("mosquitto") {
				script = append(script, c)
			}
		case strings.HasPrefix(c, "d="), strings.HasPrefix(c, "openssl "), strings.HasPrefix(c, "for "),
			strings.HasPrefix(c, "chmod "), strings.HasPrefix(c, "cp scripts/mosquitto/"):
			script = append(script, c)
		default:
			h.t.Fatalf("the documented steps have a command this test does not know: %q", c)
		}
	}
	flush()
}

func (h *host) shell(script, stdin string) {
	h.t.Helper()
	_, err := os.Stat("/etc/mosquitto/sco")
	had := err == nil
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", h.mapPaths(script))
	cmd.Dir = h.repo
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	h.t.Logf("$ %s\n%s", h.mapPaths(script), out)
	require.NoError(h.t, err, "%s", script)
	if _, err := os.Stat("/etc/mosquitto/sco"); err == nil && !had {
		h.t.Fatalf("%s wrote to this machine's /etc/mosquitto/sco: the test's path mapping missed it", script)
	}
}

// addUserName is the username an add-user.sh command creates.
func addUserName(t *testing.T, c string) string {
	f := strings.Fields(strings.SplitN(c, "#", 2)[0])
	switch {
	case len(f) == 2 && f[1] == "bridge":
		return "bridge"
	case len(f) == 4 && f[1] == "lane":
		return "lane-" + f[3]
	case len(f) == 3 && f[1] == "pager":
		return f[2]
	case len(f) == 5 && f[1] == "pager" && f[3] == "--device":
		return f[2] + "." + f[4]
	}
	t.Fatalf("add-user.sh step %q: not bridge, lane STORE LANE or pager ID [--device NAME]", c)
	return ""
}

func hasUser(name string) bool {
	_, err := user.Lookup(name)
	return err == nil
}

// restart stops Mosquitto if it runs and starts it from the main config.
// The snippets copied into conf.d get the test's paths and ports: their
// listener lines must be the shipped ones, "listener 1883 127.0.0.1" and
// "listener 8883", which stay on the loopback here.
func (h *host) restart() {
	h.t.Helper()
	h.mosquitto.Stop()
	confd := h.path("/etc/mosquitto/conf.d")
	entries, err := os.ReadDir(confd)
	require.NoError(h.t, err)
	var want []int
	for _, e := range entries {
		if h.rewritten[e.Name()] {
			if e.Name() != "00-test.conf" {
				want = append(want, h.listeners(e.Name())...)
			}
			continue
		}
		p := filepath.Join(confd, e.Name())
		b, err := os.ReadFile(p)
		require.NoError(h.t, err)
		s := h.mapPaths(string(b))
		n := 0
		for from, port := range h.ports {
			for _, line := range []string{"listener " + from + " 127.0.0.1\n", "listener " + from + "\n"} {
				if strings.Contains(s, line) {
					s = strings.ReplaceAll(s, line, fmt.Sprintf("listener %d 127.0.0.1\n", port))
					n++
				}
			}
		}
		require.Equal(h.t, 1, n, "%s: one listener line, 1883 or 8883", e.Name())
		require.NoError(h.t, os.WriteFile(p, []byte(s), 0o644))
		h.rewritten[e.Name()] = true
		want = append(want, h.listeners(e.Name())...)
	}

	// Mosquitto logs (log_dest stderr, from sco.conf) that it runs once
	// every listener is open.
	h.mosquitto.Start()
	log := h.mosquitto.Log()
	for _, port := range want {
		require.Contains(h.t, log, fmt.Sprintf("listen socket on port %d.", port))
	}
	require.NotContains(h.t, log, "Warning: ACL pattern", "the ACL has no pattern rules")
}

// listeners are the test's ports a rewritten conf.d file listens on.
func (h *host) listeners(name string) []int {
	b, err := os.ReadFile(h.path("/etc/mosquitto/conf.d/" + name))
	require.NoError(h.t, err)
	var ports []int
	for _, port := range h.ports {
		if strings.Contains(string(b), fmt.Sprintf("listener %d ", port)) {
			ports = append(ports, port)
		}
	}
	return ports
}

// url is the broker URL of a listener ("1883" or "8883").
func (h *host) url(scheme, listener string) string {
	return fmt.Sprintf("%s://127.0.0.1:%d", scheme, h.ports[listener])
}

// Log is what Mosquitto has logged since its last start.
func (h *host) Log() string { return h.mosquitto.Log() }
