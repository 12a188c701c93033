package bridge

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/attendant"
)

const goodConfig = `store: s1
mqtt: { broker: tcp://127.0.0.1:1883, username: bridge, password: "" }
data_dir: /var/lib/sco/bridge
attendants:
  - { id: ana, name: Ana, zone: front, roles: [attendant, age_verifier] }
  - { id: ben, name: Ben, zone: back, roles: [attendant] }
  - { id: sue, name: Sue, zone: office, roles: [attendant, age_verifier, supervisor] }
escalation:
  ack_timeout: 20s
  claim_timeout: 3m
  repeat: 3
`

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(goodConfig))
	require.NoError(t, err)
	require.Equal(t, "s1", c.Store)
	require.Equal(t, "/var/lib/sco/bridge", c.DataDir)
	require.Equal(t, "bridge", c.MQTT.Username)
	require.Len(t, c.Attendants, 3)
	require.True(t, c.Attendants[2].HasRole("supervisor"))
	require.Equal(t, attendant.Escalation{AckTimeout: 20 * time.Second, ClaimTimeout: 3 * time.Minute, Repeat: 3}, c.Escalation)
	require.Empty(t, c.Zones)

	c, err = ParseConfig([]byte(strings.Replace(goodConfig, "escalation:\n  ack_timeout: 20s\n  claim_timeout: 3m\n  repeat: 3\n", "zones: {front: {back: 2}}\n", 1)))
	require.NoError(t, err)
	require.Equal(t, attendant.DefaultEscalation, c.Escalation, "zero escalation takes the defaults")
	require.Equal(t, map[string]map[string]int{"front": {"back": 2}}, c.Zones)
}

func TestParseConfigErrors(t *testing.T) {
	cases := []struct{ old, new, want string }{
		{"store: s1", "store: S 1", `store: "S 1" must match`},
		{"repeat: 3", "repeet: 3", "line 11: unknown key repeet"},
		{"claim_timeout: 3m", "claim_timeout: soon", "line 10: cannot unmarshal"},
		{"ack_timeout: 20s", "ack_timeout: -1s", "escalation.ack_timeout: -1s must not be negative"},
		{"roles: [attendant]", "roles: [attendant, janitor]", `attendants[1].roles: unknown role "janitor"`},
		{"roles: [attendant]", "roles: []", "attendants[1].roles: at least one role"},
		{"id: ben", "id: ana", `attendants[1].id: "ana" is listed twice`},
		{"zone: back", "zone: Back", `attendants[1].zone: "Back" must match`},
		{"data_dir: /var/lib/sco/bridge", "data_dir: ''", "data_dir: required"},
		{"tcp://127.0.0.1:1883", "http://127.0.0.1:1883", "mqtt.broker"},
		{"escalation:", "zones: {front: {back: -2}}\nescalation:", "zones.front.back: distance -2 must not be negative"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			require.Contains(t, goodConfig, c.old)
			_, err := ParseConfig([]byte(strings.Replace(goodConfig, c.old, c.new, 1)))
			require.ErrorContains(t, err, c.want)
			require.NotContains(t, err.Error(), "\n", "one line")
		})
	}
	_, err := ParseConfig(nil)
	require.ErrorContains(t, err, "empty config")
}

func TestLoadConfigNamesFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bridge.yaml")
	require.NoError(t, os.WriteFile(p, []byte(strings.Replace(goodConfig, "repeat: 3", "repeat: x", 1)), 0o600))
	_, err := LoadConfig(p)
	require.ErrorContains(t, err, p+": line 11")
	_, err = LoadConfig(filepath.Join(t.TempDir(), "missing.yaml"))
	require.ErrorContains(t, err, "missing.yaml")
}

func TestStoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenStore(dir)
	require.NoError(t, err)
	st, err := s.Load()
	require.NoError(t, err)
	require.Empty(t, st.Alerts)

	h := newFakeLane(t, testConfig(t))
	h.raise(t0, "a1")
	h.raise(t0, "a2")
	h.cancel(at(time.Second), "a2")
	require.NoError(t, s.Apply(h.d.Changes()))
	h.raise(at(2*time.Second), "a3")
	h.cancel(at(3*time.Second), "a1")
	require.NoError(t, s.Apply(h.d.Changes()))

	_, err = OpenStore(dir)
	require.ErrorContains(t, err, "locked", "one bridge per data_dir")
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "second close is a no-op")

	s, err = OpenStore(dir)
	require.NoError(t, err)
	defer s.Close()
	st, err = s.Load()
	require.NoError(t, err)
	require.Len(t, st.Alerts, 1, "a closed alert's key is deleted")
	require.Equal(t, "a3", st.Alerts[0].Alert.ID)
	require.Equal(t, []string{"ana"}, st.Alerts[0].Recipients)
	require.Contains(t, st.Closed, "a1")
	require.Contains(t, st.Closed, "a2")
	require.Equal(t, h.d.State(), st)
}
