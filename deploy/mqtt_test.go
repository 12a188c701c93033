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
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/testsupport"
)

// waitFor bounds every wait on a broker or a daemon.
const waitFor = 20 * time.Second

// mosquitto is a Mosquitto process on a config file of the test's; it
// can be stopped and started again on the same config (and ports).
type mosquitto struct {
	t      *testing.T
	name   string
	conf   string
	cmd    *exec.Cmd
	exited chan error
	log    *testsupport.SyncBuffer
}

func startMosquitto(t *testing.T, name, conf string) *mosquitto {
	t.Helper()
	m := &mosquitto{t: t, name: name, conf: conf}
	m.start()
	t.Cleanup(m.stop)
	return m
}

func (m *mosquitto) start() {
	m.t.Helper()
	bin := testsupport.MosquittoBinary()
	require.NotEmpty(m.t, bin, "mosquitto not found")
	m.log = &testsupport.SyncBuffer{}
	m.cmd = exec.Command(bin, "-c", m.conf)
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	require.NoError(m.t, m.cmd.Start())
	m.exited = make(chan error, 1)
	go func(cmd *exec.Cmd, exited chan error) { exited <- cmd.Wait() }(m.cmd, m.exited)
	select {
	case <-m.log.Seen(" running"):
	case err := <-m.exited:
		m.t.Fatalf("%s mosquitto exited: %v\n%s", m.name, err, m.log.String())
	case <-time.After(waitFor):
		m.t.Fatalf("%s mosquitto did not start:\n%s", m.name, m.log.String())
	}
}

// stop ends Mosquitto with SIGTERM, as systemctl stop does (it saves its
// persistence file).
func (m *mosquitto) stop() {
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(10 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.exited
	}
	m.cmd = nil
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
