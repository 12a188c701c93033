package deploy_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/testsupport"
)

// waitFor bounds every wait on a broker or a daemon.
const waitFor = 20 * time.Second

// startMosquitto runs Mosquitto on the config file conf until the test
// ends; the test can stop it and start it again.
func startMosquitto(t *testing.T, name, conf string) *testsupport.MosquittoService {
	t.Helper()
	m := testsupport.NewMosquittoService(t, name, conf)
	m.Start()
	return m
}

// connect logs in to broker (tcp://host:port); clean false keeps the
// session (subscriptions and queued messages) while it is away.
func connect(t *testing.T, broker, clientID, user, password string, clean bool) *testsupport.MQTTClient {
	t.Helper()
	return testsupport.ConnectMQTT(t, clientID, paho.NewClientOptions().AddBroker(broker).SetClientID(clientID).
		SetUsername(user).SetPassword(password).SetCleanSession(clean).SetConnectTimeout(5*time.Second))
}

// testCA signs the test's TLS certificates.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	der  []byte
}

func newCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test central CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return &testCA{cert: cert, key: key, der: der}
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
}

// issue writes dir/name.crt and dir/name.key: a server certificate for
// 127.0.0.1, or a client certificate whose common name is cn.
func (ca *testCA) issue(t *testing.T, dir, name, cn string, server bool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	writePEM(t, filepath.Join(dir, name+".crt"), "CERTIFICATE", der)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	writePEM(t, filepath.Join(dir, name+".key"), "EC PRIVATE KEY", kder)
}

// asRoot is the line a Mosquitto config needs when the test runs as root:
// Mosquitto would drop to its own user, which cannot read the test's
// temporary files.
func asRoot() string {
	if os.Geteuid() == 0 {
		return "user root\n"
	}
	return ""
}
