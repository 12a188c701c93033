package main

import (
	"errors"
	"os"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/protocol"
)

// TestDemoACL is a pager-app maker testing against `kiosk-sim demo -acl`
// with nothing but what it prints: the broker is a real Mosquitto with
// the shipped ACL and passwords. Zoe (an -attendant nobody plays) logs in
// with her printed password and gets her profile; a wrong password is
// refused; her claim on Ana's topic never reaches the bridge; the -login
// stranger's command is answered "unknown attendant"; and the store works
// under the ACL (every part logged in as itself, an alert resolved). On
// Ctrl-C the demo stops Mosquitto and removes its files.
func TestDemoACL(t *testing.T) {
	testsupport.NeedMosquittoPasswd(t)
	d := startDemo(t, "demo", "-acl", "-lanes", "2", "-seed", "3", "-attendant", "zoe:front:attendant", "-login", "zed", "-log-level", "info")
	got := d.await(60*time.Second, map[string]*regexp.Regexp{
		"broker": regexp.MustCompile(`^broker (tcp://127\.0\.0\.1:(\d+)) \(Mosquitto, pid (\d+), with the shipped ACL and passwords\), bridge online`),
		"dir":    regexp.MustCompile(`^broker logins \(the shipped ACL; new passwords every run, each also in (/\S+)/LOGIN\.password\):$`),
		"zoe":    regexp.MustCompile(`^  zoe +([a-z2-7]{16})  4444  nobody plays Zoe$`),
		"zed":    regexp.MustCompile(`^  zed +([a-z2-7]{16})  -     not on the roster: no profile, every command answered "unknown attendant"$`),
		"watch":  regexp.MustCompile(`^  watch +([a-z2-7]{16})  -     read-only, the whole store`),
		"pager":  regexp.MustCompile(`^zoe on a terminal pager: go run ./cmd/pager -broker (\S+) -store s1 -id zoe -username zoe -password-file (/\S+/zoe\.password)$`),
		"zedpgr": regexp.MustCompile(`^zed on a terminal pager: go run ./cmd/pager -broker \S+ -store s1 -id zed -username zed -password-file (\S+)  \(not on the roster\)$`),
		"sub":    regexp.MustCompile(`^watch the store: mosquitto_sub -h 127\.0\.0\.1 -p (\d+) -u watch -P ([a-z2-7]+) -v -t 'sco/v1/#'$`),
		"ready":  regexp.MustCompile(`^press Ctrl-C to stop$`),
	})
	url := got["broker"][1]
	pid, err := strconv.Atoi(got["broker"][3])
	require.NoError(t, err)
	t.Cleanup(func() {
		// Only when the test failed before the demo stopped it: the
		// check at the end is on the demo's own stop.
		d.kill()
		if alive(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		_ = os.RemoveAll(got["dir"][1])
	})
	require.Equal(t, url, got["pager"][1], "the pager line names the broker")
	require.Equal(t, got["broker"][2], got["sub"][1], "mosquitto_sub names its port")
	require.Equal(t, got["watch"][1], got["sub"][2], "mosquitto_sub has watch's password")
	pwFile := got["pager"][2]
	require.Equal(t, got["dir"][1]+"/zoe.password", pwFile)
	b, err := os.ReadFile(pwFile)
	require.NoError(t, err)
	require.Equal(t, got["zoe"][1]+"\n", string(b), "zoe's password file holds the password in the table")
	b, err = os.ReadFile(got["zedpgr"][1])
	require.NoError(t, err)
	require.Equal(t, got["zed"][1]+"\n", string(b))

	login := func(user, pw string) *paho.ClientOptions {
		return paho.NewClientOptions().AddBroker(url).SetClientID("app-" + user).SetUsername(user).SetPassword(pw).SetProtocolVersion(4).SetCleanSession(true)
	}
	root := "sco/v1/s1/"

	// (b) A wrong password is refused at connect.
	o := login("zoe", "not-"+got["zoe"][1]).SetAutoReconnect(false).SetConnectRetry(false)
	c := paho.NewClient(o)
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(testsupport.MQTTWait))
	require.ErrorContains(t, tok.Error(), "not Authorized")

	// The watcher sees the whole store (and publishes nothing).
	watch := testsupport.ConnectMQTT(t, "watch", login("watch", got["watch"][1]))
	watch.Subscribe(root + "#")
	watch.AwaitContains(root+"bridge/state", `"online":true`)

	// (a) Zoe logs in with her printed password and gets her profile.
	zoe := testsupport.ConnectMQTT(t, "zoe", login("zoe", got["zoe"][1]))
	zoe.Subscribe(root + "pager/zoe/#")
	zoe.AwaitContains(root+"pager/zoe/profile", `"id":"zoe","name":"Zoe","zone":"front","roles":["attendant"],"store":"s1"`)

	// (c) Zoe claims on Ana's topic: the broker drops it. Her own command
	// after it is the barrier: once its answer is back, the dropped one
	// (and the bridge's answer to it) would have come before.
	claim := func(id string) []byte {
		return protocol.Encode(protocol.PagerCmd{ID: id, Alert: "1-20261203-120000-aaaa", Action: protocol.PagerClaim, TS: protocol.At(time.Now())})
	}
	zoe.Publish(root+"pager/ana/cmd", false, claim("zoe-as-ana"))
	zoe.Publish(root+"pager/zoe/cmd", false, claim("zoe-barrier"))
	zoe.AwaitContains(root+"pager/zoe/result", `"id":"zoe-barrier"`)
	watch.AwaitContains(root+"pager/zoe/result", `"id":"zoe-barrier"`)
	watch.AwaitContains(root+"pager/zoe/cmd", `"id":"zoe-barrier"`) // it sees commands: it would have seen the refused one
	for _, m := range watch.Received() {
		require.NotContains(t, m.Payload, "zoe-as-ana", "zoe's claim on ana's topic got through the ACL: %s %s", m.Topic, m.Payload)
	}

	// (d) The stranger: no profile, and its command is answered
	// "unknown attendant".
	zed := testsupport.ConnectMQTT(t, "zed", login("zed", got["zed"][1]))
	zed.Subscribe(root + "pager/zed/#")
	zed.Publish(root+"pager/zed/cmd", false, claim("zed-1"))
	res := zed.AwaitContains(root+"pager/zed/result", `"id":"zed-1"`)
	require.Contains(t, res, `"ok":false,"error":"unknown attendant"`)
	for _, m := range zed.Received() {
		require.NotEqual(t, root+"pager/zed/profile", m.Topic, "zed has no profile")
	}

	// (e) The store works under the ACL: a virtual attendant resolves an
	// alert, and every part logged in as itself.
	d.await(90*time.Second, map[string]*regexp.Regexp{"resolved": regexp.MustCompile(`resolved \w+ by (Ana|Ben|Sue)`)})
	for _, u := range []string{"bridge", "lane-1", "lane-2", "ana", "ben", "sue", "observer", "watch", "zoe", "zed"} {
		require.Contains(t, d.stderr.String(), " u'"+u+"')", "%s logged in as itself", u)
	}

	// Ctrl-C: the demo stops Mosquitto by its pid and removes its files.
	checkDemoSummary(t, d.interrupt())
	require.False(t, alive(pid), "the demo left mosquitto (pid %d) running", pid)
	_, err = os.Stat(got["dir"][1])
	require.True(t, errors.Is(err, os.ErrNotExist), "the demo removes its broker files: %v", err)
}

// alive reports whether a process with pid runs.
func alive(pid int) bool { return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }
