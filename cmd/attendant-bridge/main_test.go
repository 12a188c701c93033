package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/protocol"
)

func writeConfig(t *testing.T, broker, extra string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bridge.yaml")
	// data_dir is relative to the config file.
	cfg := "store: s1\nmqtt: { broker: " + broker + " }\ndata_dir: data\n" +
		"attendants:\n  - { id: ana, name: Ana, zone: front, roles: [attendant] }\n" + extra
	require.NoError(t, os.WriteFile(p, []byte(cfg), 0o600))
	return p
}

func TestCheckConfig(t *testing.T) {
	bin := testsupport.Binary(t, ".")
	good := writeConfig(t, "tcp://127.0.0.1:1883", "")
	out, err := exec.Command(bin, "-check-config", good).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, good+": ok (store s1, 1 attendant, broker tcp://127.0.0.1:1883, data_dir "+filepath.Join(filepath.Dir(good), "data")+")\n", string(out))

	// A valid config with a zone pair that has no walking time: ok, and
	// it says what that pair takes.
	warn := writeConfig(t, "tcp://127.0.0.1:1883", "  - { id: ben, zone: back, roles: [attendant] }\n  - { id: sue, zone: office, roles: [supervisor] }\nzones: { front: { back: 40s } }\n")
	out, err = exec.Command(bin, "-check-config", warn).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, warn+": ok (store s1, 3 attendants, broker tcp://127.0.0.1:1883, data_dir "+filepath.Join(filepath.Dir(warn), "data")+")\n"+
		warn+": warning: zones: no walking time between back and office: taken as 40s (the longest walk)\n"+
		warn+": warning: zones: no walking time between front and office: taken as 40s (the longest walk)\n", string(out))

	// An attendant id that is a lane's, the bridge's or the console's
	// username is refused.
	for _, id := range []string{"lane-3", "bridge", "console"} {
		reserved := writeConfig(t, "tcp://127.0.0.1:1883", "  - { id: "+id+", zone: back, roles: [attendant] }\n")
		out, err = exec.Command(bin, "-check-config", reserved).CombinedOutput()
		require.Error(t, err)
		require.Contains(t, string(out), `attendants[1].id: "`+id+`"`)
	}

	bad := writeConfig(t, "tcp://127.0.0.1:1883", "escalation: { ack_timout: 5s }\n")
	cmd := exec.Command(bin, "-check-config", bad)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	require.Error(t, err)
	require.Equal(t, 1, cmd.ProcessState.ExitCode())
	require.Equal(t, "attendant-bridge: bridge: "+bad+": line 6: unknown key ack_timout\n", stderr.String())

	cmd = exec.Command(bin)
	out, err = cmd.CombinedOutput()
	require.Error(t, err)
	require.Equal(t, 2, cmd.ProcessState.ExitCode())
	require.Contains(t, string(out), "attendant-bridge: -config or -check-config is required\nusage: attendant-bridge -config FILE [flags]")
}

// TestHelp: -h prints the usage on stdout and exits 0; a bad flag or log
// level exits 2.
func TestHelp(t *testing.T) {
	bin := testsupport.Binary(t, ".")
	out, err := exec.Command(bin, "-h").Output()
	require.NoError(t, err)
	require.Contains(t, string(out), "usage: attendant-bridge -config FILE [flags]\n       attendant-bridge -check-config FILE\n")
	require.Contains(t, string(out), "-log-level debug|info|warn|error|off")

	for _, args := range [][]string{{"-colour"}, {"-config", "x.yaml", "-log-level", "loud"}} {
		cmd := exec.Command(bin, args...)
		out, err := cmd.CombinedOutput()
		require.Error(t, err)
		require.Equal(t, 2, cmd.ProcessState.ExitCode(), "%v: %s", args, out)
	}
}

// TestRunBinary runs the real binary against a broker: it comes online,
// pages for an alert, logs JSON, and on SIGTERM says it is offline and
// exits 0.
func TestRunBinary(t *testing.T) {
	bin := testsupport.Binary(t, ".")
	broker := testsupport.Mochi(t)
	cfgPath := writeConfig(t, broker.URL(), "")

	c, await := watchStore(t, broker.URL())
	c.Publish(protocol.PresenceTopic("s1", "ana"), 1, true, []byte(`{"status":"available"}`)).Wait()

	p := testsupport.StartProc(t, "attendant-bridge", bin, "-config", cfgPath, "-log-format", "json")
	await(protocol.BridgeStateTopic("s1"), `"online":true`)
	c.Publish(protocol.LaneAlertTopic("s1", "3"), 1, false, protocol.Encode(protocol.Alert{ID: "a1", Store: "s1", Lane: "3", Zone: "front", Kind: protocol.KindHelp, Status: protocol.AlertOpen})).Wait()
	await(protocol.PageTopic("s1", "ana"), `"alert":"a1"`)
	p.WaitMsg("paged")

	p.Term() // exit status 0 within its Wait
	await(protocol.BridgeStateTopic("s1"), `"online":false`)
	for _, l := range strings.Split(p.Log(), "\n") {
		var v map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &v), "log line is JSON: %s", l)
	}
}

// TestKillAndRestart kills the bridge with SIGKILL while an alert is open
// and claimed: the broker publishes its will (lanes fall back to
// broadcast paging), and the restarted bridge still knows the claim and
// pages the other open alert again.
func TestKillAndRestart(t *testing.T) {
	bin := testsupport.Binary(t, ".")
	broker := testsupport.Mochi(t)
	cfgPath := writeConfig(t, broker.URL(), "  - { id: ben, name: Ben, zone: back, roles: [attendant] }\n")

	c, await := watchStore(t, broker.URL())
	for _, id := range []string{"ana", "ben"} {
		c.Publish(protocol.PresenceTopic("s1", id), 1, true, []byte(`{"status":"available"}`)).Wait()
	}
	run := func() (*exec.Cmd, chan struct{}) {
		cmd := exec.Command(bin, "-config", cfgPath)
		require.NoError(t, cmd.Start())
		exited := make(chan struct{})
		go func() {
			_ = cmd.Wait()
			close(exited)
		}()
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			<-exited
		})
		return cmd, exited
	}

	cmd, exited := run()
	await(protocol.BridgeStateTopic("s1"), `"online":true`)
	alert := func(id, zone string) []byte {
		return protocol.Encode(protocol.Alert{ID: id, Store: "s1", Lane: "3", Zone: zone, Kind: protocol.KindHelp, Status: protocol.AlertOpen})
	}
	c.Publish(protocol.LaneAlertTopic("s1", "3"), 1, false, alert("a1", "front")).Wait()
	await(protocol.PageTopic("s1", "ana"), `"alert":"a1"`)
	c.Publish(protocol.PagerCmdTopic("s1", "ana"), 1, false, []byte(`{"id":"c1","alert":"a1","action":"claim"}`)).Wait()
	await(protocol.PagerResultTopic("s1", "ana"), `"ok":true`)
	c.Publish(protocol.LaneAlertTopic("s1", "3"), 1, false, alert("a2", "back")).Wait()
	await(protocol.PageTopic("s1", "ben"), `"alert":"a2"`)

	require.NoError(t, cmd.Process.Kill())
	<-exited
	await(protocol.BridgeStateTopic("s1"), `"online":false`)

	run()
	await(protocol.BridgeStateTopic("s1"), `"online":true`)
	// As every lane does when the bridge turns online: its open alerts
	// again. a2's first page went out while a2 was being saved, so a kill
	// right after it may have left a2 unsaved: this pages it again.
	for _, a := range [][]byte{alert("a1", "front"), alert("a2", "back")} {
		c.Publish(protocol.LaneAlertTopic("s1", "3"), 1, false, a).Wait()
	}
	await(protocol.PageTopic("s1", "ben"), `"alert":"a2"`)
	// The claim survived: ben's claim on a1 loses to ana's.
	c.Publish(protocol.PagerCmdTopic("s1", "ben"), 1, false, []byte(`{"id":"c2","alert":"a1","action":"claim"}`)).Wait()
	await(protocol.PagerResultTopic("s1", "ben"), `"error":"not paged for this alert","claimed_by":"ana"`)
}

// watchStore subscribes to everything of store s1 and returns a client
// to publish with and a function that waits for the next message on
// topic whose payload contains fragment.
func watchStore(t *testing.T, url string) (paho.Client, func(topic, fragment string)) {
	t.Helper()
	s := newStoreLog(t, url)
	at := 0
	return s.c, func(topic, fragment string) {
		t.Helper()
		s.await(&at, topic, has(fragment))
	}
}

// hash-pin prints a bcrypt hash of the PIN on stdin that the bridge
// config takes as pin_hash and the app signs in with.
func TestHashPIN(t *testing.T) {
	bin := testsupport.Binary(t, ".")
	cmd := exec.Command(bin, "hash-pin")
	cmd.Stdin = strings.NewReader("4711\n")
	out, err := cmd.Output()
	require.NoError(t, err)
	hash := strings.TrimSpace(string(out))
	require.NoError(t, bcrypt.CompareHashAndPassword([]byte(hash), []byte("4711")))
	cfg := writeConfig(t, "tcp://127.0.0.1:1883", "  - { id: ben, zone: back, roles: [attendant], pin_hash: \""+hash+"\" }\n")
	out, err = exec.Command(bin, "-check-config", cfg).CombinedOutput()
	require.NoError(t, err, "%s", out)

	for _, in := range []string{"", "\n", "12\n"} {
		cmd := exec.Command(bin, "hash-pin")
		cmd.Stdin = strings.NewReader(in)
		out, err := cmd.CombinedOutput()
		require.Error(t, err, "%q", in)
		require.Contains(t, string(out), "attendant-bridge hash-pin: ", "%q", in)
	}
}
