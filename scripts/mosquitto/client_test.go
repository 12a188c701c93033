package mosquitto_test

import (
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/internal/testsupport"
)

// waitFor bounds every wait on the broker.
const waitFor = testsupport.MQTTWait

// root is the store's topic root in the documented steps (lane s1 3).
const root = "sco/v1/s1/"

// login connects with cfg as the daemons make theirs (mqttc options,
// the username as client id), but without reconnecting, so that being
// pushed off the broker shows; clientID "" means cfg.ClientID, as
// kioskd, the bridge and the pager choose it.
func login(t *testing.T, name string, cfg mqttc.Config, clientID string, will *mqttc.Will) *testsupport.MQTTClient {
	t.Helper()
	if clientID == "" {
		clientID = cfg.ClientID("probe-" + name)
	}
	o, err := cfg.Options(clientID, will, nil, nil)
	require.NoError(t, err)
	return testsupport.ConnectMQTT(t, name, o.SetCleanSession(true))
}

// failure connects with cfg as a daemon does (retrying) and returns the
// first failure line its mqttc.Reporter gives.
func failure(t *testing.T, cfg mqttc.Config) string {
	t.Helper()
	lines := make(chan string, 1)
	o, err := cfg.Options(cfg.ClientID("probe"), nil, nil, nil)
	require.NoError(t, err)
	(&mqttc.Reporter{OnFail: func(m string) {
		select {
		case lines <- m:
		default:
		}
	}}).Watch(o)
	c := paho.NewClient(o)
	c.Connect()
	defer c.Disconnect(0)
	select {
	case l := <-lines:
		return l
	case <-time.After(waitFor):
		t.Fatalf("no failure reported for %s", cfg.Broker)
		return ""
	}
}

// docBlock returns the shell block that follows the marker
// "<!-- test: name -->" in a doc of the repository, unindented.
func docBlock(t *testing.T, doc, name string) []string {
	t.Helper()
	b := testsupport.MarkedBlock(t, doc, name)
	require.Equal(t, "sh", b.Lang, "%s: the marker %s is followed by a ```sh block", b.Where(), name)
	return b.Lines
}

// commands joins a block's continued lines and its for ... done loops
// into commands, and drops comments and blank lines.
func commands(block []string) []string { return testsupport.ShellCommands(block) }
