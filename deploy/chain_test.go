package deploy_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/protocol"
)

// TestCentralBridgeTemplate checks the template as a store installs it:
// its one topic line sends the store's root out, and nothing comes in.
func TestCentralBridgeTemplate(t *testing.T) {
	var topics []string
	for _, line := range strings.Split(read(t, "mosquitto/central-bridge.conf"), "\n") {
		if strings.HasPrefix(line, "topic ") {
			topics = append(topics, line)
		}
	}
	assert.Equal(t, []string{"topic sco/v1/STORE/# out 1"}, topics, "out only, QoS 1, the store's root")
	text := read(t, "mosquitto/central-bridge.conf")
	for _, line := range []string{"cleansession false", "local_cleansession false", "try_private false", "address central.example.net:8883"} {
		assert.Contains(t, strings.Split(text, "\n"), line)
	}
}

// TestChain runs a store and the chain's central broker, two real
// Mosquittos on the loopback: the store's has the shipped sco.conf, ACL
// and users, and the shipped central-bridge.conf (STORE s1, the central
// address and certificates filled in, a shorter restart_timeout); the
// central one takes the store's client certificate over TLS and lets the
// store write only its own root. A real attendant-bridge pages a pager.
//
// While the uplink is down the store keeps paging: a lane alert still
// reaches the pager. When it is back, a central consumer with a
// persistent session sees what it missed, and it deduplicates by message
// id, as docs/deploy.md tells central consumers to. A command published
// at the central broker never reaches the lane.
func TestChain(t *testing.T) {
	testsupport.NeedMosquittoPasswd(t)
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	dir := t.TempDir()
	ca := newCA(t)
	writePEM(t, filepath.Join(dir, "central-ca.crt"), "CERTIFICATE", ca.der)
	ca.issue(t, dir, "central-server", "127.0.0.1", true)
	ca.issue(t, dir, "central-client", "sco-store-s1", false)

	// The central broker: TLS with client certificates for stores (each
	// may write only under its own root), plain on the loopback for the
	// test's consumer.
	centralTLS, centralPlain := testsupport.FreePort(t), testsupport.FreePort(t)
	centralData := filepath.Join(dir, "central-data") + "/"
	require.NoError(t, os.MkdirAll(centralData, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "central.acl"), []byte("user sco-store-s1\ntopic write sco/v1/s1/#\n"), 0o600))
	central := startMosquitto(t, "central", writeConf(t, dir, "central.conf", asRoot()+fmt.Sprintf(`per_listener_settings true
persistence true
persistence_location %[1]s
log_dest stderr
log_type error
log_type warning
log_type notice
log_type information
listener %[2]d 127.0.0.1
cafile %[3]s/central-ca.crt
certfile %[3]s/central-server.crt
keyfile %[3]s/central-server.key
require_certificate true
use_identity_as_username true
allow_anonymous false
acl_file %[3]s/central.acl
listener %[4]d 127.0.0.1
allow_anonymous true
`, centralData, centralTLS, dir, centralPlain)))
	centralURL := fmt.Sprintf("tcp://127.0.0.1:%d", centralPlain)
	consumer := connect(t, centralURL, "chain-consumer", "", "", false)
	consumer.Subscribe("sco/v1/s1/#")

	// The store's broker: the shipped snippet and ACL, users made by the
	// shipped add-user.sh, and the shipped bridge template.
	storePort := testsupport.FreePort(t)
	users := map[string][]string{"bridge": {"bridge"}, "lane-3": {"lane", "s1", "3"}, "ana": {"pager", "ana"}}
	for u, args := range users {
		argv := append([]string{filepath.Join(testsupport.RepoRoot(t), "scripts/mosquitto/add-user.sh"), "-d", dir}, args...)
		out, err := exec.Command("bash", append(argv, "pw-"+u)...).CombinedOutput()
		require.NoError(t, err, "add-user.sh %v: %s", args, out)
	}
	// A monitor login that may read the uplink state, as docs/deploy.md
	// shows.
	out, err := exec.Command("mosquitto_passwd", "-b", filepath.Join(dir, "passwd"), "monitor", "pw-monitor").CombinedOutput()
	require.NoError(t, err, "%s", out)
	appendFile(t, filepath.Join(dir, "acl"), "\n# the uplink's state\nuser monitor\ntopic read $SYS/broker/connection/#\n")

	sco := strings.ReplaceAll(read(t, "../scripts/mosquitto/sco.conf"), "/etc/mosquitto/sco/", dir+"/")
	sco = strings.Replace(sco, "listener 1883 127.0.0.1", fmt.Sprintf("listener %d 127.0.0.1", storePort), 1)
	bridgeConf := read(t, "mosquitto/central-bridge.conf")
	bridgeConf = strings.ReplaceAll(bridgeConf, "STORE", "s1")
	bridgeConf = strings.Replace(bridgeConf, "address central.example.net:8883", fmt.Sprintf("address 127.0.0.1:%d", centralTLS), 1)
	bridgeConf = strings.ReplaceAll(bridgeConf, "/etc/mosquitto/sco/", dir+"/")
	bridgeConf = strings.Replace(bridgeConf, "restart_timeout 5 60", "restart_timeout 1 1", 1)
	storeData := filepath.Join(dir, "store-data") + "/"
	require.NoError(t, os.MkdirAll(storeData, 0o700))
	startMosquitto(t, "store", writeConf(t, dir, "store.conf",
		asRoot()+"persistence_location "+storeData+"\n"+sco+"\n"+bridgeConf))
	storeURL := fmt.Sprintf("tcp://127.0.0.1:%d", storePort)

	monitor := connect(t, storeURL, "monitor", "monitor", "pw-monitor", true)
	monitor.Subscribe("$SYS/broker/connection/+/state")
	const uplink = "$SYS/broker/connection/sco-store-s1/state"
	monitor.AwaitContains(uplink, "1")

	// The store: a real attendant-bridge, a pager and a lane.
	runBridge(t, dir, storeURL)
	consumer.AwaitContains("sco/v1/s1/bridge/state", `"online":true`)

	ana := connect(t, storeURL, "ana", "ana", "pw-ana", true)
	ana.Subscribe(protocol.PageTopic("s1", "ana"))
	ana.Publish(protocol.PresenceTopic("s1", "ana"), true,
		protocol.Encode(protocol.Presence{Status: protocol.PresenceAvailable, Zone: "front", Seq: 1, TS: protocol.At(time.Now())}))
	lane := connect(t, storeURL, "lane-3", "lane-3", "pw-lane-3", true)
	lane.Subscribe(protocol.LaneCommandTopic("s1", "3"))

	raise := func(id string, seq uint64) {
		t.Helper()
		now := protocol.At(time.Now())
		lane.Publish(protocol.LaneStateTopic("s1", "3"), true, protocol.Encode(protocol.LaneState{Store: "s1", Lane: "3", Zone: "front",
			Online: true, State: "assist", Light: "yellow_flash", Session: "sess-1", Alerts: []string{id}, Seq: seq, TS: now}))
		lane.Publish(protocol.LaneAlertTopic("s1", "3"), false, protocol.Encode(protocol.Alert{ID: id, Store: "s1", Lane: "3", Zone: "front",
			Kind: protocol.KindHelp, Severity: protocol.SeverityOf(protocol.KindHelp), Status: protocol.AlertOpen, Attempts: 1, TS: now}))
	}

	// Uplink up: an alert is paged in the store and seen centrally.
	raise("lane-3-a1", 1)
	ana.AwaitContains(protocol.PageTopic("s1", "ana"), `"alert":"lane-3-a1"`)
	consumer.AwaitContains(protocol.LaneAlertTopic("s1", "3"), `"id":"lane-3-a1"`)

	// Uplink down: the consumer leaves (its session stays at the central
	// broker), the central broker stops.
	consumer.C.Disconnect(250)
	central.Stop()
	monitor.AwaitContains(uplink, "0")

	// The store keeps paging.
	raise("lane-3-a2", 2)
	ana.AwaitContains(protocol.PageTopic("s1", "ana"), `"alert":"lane-3-a2"`)

	// The uplink returns; the central side gets what it missed.
	central.Start()
	monitor.AwaitContains(uplink, "1") // retained "1" again: the latest is what counts
	consumer = connect(t, centralURL, "chain-consumer", "", "", false)
	consumer.AwaitContains(protocol.LaneAlertTopic("s1", "3"), `"id":"lane-3-a2"`)
	consumer.AwaitContains(protocol.AlertTopic("s1", "lane-3-a2"), `"id":"lane-3-a2"`)
	consumer.AwaitContains(protocol.PageTopic("s1", "ana"), `"alert":"lane-3-a2"`)

	// A consumer counts each alert once, whatever QoS 1 and the bridge
	// deliver twice.
	seen := map[string]int{}
	for _, m := range consumer.Received() {
		if m.Topic == protocol.LaneAlertTopic("s1", "3") {
			var a protocol.Alert
			require.NoError(t, protocol.Decode([]byte(m.Payload), &a))
			seen[a.ID]++
		}
	}
	assert.Contains(t, seen, "lane-3-a2")

	// Nothing comes in: a command published centrally for the lane does
	// not reach it, while the lane's next state still goes out.
	consumer.Publish(protocol.LaneCommandTopic("s1", "3"), false, []byte(`{"id":"c1","alert":"lane-3-a2","action":"void","by":"central"}`))
	raise("lane-3-a3", 3)
	consumer.AwaitContains(protocol.LaneAlertTopic("s1", "3"), `"id":"lane-3-a3"`)
	for _, m := range lane.Received() {
		assert.NotContains(t, m.Payload, `"by":"central"`, "a central command reached the lane")
	}
}

// runBridge runs the real attendant-bridge on the store's broker, with
// ana on the roster, until the test ends.
func runBridge(t *testing.T, dir, broker string) {
	t.Helper()
	conf := writeConf(t, dir, "bridge.yaml", fmt.Sprintf(`store: s1
mqtt: { broker: %s, username: bridge, password: pw-bridge }
data_dir: %s
attendants:
  - { id: ana, name: Ana, zone: front, roles: [attendant, age_verifier] }
`, broker, filepath.Join(dir, "bridge-data")))
	cmd := exec.Command(testsupport.Binary(t, "github.com/sco-project/sco/cmd/attendant-bridge"), "-config", conf)
	log := &testsupport.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			assert.NoError(t, err, "attendant-bridge:\n%s", log.String())
		case <-time.After(waitFor):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("attendant-bridge did not stop on SIGTERM:\n%s", log.String())
		}
	})
}

func writeConf(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
	return p
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(text)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}
