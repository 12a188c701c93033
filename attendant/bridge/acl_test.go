package bridge

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/protocol"
)

var testPasswords = map[string]string{"bridge": "b-secret", "lane-3": "l-secret", "lane-4": "l4-secret", "ana": "a-secret", "ben": "b2-secret", "sue": "s-secret"}

// secureMosquitto starts a real Mosquitto with the shipped ACL and users
// made by the shipped add-user.sh.
func secureMosquitto(t *testing.T) *testsupport.Mosquitto { return secureMosquittoWith(t, "") }

// secureMosquittoWith is secureMosquitto with extra config lines (another
// listener, say).
func secureMosquittoWith(t *testing.T, extraConf string) *testsupport.Mosquitto {
	t.Helper()
	testsupport.NeedMosquittoPasswd(t)
	dir := t.TempDir()
	acl, err := os.ReadFile("../../scripts/mosquitto/acl")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "acl"), acl, 0o600))
	addUser := func(args ...string) {
		out, err := exec.Command("../../scripts/mosquitto/add-user.sh", append([]string{"-d", dir}, args...)...).CombinedOutput()
		require.NoError(t, err, "add-user.sh %v: %s", args, out)
	}
	addUser("bridge", testPasswords["bridge"])
	addUser("lane", "s1", "3", testPasswords["lane-3"])
	addUser("lane", "s1", "3", testPasswords["lane-3"]) // twice: the ACL block is added once
	addUser("lane", "s1", "4", testPasswords["lane-4"])
	for _, id := range []string{"ana", "ben", "sue"} {
		addUser("pager", id, testPasswords[id])
	}
	b, err := os.ReadFile(filepath.Join(dir, "acl"))
	require.NoError(t, err)
	require.Equal(t, 1, countLines(string(b), "user lane-3"))
	// Run as root (as in CI containers), Mosquitto drops to its own user,
	// which cannot read the test's private temp dir; "user root" keeps it.
	return testsupport.StartMosquitto(t, "user root\nallow_anonymous false\npassword_file "+filepath.Join(dir, "passwd")+"\nacl_file "+filepath.Join(dir, "acl")+"\n"+extraConf)
}

func countLines(s, line string) int {
	n := 0
	for _, l := range splitLines(s) {
		if l == line {
			n++
		}
	}
	return n
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// TestMosquittoACL proves, on a real Mosquitto with the shipped ACL, that
// a pager and a lane can act only on their own topics. Mosquitto drops a
// denied publish silently (MQTT 3.1.1 has no negative PUBACK), so each
// denied publish is followed by an allowed one from the same client: once
// that arrives, the denied one would have arrived before it.
func TestMosquittoACL(t *testing.T) {
	m := secureMosquitto(t)
	pw := testPasswords
	watch := newRecorder(t, m.URL(), "bridge", pw["bridge"], "sco/v1/s1/#")
	ana := mqttClient(t, m.URL(), "pager-ana", "ana", pw["ana"], nil)
	lane := mqttClient(t, m.URL(), "lane-3", "lane-3", pw["lane-3"], nil)
	bridge := mqttClient(t, m.URL(), "bridge-x", "bridge", pw["bridge"], nil)

	// ana may publish her own presence and commands.
	from := watch.mark()
	publish(t, ana, protocol.PresenceTopic("s1", "ana"), true, []byte(`{"status":"available"}`))
	publish(t, ana, protocol.PagerCmdTopic("s1", "ana"), false, []byte(`{"id":"ok1"}`))
	watch.await(from, "pager/ana/presence", "available")
	watch.await(from, "pager/ana/cmd", "ok1")

	denied := []struct {
		name   string
		c      paho.Client
		topic  string
		retain bool
	}{
		{"a pager cannot publish a lane command", ana, protocol.LaneCommandTopic("s1", "3"), false},
		{"a pager cannot publish another pager's claim", ana, protocol.PagerCmdTopic("s1", "ben"), false},
		{"a pager cannot fake another pager's presence", ana, protocol.PresenceTopic("s1", "ben"), true},
		{"a pager cannot page", ana, protocol.PageTopic("s1", "ben"), false},
		{"a pager cannot raise a lane alert", ana, protocol.LaneAlertTopic("s1", "3"), false},
		{"a pager cannot broadcast", ana, protocol.BroadcastPageTopic("s1"), false},
		{"a pager cannot answer for a lane", ana, protocol.LaneResultTopic("s1", "3"), false},
		{"a pager cannot take the bridge's place", ana, protocol.BridgeStateTopic("s1"), true},
		{"a lane cannot publish a page", lane, protocol.PageTopic("s1", "ana"), false},
		{"a lane cannot claim for a pager", lane, protocol.PagerCmdTopic("s1", "ana"), false},
		{"a lane cannot raise another lane's alert", lane, protocol.LaneAlertTopic("s1", "4"), false},
		{"a lane cannot command itself", lane, protocol.LaneCommandTopic("s1", "3"), false},
		{"a lane cannot write an alert record", lane, protocol.AlertTopic("s1", "a1"), true},
	}
	for i, d := range denied {
		from := watch.mark()
		publish(t, d.c, d.topic, d.retain, []byte(`{"id":"denied"}`))
		// The same client's allowed publish, as the barrier.
		barrier := protocol.PresenceTopic("s1", "ana")
		if d.c == lane {
			barrier = protocol.LaneStateTopic("s1", "3")
		}
		marker := []byte(`{"status":"available","seq":` + string(rune('0'+i%10)) + `,"n":"` + d.name + `"}`)
		publish(t, d.c, barrier, false, marker)
		watch.await(from, barrier[len("sco/v1/s1/"):], d.name)
		require.Equal(t, 0, watch.count(from, d.topic[len("sco/v1/s1/"):], "denied"), d.name)
	}

	// Allowed for the lane: its own alert and broadcast pages.
	from = watch.mark()
	publish(t, lane, protocol.LaneAlertTopic("s1", "3"), false, []byte(`{"id":"lane-ok"}`))
	publish(t, lane, protocol.BroadcastPageTopic("s1"), false, []byte(`{"alert":"lane-ok"}`))
	watch.await(from, "lane/3/alert", "lane-ok")
	watch.await(from, "broadcast/page", "lane-ok")

	// A pager reads its own pages, not another's.
	benRec := newRecorder(t, m.URL(), "ben", pw["ben"], protocol.PageTopic("s1", "ana"))
	benRec.subscribe(protocol.PageTopic("s1", "ben"))
	anaRec := newRecorder(t, m.URL(), "ana", pw["ana"], protocol.PageTopic("s1", "ana"))
	publish(t, bridge, protocol.PageTopic("s1", "ana"), false, []byte(`{"alert":"for-ana"}`))
	publish(t, bridge, protocol.PageTopic("s1", "ben"), false, []byte(`{"alert":"for-ben"}`))
	anaRec.await(0, "pager/ana/page", "for-ana")
	benRec.await(0, "pager/ben/page", "for-ben")
	require.Equal(t, 0, benRec.count(0, "pager/ana/page"), "ben cannot read ana's pages")

	// Subscribing to alert records works; a wildcard subscription is
	// granted, but the broker delivers only what the pager may read.
	anaRec.subscribe("sco/v1/s1/alert/+")
	publish(t, bridge, protocol.AlertTopic("s1", "a9"), false, []byte(`{"id":"a9"}`))
	anaRec.await(0, "alert/a9", `"id":"a9"`)
	wide := newRecorder(t, m.URL(), "ana", pw["ana"], "sco/v1/s1/#")
	publish(t, bridge, protocol.PageTopic("s1", "ben"), false, []byte(`{"alert":"wide-ben"}`))
	publish(t, bridge, protocol.PagerResultTopic("s1", "ben"), false, []byte(`{"id":"wide-ben"}`))
	publish(t, bridge, protocol.LaneCommandTopic("s1", "3"), false, []byte(`{"id":"wide-ben"}`))
	publish(t, bridge, protocol.PageTopic("s1", "ana"), false, []byte(`{"alert":"wide-ana"}`))
	wide.await(0, "pager/ana/page", "wide-ana")
	require.Equal(t, 0, wide.count(0, "pager/ben/page")+wide.count(0, "pager/ben/result")+wide.count(0, "lane/3/command"),
		"a wildcard does not let ana read ben's pages or lane commands:\n%s", wide.dump(0))

	// A wrong password is refused.
	cfg := mqttc.Config{Broker: m.URL(), Username: "ana", Password: "guess"}
	o, err := cfg.Options("pager-mallory", nil, nil, nil)
	require.NoError(t, err)
	o.SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(2 * time.Second)
	c := paho.NewClient(o)
	ctok := c.Connect()
	require.True(t, ctok.WaitTimeout(waitFor))
	require.Error(t, ctok.Error(), "wrong password")
}

// TestMosquittoLifecycle runs the whole alert lifecycle through a real
// Mosquitto with passwords and the shipped ACL: the bridge, the lane and
// the pagers each log in as themselves.
func TestMosquittoLifecycle(t *testing.T) {
	m := secureMosquitto(t)
	r, b := newAuthRig(t, m.URL(), testPasswords, nil, slow, "ana", "ben", "sue")
	lifecycle(t, r)
	require.NoError(t, b.Close())
}

// Issue 15.1, through a real Mosquitto with the shipped ACL: lane 3's
// login cannot cancel lane 4's alert by publishing the id on its own
// topic, nor page without bound by raising alerts by the thousand.
func TestMosquittoLaneCannotCancelAnothersAlert(t *testing.T) {
	m := secureMosquitto(t)
	r, _ := newAuthRig(t, m.URL(), testPasswords, nil, slow, "ana")
	r.pagingStarted("a0", "ana")
	lane4 := mqttClient(t, m.URL(), "lane-4", "lane-4", testPasswords["lane-4"], nil)
	from := r.rec.mark()
	alert4 := protocol.Alert{ID: "4-20261123-100001-aaaa", Store: "s1", Lane: "4", Zone: "front", Kind: protocol.KindHelp, Status: protocol.AlertOpen, TS: protocol.At(time.Now())}
	publish(t, lane4, protocol.LaneAlertTopic("s1", "4"), false, protocol.Encode(alert4))
	r.rec.await(from, "pager/ana/page", `"alert":"`+alert4.ID+`"`)

	// Lane 3 cancels it on its own topic, saying lane 3.
	fake := alert4
	fake.Lane, fake.Status = "3", protocol.AlertCancelled
	publish(t, r.lane, protocol.LaneAlertTopic("s1", "3"), false, protocol.Encode(fake))
	// Then floods: far more alerts than a lane may have open.
	const flood = 200
	for i := range flood {
		publish(t, r.lane, protocol.LaneAlertTopic("s1", "3"), false, laneAlert(fmt.Sprintf("fake-%d", i), protocol.KindHelp, protocol.AlertOpen))
	}
	// Lane 4 is still served: its next alert is paged after all that.
	alert4b := alert4
	alert4b.ID = "4-20261123-100002-bbbb"
	publish(t, lane4, protocol.LaneAlertTopic("s1", "4"), false, protocol.Encode(alert4b))
	r.rec.await(from, "pager/ana/page", `"alert":"`+alert4b.ID+`"`)
	// The cancel was handled before lane 3's flood, and that before
	// lane 4's second alert was paged (one connection each, in order).
	publish(t, r.rec.c, "sco/v1/s1/test/sync", false, []byte("sync"))
	r.rec.await(from, "test/sync")
	require.Equal(t, 0, r.rec.count(from, "pager/ana/page", `"alert":"`+alert4.ID+`"`, `"withdrawn":true`), "lane 4's alert was not withdrawn:\n%s", r.rec.dump(from))
	require.Equal(t, 0, r.rec.count(from, "alert/"+alert4.ID, `"status":"cancelled"`))
	fakes := 0
	for i := range flood {
		if r.rec.count(from, "pager/ana/page", fmt.Sprintf(`"alert":"fake-%d"`, i)) > 0 {
			fakes++
		}
	}
	require.Equal(t, attendant.DefaultLimits.OpenAlertsPerLane-1, fakes, "lane 3 had a0 open: %d more paged, the rest refused", attendant.DefaultLimits.OpenAlertsPerLane-1)
	require.Contains(t, r.log.String(), "which lane 4 raised: ignored")
}

// Issue 15.3, through a real Mosquitto with the shipped ACL: one pager's
// flood (commands with 8 KB ids, then thousands of small ones) neither
// grows the bridge without bound nor keeps a lane's alerts from being
// paged.
func TestMosquittoPagerFlood(t *testing.T) {
	m := secureMosquitto(t)
	r, b := newAuthRig(t, m.URL(), testPasswords, nil, slow, "ana", "ben")
	r.pagingStarted("a0", "ana")
	pages := newRecorder(t, m.URL(), "ana", testPasswords["ana"], protocol.PageTopic("s1", "ana"))
	pages.wait = time.Minute
	ben := r.pager["ben"].c
	topic := protocol.PagerCmdTopic("s1", "ben")
	big := strings.Repeat("x", 8<<10)
	for i := range 2000 {
		ben.Publish(topic, 0, false, protocol.Encode(protocol.PagerCmd{ID: big + strconv.Itoa(i), Alert: "a0", Action: protocol.PagerClaim}))
	}
	const small = 30000
	for i := range small {
		ben.Publish(topic, 0, false, protocol.Encode(protocol.PagerCmd{ID: "f" + strconv.Itoa(i), Alert: "a0", Action: protocol.PagerClaim}))
		if i == small/2 {
			for j := 1; j <= 5; j++ {
				r.raise(fmt.Sprintf("a%d", j), protocol.KindHelp)
			}
		}
	}
	publish(t, ben, topic, false, protocol.Encode(protocol.PagerCmd{ID: "last", Alert: "a0", Action: protocol.PagerClaim}))
	for j := 1; j <= 5; j++ {
		pages.await(0, "pager/ana/page", fmt.Sprintf(`"alert":"a%d"`, j))
	}
	require.NoError(t, b.Close())
	st := b.d.State()
	require.LessOrEqual(t, len(st.Results), attendant.MaxResultsPerAttendant+10, "answers stay bounded")
	for k := range st.Results {
		require.LessOrEqual(t, len(k), 200, "no 8 KB id is kept")
	}
	s, err := OpenStore(r.cfg.DataDir)
	require.NoError(t, err)
	defer s.Close()
	info, err := os.Stat(filepath.Join(r.cfg.DataDir, "bridge.db"))
	require.NoError(t, err)
	require.Less(t, info.Size(), int64(4<<20), "bridge.db stays small")
}
