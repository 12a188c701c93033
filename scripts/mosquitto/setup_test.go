package mosquitto_test

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/internal/testsupport"
)

// TestDocumentedSetup runs the broker steps of docs/protocol.md (and
// README step 1, the same steps) literally on a copy of stock Debian's
// Mosquitto layout, then checks what the set-up promises: each user may
// publish and read exactly what the ACL allows, the client id is the
// username so a pager cannot push the bridge off, failed logins say why,
// and after the TLS steps lanes and pagers log in by certificate.
func TestDocumentedSetup(t *testing.T) {
	needTools(t)
	users := docBlock(t, "docs/protocol.md", "broker-users")
	require.Equal(t, users, docBlock(t, "README.md", "broker-users"), "README step 1 shows the steps of docs/protocol.md")
	h := newHost(t)
	h.run(users)
	for _, u := range []string{"bridge", "lane-3", "ana"} {
		require.Contains(t, h.passwords, u, "the documented steps create %s", u)
	}
	plain := func(u string) mqttc.Config {
		return mqttc.Config{Broker: h.url("tcp", "1883"), Username: u, Password: h.passwords[u]}
	}
	bridgeWill := &mqttc.Will{Topic: root + "bridge/state", Payload: []byte(`{"online":false}`), QoS: 1, Retain: false}
	c := map[string]*testsupport.MQTTClient{
		"bridge": login(t, "bridge", plain("bridge"), "", bridgeWill),
		"lane-3": login(t, "lane-3", plain("lane-3"), "", nil),
		"ana":    login(t, "ana", plain("ana"), "", nil),
	}
	for _, cl := range c {
		cl.Subscribe(root + "#")
	}

	t.Run("writes", func(t *testing.T) { checkWrites(t, c) })
	t.Run("reads", func(t *testing.T) { checkReads(t, c) })
	t.Run("a second handheld", func(t *testing.T) { checkDevice(t, h, c) })
	t.Run("client id is the username", func(t *testing.T) {
		// ana tries the bridge's client id (today's and the old one) and a
		// lane's: each time the broker makes it "ana", so only ana's own
		// earlier connection goes, and the bridge stays, its will unsent.
		for _, id := range []string{"bridge", "sco-bridge-s1", "lane-3"} {
			login(t, "ana as "+id, plain("ana"), id, nil)
		}
		requireLost(t, c["ana"], "a second login as ana replaces the first")
		c["bridge"].Publish(root+"bridge/state", false, "still here")
		c["lane-3"].Await(root+"bridge/state", "still here")
		assert.False(t, c["lane-3"].Has(root+"bridge/state", `{"online":false}`), "the bridge's will fired")
		assert.True(t, c["bridge"].C.IsConnectionOpen(), "the bridge was pushed off")
		assert.Empty(t, c["bridge"].Lost)
	})
	t.Run("failures say why", func(t *testing.T) {
		bad := plain("ana")
		bad.Password = "guess"
		assert.Contains(t, failure(t, bad), "not authorised")
		assert.Contains(t, failure(t, mqttc.Config{Broker: h.url("tcp", "8883"), Username: "ana"}), "connection refused",
			"nothing listens on 8883 before the TLS steps")
		assert.Contains(t, failure(t, mqttc.Config{Broker: h.url("tcp", "1883")}), "not authorised", "no anonymous logins")
	})

	// TLS: the documented recipe, then logins by certificate.
	h.run(docBlock(t, "docs/protocol.md", "broker-tls"))
	d := h.path("/etc/mosquitto/sco")
	byCert := func(u string) mqttc.Config {
		return mqttc.Config{Broker: h.url("ssl", "8883"), Username: u,
			CAFile: filepath.Join(d, "ca.crt"), CertFile: filepath.Join(d, u+".crt"), KeyFile: filepath.Join(d, u+".key")}
	}
	t.Run("tls", func(t *testing.T) {
		bridge := login(t, "bridge", plain("bridge"), "", nil)
		bridge.Subscribe(root + "#")
		lane := login(t, "lane-3 by certificate", byCert("lane-3"), "", nil)
		lane.Publish(root+"lane/3/state", false, "tls lane-3")
		bridge.Await(root+"lane/3/state", "tls lane-3")

		// The certificate is the login: ana's certificate with the
		// bridge's username, password and client id is still ana.
		forged := byCert("ana")
		forged.Username, forged.Password = "bridge", h.passwords["bridge"]
		ana := login(t, "ana by certificate, claiming to be the bridge", forged, "bridge", nil)
		ana.Publish(root+"lane/3/command", false, "forged")
		ana.Publish(root+"pager/ana/presence", false, "barrier tls ana")
		bridge.Await(root+"pager/ana/presence", "barrier tls ana")
		assert.False(t, bridge.Has(root+"lane/3/command", "forged"), "the certificate's user, not the username sent, is checked")
		assert.True(t, bridge.C.IsConnectionOpen(), "client id bridge pushed the bridge off")
	})
	t.Run("tls failures say why", func(t *testing.T) {
		noCert := byCert("lane-3")
		noCert.CertFile, noCert.KeyFile = "", ""
		// Mosquitto sends its alert and closes at once: the client sees
		// the alert or the close first.
		assert.Regexp(t, `TLS: the broker refused the handshake \(tls: certificate required|the broker closed the connection during the handshake \(plain MQTT on a TLS port, or a client certificate missing or refused\)`,
			failure(t, noCert))
		otherCA := byCert("lane-3")
		otherCA.CAFile = "" // the system's CAs, not the store's
		assert.Contains(t, failure(t, otherCA), "TLS: the broker's certificate is not signed by a CA we trust")
		assert.Contains(t, failure(t, mqttc.Config{Broker: h.url("tcp", "8883"), Username: "lane-3"}),
			"the broker closed the connection during the handshake", "plain MQTT on the TLS port")
	})

	t.Run("control: without use_username_as_clientid the bridge is pushed off", func(t *testing.T) {
		for _, name := range []string{"sco.conf", "sco-tls.conf"} {
			p := h.path("/etc/mosquitto/conf.d/" + name)
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(p, []byte(strings.ReplaceAll(string(b), "use_username_as_clientid true\n", "")), 0o644))
		}
		h.restart()
		bridge := login(t, "bridge", plain("bridge"), "", bridgeWill)
		lane := login(t, "lane-3", plain("lane-3"), "", nil)
		lane.Subscribe(root + "bridge/state")
		login(t, "ana as bridge", plain("ana"), "bridge", nil)
		requireLost(t, bridge, "the bridge is pushed off")
		lane.Await(root+"bridge/state", `{"online":false}`)
	})
	require.NotContains(t, h.Log(), "Warning: ACL pattern")
}

func requireLost(t *testing.T, cl *testsupport.MQTTClient, what string) {
	t.Helper()
	select {
	case <-cl.Lost:
	case <-time.After(waitFor):
		t.Fatalf("%s: the login was not disconnected within %v", what, waitFor)
	}
}

// writes: who may publish on each topic (under sco/v1/s1/).
var writes = map[string][]string{
	"lane/3/state":          {"bridge", "lane-3"},
	"lane/3/alert":          {"bridge", "lane-3"},
	"lane/3/command":        {"bridge"},
	"lane/3/command/result": {"bridge", "lane-3"},
	"lane/3/assist":         {"bridge"},
	"lane/3/checkout":       {"bridge", "lane-3"},
	"lane/4/state":          {"bridge"},
	"lane/4/alert":          {"bridge"},
	"alert/a1":              {"bridge"},
	"pager/ana/presence":    {"bridge", "ana"},
	"pager/ana/cmd":         {"bridge", "ana"},
	"pager/ana/page":        {"bridge"},
	"pager/ana/result":      {"bridge"},
	"pager/ben/presence":    {"bridge"},
	"pager/ben/cmd":         {"bridge"},
	"broadcast/page":        {"bridge", "lane-3"},
	"bridge/state":          {"bridge"},
}

// reads: who receives what the bridge publishes on each topic.
var reads = map[string][]string{
	"lane/3/state":          {"bridge", "lane-3", "ana"},
	"lane/3/alert":          {"bridge"},
	"lane/3/command":        {"bridge", "lane-3"},
	"lane/3/command/result": {"bridge"},
	"lane/3/assist":         {"bridge", "lane-3", "ana"},
	"lane/3/checkout":       {"bridge"},
	"lane/4/state":          {"bridge", "lane-3", "ana"},
	"lane/4/command":        {"bridge"},
	"alert/a1":              {"bridge", "lane-3", "ana"},
	"pager/ana/presence":    {"bridge", "ana"},
	"pager/ana/cmd":         {"bridge"},
	"pager/ana/page":        {"bridge", "ana"},
	"pager/ana/result":      {"bridge", "ana"},
	"pager/ana/profile":     {"bridge", "ana"},
	"pager/ben/page":        {"bridge"},
	"pager/ben/presence":    {"bridge"},
	"broadcast/page":        {"bridge", "lane-3", "ana"},
	"bridge/state":          {"bridge", "lane-3", "ana"},
}

// barrier is a topic each user may publish on and the bridge reads: once
// the bridge has a user's barrier, it has everything the user published
// before it that the broker let through.
var barrier = map[string]string{"bridge": "bridge/state", "lane-3": "lane/3/state", "ana": "pager/ana/presence"}

// checkWrites: every user publishes on every topic; the bridge, which
// reads everything, receives exactly the allowed ones.
func checkWrites(t *testing.T, c map[string]*testsupport.MQTTClient) {
	for u, cl := range c {
		for topic := range writes {
			cl.Publish(root+topic, false, "w "+u)
		}
		cl.Publish(root+barrier[u], false, "barrier "+u)
		c["bridge"].Await(root+barrier[u], "barrier "+u)
		for topic, who := range writes {
			assert.Equal(t, slices.Contains(who, u), c["bridge"].Has(root+topic, "w "+u), "%s publishing on %s", u, topic)
		}
	}
}

// checkReads: the bridge publishes on every topic; each user, subscribed
// to the whole store, receives exactly what it may read.
func checkReads(t *testing.T, c map[string]*testsupport.MQTTClient) {
	for topic := range reads {
		c["bridge"].Publish(root+topic, false, "r")
	}
	c["bridge"].Publish(root+"broadcast/page", false, "barrier reads")
	for u, cl := range c {
		cl.Await(root+"broadcast/page", "barrier reads")
		var got, want []string
		for _, m := range cl.Received() {
			if m.Payload == "r" {
				got = append(got, strings.TrimPrefix(m.Topic, root))
			}
		}
		for topic, who := range reads {
			if slices.Contains(who, u) {
				want = append(want, topic)
			}
		}
		sort.Strings(got)
		sort.Strings(want)
		assert.Equal(t, want, got, "what %s reads", u)
	}
}

// checkDevice runs the documented step that gives ana a second handheld
// (user ana.tc52) and checks it: both logins stay connected, the second
// may do what ana may on ana's topics and nothing on anyone else's, and
// it finds ana's profile under any store (discovery).
func checkDevice(t *testing.T, h *host, c map[string]*testsupport.MQTTClient) {
	h.run(docBlock(t, "docs/protocol.md", "broker-device"))
	require.Contains(t, h.passwords, "ana.tc52")
	dev := login(t, "ana.tc52", mqttc.Config{Broker: h.url("tcp", "1883"), Username: "ana.tc52", Password: h.passwords["ana.tc52"]}, "", nil)

	c["bridge"].Publish(root+"pager/ana/profile", true, "profile of ana")
	t.Cleanup(func() { c["bridge"].C.Publish(root+"pager/ana/profile", 1, true, []byte{}).WaitTimeout(waitFor) })
	dev.Subscribe("sco/v1/+/pager/ana/profile")
	dev.Await(root+"pager/ana/profile", "profile of ana")

	dev.Subscribe(root + "#")
	for _, topic := range []string{"pager/ana/presence", "pager/ana/cmd", "pager/ben/presence", "pager/ben/cmd", "lane/3/command", "pager/ana/page"} {
		dev.Publish(root+topic, false, "w ana.tc52")
	}
	dev.Publish(root+"pager/ana/presence", false, "barrier ana.tc52")
	c["bridge"].Await(root+"pager/ana/presence", "barrier ana.tc52")
	for topic, want := range map[string]bool{"pager/ana/presence": true, "pager/ana/cmd": true, "pager/ben/presence": false,
		"pager/ben/cmd": false, "lane/3/command": false, "pager/ana/page": false} {
		assert.Equal(t, want, c["bridge"].Has(root+topic, "w ana.tc52"), "ana.tc52 publishing on %s", topic)
	}
	c["bridge"].Publish(root+"pager/ben/page", false, "page for ben")
	c["bridge"].Publish(root+"pager/ana/page", false, "page for ana")
	dev.Await(root+"pager/ana/page", "page for ana")
	c["ana"].Await(root+"pager/ana/page", "page for ana")
	assert.False(t, dev.Has(root+"pager/ben/page", "page for ben"), "ana.tc52 reads ben's pages")
	assert.True(t, c["ana"].C.IsConnectionOpen() && dev.C.IsConnectionOpen(), "ana's two logins push each other off")
	assert.Empty(t, c["ana"].Lost)
}
