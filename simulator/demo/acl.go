package demo

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/internal/mosquittoproc"
	"github.com/sco-project/sco/scripts/mosquitto"
	"github.com/sco-project/sco/simulator/harness"
)

// ErrNoMosquitto is Run's answer to -acl on a machine without Mosquitto.
var ErrNoMosquitto = errors.New("-acl needs Mosquitto: apt-get install mosquitto")

// WatchLogin is the read-only login -acl gives the person running the
// demo, to watch the whole store (docs/simulator.md's recipe).
const WatchLogin = "watch"

// DeviceSuffix makes the login of a second device of an attendant whom
// a virtual attendant plays: ana.app (add-user.sh pager ana --device app).
const DeviceSuffix = ".app"

// findProgram finds mosquitto and mosquitto_passwd; tests replace it.
var findProgram = mosquittoproc.Find

var loginName = regexp.MustCompile(`^[a-z0-9-]+$`)

// checkLogins checks the -login names: each a login add-user.sh makes
// (lower case letters, digits, '-'), none on the roster, none reserved,
// none twice.
func checkLogins(roster []attendant.Attendant, logins []string) error {
	for i, l := range logins {
		switch {
		case !loginName.MatchString(l):
			return fmt.Errorf("-login %q: a login is lower case letters, digits and '-'", l)
		case slices.ContainsFunc(roster, func(a attendant.Attendant) bool { return a.ID == l }):
			return fmt.Errorf("-login %s: %s is on the roster; -login is for a pager login the bridge does not know (-attendant adds one it knows)", l, l)
		case l == "bridge" || l == "console" || l == WatchLogin || l == harness.ObserverLogin || strings.HasPrefix(l, "lane-"):
			return fmt.Errorf("-login %s: reserved (bridge, console, lane-*, %s and %s are the store's own logins)", l, WatchLogin, harness.ObserverLogin)
		case slices.Contains(logins[:i], l):
			return fmt.Errorf("-login %s given twice", l)
		}
	}
	return nil
}

// aclBroker is the broker of -acl: a real Mosquitto run from the shipped
// files (package scripts/mosquitto) in a temporary directory, the users
// made by the shipped add-user.sh, so that it enforces exactly the ACL
// and passwords of a store.
type aclBroker struct {
	dir       string
	passwords map[string]string // login -> password
	b         *mosquittoproc.Broker
}

// aclLogin is one user the broker gets: its username, and the arguments
// add-user.sh takes to make it (bridge; lane STORE LANE; pager ID
// [--device NAME]), or nil args for a read-only user of the whole store.
type aclLogin struct {
	user string
	args []string
}

// startACLBroker sets up and starts the broker for store with the
// logins. Mosquitto's log goes to log, one record a line.
func startACLBroker(ctx context.Context, logins []aclLogin, log *slog.Logger) (ab *aclBroker, err error) {
	bin, passwd := findProgram("mosquitto"), findProgram("mosquitto_passwd")
	if bin == "" || passwd == "" {
		return nil, ErrNoMosquitto
	}
	dir, err := os.MkdirTemp("", "kiosk-sim-acl-")
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	ab = &aclBroker{dir: dir, passwords: map[string]string{}}
	defer func() {
		if err != nil {
			ab.Close()
		}
	}()
	shipped := filepath.Join(dir, "shipped")
	if err := os.CopyFS(shipped, mosquitto.Files); err != nil {
		return nil, fmt.Errorf("demo: the shipped Mosquitto files: %w", err)
	}
	// mosquitto_passwd is in /usr/bin on Debian, but add-user.sh looks
	// for it on PATH only.
	env := append(os.Environ(), "PATH="+filepath.Dir(passwd)+string(os.PathListSeparator)+os.Getenv("PATH"))
	for _, l := range logins {
		pw, err := password()
		if err != nil {
			return nil, err
		}
		ab.passwords[l.user] = pw
		if l.args == nil {
			err = ab.readOnly(passwd, l.user, pw)
		} else {
			args := append([]string{filepath.Join(shipped, "add-user.sh"), "-d", dir}, l.args...)
			cmd := exec.Command("bash", append(args, pw)...)
			cmd.Env = env
			if out, cerr := cmd.CombinedOutput(); cerr != nil {
				err = fmt.Errorf("demo: add-user.sh %s: %v: %s", strings.Join(l.args, " "), cerr, bytes.TrimSpace(out))
			}
		}
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(ab.PasswordFile(l.user), []byte(pw+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
	}
	shippedConf, err := fs.ReadFile(mosquitto.Files, "sco.conf")
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	conf := func(port int) (string, error) { return brokerConf(string(shippedConf), dir, port, os.Geteuid() == 0) }
	ab.b, err = mosquittoproc.Start(ctx, mosquittoproc.Opts{Bin: bin, Dir: dir, Conf: conf, Out: &lineLog{log: log}})
	if err != nil {
		return nil, fmt.Errorf("demo: -acl: %w", err)
	}
	return ab, nil
}

// readOnly adds a user who may read the whole store and publish
// nothing, as docs/simulator.md ("Testing a real lane") does for watch.
func (ab *aclBroker) readOnly(passwd, user, pw string) error {
	f, err := os.OpenFile(filepath.Join(ab.dir, "acl"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	_, err = fmt.Fprintf(f, "\n# read-only: watching the store\nuser %s\ntopic read sco/v1/#\n", user)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if out, err := exec.Command(passwd, "-b", filepath.Join(ab.dir, "passwd"), user, pw).CombinedOutput(); err != nil {
		return fmt.Errorf("demo: mosquitto_passwd %s: %v: %s", user, err, bytes.TrimSpace(out))
	}
	return nil
}

// URL is the broker's address.
func (ab *aclBroker) URL() string { return ab.b.URL() }

// Pid is Mosquitto's process id.
func (ab *aclBroker) Pid() int { return ab.b.Pid }

// PasswordFile is where the password of user is written.
func (ab *aclBroker) PasswordFile(user string) string {
	return filepath.Join(ab.dir, user+".password")
}

// Close stops Mosquitto by its pid (SIGTERM, then SIGKILL) and removes
// the directory. Safe to call twice.
func (ab *aclBroker) Close() error {
	var err error
	if ab.b != nil {
		err = ab.b.Stop()
	}
	if rerr := os.RemoveAll(ab.dir); err == nil && rerr != nil {
		err = fmt.Errorf("demo: %w", rerr)
	}
	return err
}

// brokerConf is the shipped sco.conf made to run from dir on port: the
// password file and ACL in dir, persistence off (the demo keeps nothing),
// the loopback listener on port; every other setting as shipped. root
// keeps Mosquitto root: it would drop to its own user, who cannot read
// dir. A setting with a path it does not know how to move is an error,
// so that a change to sco.conf cannot go unnoticed here.
func brokerConf(shipped, dir string, port int, root bool) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "# scripts/mosquitto/sco.conf as shipped, for kiosk-sim demo -acl: the password\n# file and ACL in %s, persistence off, the listener on port %d.\n", dir, port)
	listeners := 0
	sc := bufio.NewScanner(strings.NewReader(shipped))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, _ := strings.Cut(line, " ")
		switch key {
		case "password_file", "acl_file":
			if filepath.Dir(value) != "/etc/mosquitto/sco" {
				return "", fmt.Errorf("sco.conf: %q: not in /etc/mosquitto/sco", line)
			}
			line = key + " " + filepath.Join(dir, filepath.Base(value))
		case "persistence":
			line = "persistence false"
		case "autosave_interval":
			continue
		case "listener":
			if value != "1883 127.0.0.1" {
				return "", fmt.Errorf("sco.conf: %q: want the plain listener on 127.0.0.1 only", line)
			}
			listeners++
			line = fmt.Sprintf("listener %d 127.0.0.1", port)
		default:
			if strings.Contains(value, "/") {
				return "", fmt.Errorf("sco.conf: %q: a path kiosk-sim demo -acl does not move", line)
			}
		}
		b.WriteString(line + "\n")
	}
	if listeners != 1 {
		return "", fmt.Errorf("sco.conf: %d listeners, want one", listeners)
	}
	if root {
		b.WriteString("user root\n")
	}
	return b.String(), nil
}

// password is a new random password: 16 characters, 80 bits.
func password() (string, error) {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	return strings.ToLower(base32.StdEncoding.EncodeToString(b[:])), nil
}

// lineLog logs what Mosquitto prints, one record a line, as the store's
// other components log theirs.
type lineLog struct {
	mu   sync.Mutex
	log  *slog.Logger
	part []byte
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.part = append(l.part, p...)
	for {
		line, rest, ok := bytes.Cut(l.part, []byte("\n"))
		if !ok {
			if len(l.part) <= maxLogLine {
				return len(p), nil
			}
			// A line that never ends is logged in pieces.
			line, rest = l.part[:maxLogLine], l.part[maxLogLine:]
		}
		if l.log != nil {
			l.log.Info("mosquitto", "line", string(line))
		}
		l.part = rest
	}
}

// maxLogLine bounds what lineLog holds of a line not ended yet.
const maxLogLine = 4 << 10
