package bridge

import (
	"fmt"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/protocol"
)

// TestBridgeOverMutualTLS runs the bridge against a real Mosquitto TLS
// listener that requires a client certificate and a password: without the
// certificate the bridge never gets in; with it, it comes online.
func TestBridgeOverMutualTLS(t *testing.T) {
	dir := t.TempDir()
	pki := testsupport.PKI(t, dir, "bridge")
	port := testsupport.FreePort(t)
	tlsConf := fmt.Sprintf("listener %d 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s\nrequire_certificate true\n", port, pki["ca.crt"], pki["server.crt"], pki["server.key"])
	mt := secureMosquittoWith(t, tlsConf)
	url := fmt.Sprintf("ssl://127.0.0.1:%d", port)
	watch := newRecorder(t, mt.URL(), "bridge", testPasswords["bridge"], protocol.BridgeStateTopic("s1"))

	cfg := testConfig(t)
	cfg.MQTT = mqttc.Config{Broker: url, Username: "bridge", Password: testPasswords["bridge"], CAFile: pki["ca.crt"], CertFile: pki["bridge.crt"], KeyFile: pki["bridge.key"]}
	require.NoError(t, cfg.Validate())
	b, err := New(cfg, &Opts{Settle: 10 * time.Millisecond, ClientID: "bridge-tls"})
	require.NoError(t, err)
	run(t, b)
	watch.await(0, "bridge/state", `"online":true`)
	require.NoError(t, b.Close())
	watch.await(0, "bridge/state", `"online":false`)

	// Without a client certificate the broker refuses the handshake.
	noCert := mqttc.Config{Broker: url, Username: "bridge", Password: testPasswords["bridge"], CAFile: pki["ca.crt"]}
	o, err := noCert.Options("bridge-nocert", nil, nil, nil)
	require.NoError(t, err)
	o.SetAutoReconnect(false).SetConnectRetry(false)
	c := paho.NewClient(o)
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(waitFor))
	require.Error(t, tok.Error(), "a client without a certificate is refused")
	t.Logf("refused: %v", tok.Error())
}
