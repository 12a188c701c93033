package bridge

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/protocol"
)

// testPKI writes a CA, a server certificate for 127.0.0.1 and a client
// certificate into dir and returns their paths by name.
func testPKI(t *testing.T, dir string) map[string]string {
	t.Helper()
	paths := map[string]string{}
	write := func(name, typ string, der []byte) {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o644))
		paths[name] = p
	}
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		return k
	}
	caKey := newKey()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sco test ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	write("ca.crt", "CERTIFICATE", caDER)
	caCert, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	leaf := func(name string, serial int64, usage x509.ExtKeyUsage, ips []net.IP) {
		k := newKey()
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		require.NoError(t, err)
		kder, err := x509.MarshalECPrivateKey(k)
		require.NoError(t, err)
		write(name+".crt", "CERTIFICATE", der)
		write(name+".key", "EC PRIVATE KEY", kder)
	}
	leaf("server", 2, x509.ExtKeyUsageServerAuth, []net.IP{net.IPv4(127, 0, 0, 1)})
	leaf("bridge", 3, x509.ExtKeyUsageClientAuth, nil)
	return paths
}

func freeTCPPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestBridgeOverMutualTLS runs the bridge against a real Mosquitto TLS
// listener that requires a client certificate and a password: without the
// certificate the bridge never gets in; with it, it comes online.
func TestBridgeOverMutualTLS(t *testing.T) {
	dir := t.TempDir()
	pki := testPKI(t, dir)
	port := freeTCPPort(t)
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
