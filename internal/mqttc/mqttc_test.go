package mqttc_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/sco-project/sco/internal/mqttc"
)

func TestValidateRefusesTLSFilesOnClearText(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.crt")
	require.NoError(t, os.WriteFile(ca, []byte("not used"), 0o600))
	for _, tc := range []struct {
		cfg  mqttc.Config
		want string
	}{
		{mqttc.Config{Broker: "tcp://127.0.0.1:1883", CAFile: ca}, "mqtt.ca_file: set, but tcp://127.0.0.1:1883 is not TLS (use ssl:// or wss://)"},
		{mqttc.Config{Broker: "mqtt://broker:1883", CertFile: ca, KeyFile: ca}, "mqtt.cert_file: set, but mqtt://broker:1883 is not TLS"},
		{mqttc.Config{Broker: "ws://broker:9001", InsecureSkipVerify: true}, "mqtt.insecure_skip_verify: set, but ws://broker:9001 is not TLS"},
		{mqttc.Config{InsecureSkipVerify: true}, "mqtt.insecure_skip_verify: set, but tcp://127.0.0.1:1883 is not TLS"},
	} {
		assert.ErrorContains(t, tc.cfg.Validate(), tc.want)
	}
	// With a TLS scheme the same file is read (and here found wanting).
	c := mqttc.Config{Broker: "ssl://127.0.0.1:8883", CAFile: ca}
	assert.ErrorContains(t, c.Validate(), "mqtt.ca_file: "+ca+" holds no PEM certificate")
	c = mqttc.Config{Broker: "ssl://127.0.0.1:8883", InsecureSkipVerify: true}
	assert.NoError(t, c.Validate())
}

func TestTLSConfigOnlyForTLSSchemes(t *testing.T) {
	for broker, want := range map[string]bool{"tcp://h:1": false, "mqtt://h:1": false, "ws://h:1": false,
		"ssl://h:1": true, "tls://h:1": true, "mqtts://h:1": true, "wss://h:1": true} {
		c := mqttc.Config{Broker: broker}
		tc, err := c.TLSConfig()
		require.NoError(t, err)
		assert.Equal(t, want, tc != nil, broker)
	}
}

func TestClientIDIsTheUsername(t *testing.T) {
	c := mqttc.Config{Username: "lane-3"}
	assert.Equal(t, "lane-3", c.ClientID("sco-lane-s1-3"))
	c = mqttc.Config{}
	assert.Equal(t, "sco-lane-s1-3", c.ClientID("sco-lane-s1-3"), "no username: the old id (anonymous test brokers)")
}

func TestOptionsSpeakMQTT311Only(t *testing.T) {
	c := mqttc.Config{Username: "bridge", Password: "pw"}
	o, err := c.Options(c.ClientID("x"), nil, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, uint(4), o.ProtocolVersion, "no silent fall-back to 3.1 that would hide why a connect failed")
	assert.Equal(t, "bridge", o.ClientID)
}

// YAML writes the block so that it parses back to the same config, with
// only the keys that are set.
func TestYAMLParsesBack(t *testing.T) {
	for _, c := range []mqttc.Config{
		{Broker: "tcp://127.0.0.1:1883"},
		{Broker: "ssl://store:8883", Username: "lane-3", Password: `p"w: #1`, CAFile: "/etc/sco/ca.crt"},
		{Broker: "wss://store:443/mqtt", PasswordFile: "/etc/sco/pw", CertFile: "/etc/sco/c.crt", KeyFile: "/etc/sco/c.key", InsecureSkipVerify: true},
	} {
		var got struct {
			MQTT mqttc.Config `yaml:"mqtt"`
		}
		require.NoError(t, yaml.Unmarshal([]byte(c.YAML()), &got), c.YAML())
		assert.Equal(t, c, got.MQTT)
	}
	c := mqttc.Config{Broker: "tcp://127.0.0.1:1883", Username: "bridge"}
	assert.Equal(t, "mqtt:\n  broker: \"tcp://127.0.0.1:1883\"\n  username: \"bridge\"\n", c.YAML())
}
