package demo

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/scripts/mosquitto"
	"github.com/sco-project/sco/simulator/harness"
)

// The broker of -acl runs the shipped sco.conf with its paths moved into
// the demo's directory, persistence off and the listener on its port;
// every other setting as shipped.
func TestBrokerConf(t *testing.T) {
	shipped, err := fs.ReadFile(mosquitto.Files, "sco.conf")
	require.NoError(t, err)
	got, err := brokerConf(string(shipped), "/tmp/d", 41234, false)
	require.NoError(t, err)
	require.Equal(t, `# scripts/mosquitto/sco.conf as shipped, for kiosk-sim demo -acl: the password
# file and ACL in /tmp/d, persistence off, the listener on port 41234.
allow_anonymous false
password_file /tmp/d/passwd
acl_file /tmp/d/acl
persistence false
max_packet_size 65536
max_queued_messages 10000
set_tcp_nodelay true
log_dest stderr
log_type error
log_type warning
log_type notice
log_type information
connection_messages true
listener 41234 127.0.0.1
use_username_as_clientid true
`, got)
	root, err := brokerConf(string(shipped), "/tmp/d", 41234, true)
	require.NoError(t, err)
	require.Equal(t, got+"user root\n", root)

	for conf, why := range map[string]string{
		"listener 1883 127.0.0.1\npid_file /run/mosquitto.pid\n": `"pid_file /run/mosquitto.pid": a path kiosk-sim demo -acl does not move`,
		"listener 1883\n":                                    `"listener 1883": want the plain listener on 127.0.0.1 only`,
		"password_file /etc/passwd\n":                        `"password_file /etc/passwd": not in /etc/mosquitto/sco`,
		"allow_anonymous false\n":                            "0 listeners, want one",
		"listener 1883 127.0.0.1\nlistener 1883 127.0.0.1\n": "2 listeners, want one",
	} {
		_, err := brokerConf(conf, "/tmp/d", 1, false)
		require.ErrorContains(t, err, why, conf)
	}
}

func TestCheckLogins(t *testing.T) {
	require.NoError(t, checkLogins(harness.DefaultRoster, []string{"zed", "x-1"}))
	for login, why := range map[string]string{
		"Zed":      `-login "Zed": a login is lower case letters, digits and '-'`,
		"a.b":      `-login "a.b": a login is lower case`,
		"ana":      "-login ana: ana is on the roster",
		"bridge":   "-login bridge: reserved",
		"lane-3":   "-login lane-3: reserved",
		"watch":    "-login watch: reserved",
		"observer": "-login observer: reserved",
	} {
		require.ErrorContains(t, checkLogins(harness.DefaultRoster, []string{login}), why)
	}
	require.ErrorContains(t, checkLogins(harness.DefaultRoster, []string{"zed", "zed"}), "-login zed given twice")
}

// Every part of the store gets its login, each roster entry a pager
// login (the played ones a second device too), and the two read-only
// watchers theirs.
func TestStoreLogins(t *testing.T) {
	zoe, err := ParseAttendant("zoe:front:attendant")
	require.NoError(t, err)
	r, err := roster([]attendant.Attendant{zoe})
	require.NoError(t, err)
	var got []string
	for _, l := range storeLogins(2, r, 3, []string{"zed"}) {
		got = append(got, l.user+": "+strings.Join(l.args, " "))
	}
	require.Equal(t, []string{
		"bridge: bridge", "lane-1: lane s1 1", "lane-2: lane s1 2",
		"ana: pager ana", "ana.app: pager ana --device app",
		"ben: pager ben", "ben.app: pager ben --device app",
		"sue: pager sue", "sue.app: pager sue --device app",
		"zoe: pager zoe", "zed: pager zed",
		"observer: ", "watch: ",
	}, got)
}

// Without Mosquitto, -acl fails at once and says what to install; -acl
// with a broker of its own, and -login without -acl, are refused.
func TestACLRefusals(t *testing.T) {
	find := findProgram
	t.Cleanup(func() { findProgram = find })
	findProgram = func(name string) string {
		if name == "mosquitto_passwd" {
			return ""
		}
		return find(name)
	}
	err := Run(context.Background(), Opts{ACL: true})
	require.ErrorIs(t, err, ErrNoMosquitto)
	require.EqualError(t, err, "-acl needs Mosquitto: apt-get install mosquitto")

	require.EqualError(t, Run(context.Background(), Opts{ACL: true, Broker: "tcp://127.0.0.1:1883"}), "demo: -acl runs its own broker, not -broker")
	require.EqualError(t, Run(context.Background(), Opts{Logins: []string{"zed"}}), "demo: -login needs -acl (the embedded broker takes anyone)")
	require.ErrorContains(t, Run(context.Background(), Opts{ACL: true, Logins: []string{"ana"}}), "-login ana: ana is on the roster")
}

// What Mosquitto prints is logged a line a record, a line split across
// writes is one record, and one that never ends is logged in pieces
// rather than held without bound.
func TestLineLog(t *testing.T) {
	var out bytes.Buffer
	l := &lineLog{log: slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey || a.Key == slog.LevelKey || a.Key == slog.MessageKey {
			return slog.Attr{}
		}
		return a
	}}))}
	for _, w := range []string{"one\ntw", "o\n", "three"} {
		n, err := l.Write([]byte(w))
		require.NoError(t, err)
		require.Equal(t, len(w), n)
	}
	require.Equal(t, "line=one\nline=two\n", out.String(), "three is not ended yet")
	out.Reset()
	_, err := l.Write([]byte(strings.Repeat("x", maxLogLine)))
	require.NoError(t, err)
	require.Equal(t, "line="+"three"+strings.Repeat("x", maxLogLine-5)+"\n", out.String())
	require.Equal(t, "xxxxx", string(l.part), "the rest waits for its end")
}
