package bridge

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/attendant/web"
	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/internal/testsupport"
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

	require.Equal(t, attendant.DefaultLimits, c.Limits)
	require.Nil(t, c.Web, "no web: block, no web app")
	require.Equal(t, DefaultHistory, c.History)
	require.Equal(t, []string{
		"zones: no walking time between back and front: taken as 1m0s (the longest walk)",
		"zones: no walking time between back and office: taken as 1m0s (the longest walk)",
		"zones: no walking time between front and office: taken as 1m0s (the longest walk)",
	}, c.Warnings())

	c, err = ParseConfig([]byte(strings.Replace(goodConfig, "escalation:\n  ack_timeout: 20s\n  claim_timeout: 3m\n  repeat: 3\n", "zones: {front: {back: 40s}}\n", 1)))
	require.NoError(t, err)
	require.Equal(t, attendant.DefaultEscalation, c.Escalation, "zero escalation takes the defaults")
	require.Equal(t, map[string]map[string]time.Duration{"front": {"back": 40 * time.Second}}, c.Zones)
}

// Every key of the contract's bridge config, as a store writes it.
const fullConfig = goodConfig + `zones:
  front: { back: 40s, office: 60s }
  back: { office: 30s }
web:
  listen: 0.0.0.0:8443
  cert_file: /etc/sco/tls/bridge.crt
  key_file: /etc/sco/tls/bridge.key
  session: 8h
metrics_listen: 127.0.0.1:9101
history: 30d
limits: { pager_cmds_per_s: 2.5, pager_cmd_burst: 10, open_alerts_per_lane: 8, cmd_max_age: 30s }
`

func TestParseConfigNewKeys(t *testing.T) {
	hash := "$2a$10$" + strings.Repeat("N", 53)
	c, err := ParseConfig([]byte(strings.Replace(fullConfig, "roles: [attendant] }", `roles: [attendant], pin_hash: "`+hash+`" }`, 1)))
	require.NoError(t, err)
	require.Equal(t, hash, c.Attendants[1].PinHash)
	require.Equal(t, 30*time.Second, c.Zones["back"]["office"])
	require.Equal(t, &web.Config{Listen: "0.0.0.0:8443", CertFile: "/etc/sco/tls/bridge.crt", KeyFile: "/etc/sco/tls/bridge.key", Session: 8 * time.Hour}, c.Web)
	require.Equal(t, "127.0.0.1:9101", c.MetricsListen)
	require.Equal(t, Period(30*24*time.Hour), c.History)
	require.Equal(t, attendant.Limits{PagerCmdsPerS: 2.5, PagerCmdBurst: 10, OpenAlertsPerLane: 8, CmdMaxAge: 30 * time.Second}, c.Limits)
	require.Empty(t, c.Warnings(), "every pair has a walk; HTTPS")

	c, err = ParseConfig([]byte(strings.Replace(strings.Replace(fullConfig, "  cert_file: /etc/sco/tls/bridge.crt\n  key_file: /etc/sco/tls/bridge.key\n  session: 8h\n", "", 1), "history: 30d", "history: 36h", 1)))
	require.NoError(t, err)
	require.Equal(t, web.DefaultSession, c.Web.Session)
	require.Equal(t, Period(36*time.Hour), c.History)
	require.Equal(t, []string{"web: plain HTTP on 0.0.0.0:8443: PINs and sessions cross the network in clear (give cert_file and key_file)"}, c.Warnings())
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
		{"escalation:", "zones: {front: {back: -2s}}\nescalation:", "zones.front.back: walking time -2s must not be negative"},
		{"escalation:", "zones: {front: {back: 2}}\nescalation:", "line 8: cannot unmarshal !!int `2` into time.Duration"},
		{"id: ben", "id: lane-4", `attendants[1].id: "lane-4" looks like a lane's username (lane-*)`},
		{"id: ben", "id: bridge", `attendants[1].id: "bridge" is reserved for the bridge`},
		{"id: sue", "id: console", `attendants[2].id: "console" is reserved for the console`},
		{"roles: [attendant] }", "roles: [attendant], pin_hash: '1234' }", "attendants[1].pin_hash: not a bcrypt hash"},
		{"escalation:", "limits: { pager_cmds_per_s: -1 }\nescalation:", "limits.pager_cmds_per_s: -1 must not be negative"},
		{"escalation:", "limits: { pager_cmd_brust: 3 }\nescalation:", "line 8: unknown key pager_cmd_brust"},
		{"escalation:", "web: { cert_file: a.crt }\nescalation:", "web.listen: required"},
		{"escalation:", "web: { listen: 8443 }\nescalation:", `web.listen: "8443" is not host:port`},
		{"escalation:", "web: { listen: ':8443', cert_file: a.crt }\nescalation:", "web.cert_file, web.key_file: give both or neither"},
		{"escalation:", "web: { listen: ':8443', key_file: a.key }\nescalation:", "web.cert_file, web.key_file: give both or neither"},
		{"escalation:", "web: { listen: ':8443', sesion: 1h }\nescalation:", "unknown key sesion"},
		{"escalation:", "metrics_listen: localhost\nescalation:", `metrics_listen: "localhost" is not host:port`},
		{"escalation:", "history: forever\nescalation:", `line 8: "forever" is not a duration (90d, 36h)`},
		{"escalation:", "history: -1d\nescalation:", `"-1d" is not a number of days`},
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
	require.Contains(t, st.Closed, "3/a1")
	require.Contains(t, st.Closed, "3/a2")
	require.Equal(t, h.d.State(), st)
}

// Relative paths are relative to the config file, as kioskd takes them;
// absolute ones stay as they are.
func TestLoadConfigRelativePaths(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bridge.pass"), []byte("pw\n"), 0o600))
	p := filepath.Join(dir, "bridge.yaml")
	cfg := strings.Replace(goodConfig, `password: "" }`, "password_file: bridge.pass }", 1)
	cfg = strings.Replace(cfg, "data_dir: /var/lib/sco/bridge", "data_dir: data", 1)
	cfg += "web: { listen: '127.0.0.1:8443', cert_file: tls/bridge.crt, key_file: /etc/sco/tls/bridge.key }\n"
	require.NoError(t, os.WriteFile(p, []byte(cfg), 0o600))
	c, err := LoadConfig(p)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "data"), c.DataDir)
	require.Equal(t, filepath.Join(dir, "bridge.pass"), c.MQTT.PasswordFile)
	require.Equal(t, filepath.Join(dir, "tls/bridge.crt"), c.Web.CertFile)
	require.Equal(t, "/etc/sco/tls/bridge.key", c.Web.KeyFile)

	// A file named relative to the config that is not there: the error
	// names where it was looked for.
	require.NoError(t, os.WriteFile(p, []byte(strings.Replace(cfg, "bridge.pass", "missing.pass", 1)), 0o600))
	_, err = LoadConfig(p)
	require.ErrorContains(t, err, "mqtt.password_file: stat "+filepath.Join(dir, "missing.pass"))
}

// docs/bridge.md's reference block names every key of the config and
// shows the defaults, and its first config is one a store can start from.
func TestDocsBridgeReference(t *testing.T) {
	var ref, first *testsupport.DocBlock
	for _, b := range testsupport.DocBlocks(t, "docs/bridge.md") {
		switch {
		case strings.HasPrefix(b.ConfigFile(), "/etc/sco/") && b.Marker == "bridge-config":
			first = &b
		case b.ConfigFile() == "bridge.yaml" && strings.Contains(b.Lines[0], "every key"):
			ref = &b
		}
	}
	require.NotNil(t, ref, "docs/bridge.md has a block starting \"# bridge.yaml: every key\"")
	require.NotNil(t, first, "docs/bridge.md has the first config, marked bridge-config")

	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(ref.Text()), &doc))
	for _, key := range yamlKeys(reflect.TypeOf(Config{}), "") {
		require.True(t, hasKey(doc.Content[0], strings.Split(key, ".")), "%s does not show key %s", ref.Where(), key)
	}

	c, err := ParseConfig([]byte(strings.Replace(ref.Text(), "password_file: bridge.pass", "password_file: ''", 1)))
	require.NoError(t, err, ref.Where())
	require.Equal(t, attendant.DefaultEscalation, c.Escalation, "the defaults shown")
	require.Equal(t, attendant.DefaultLimits, c.Limits, "the defaults shown")
	require.Equal(t, DefaultHistory, c.History)
	require.Equal(t, web.DefaultSession, c.Web.Session)
	require.Equal(t, mqttc.DefaultBroker, c.MQTT.Broker)
	require.Empty(t, c.Warnings(), "every zone pair has a walk; HTTPS")

	c, err = ParseConfig([]byte(strings.Replace(first.Text(), "password_file: bridge.pass", "password_file: ''", 1)))
	require.NoError(t, err, first.Where())
	require.Nil(t, c.Web, "the first config runs no web app")
	require.Empty(t, c.Warnings(), "every zone pair has a walk")
}

// yamlKeys lists the dotted keys of a config type: store, mqtt.broker,
// attendants.id, ... (inline structs flattened, slices by their element).
func yamlKeys(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == reflect.TypeOf(time.Time{}) {
		return nil
	}
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case name == "-" || !f.IsExported():
		case opts == "inline":
			keys = append(keys, yamlKeys(f.Type, prefix)...)
		default:
			keys = append(keys, prefix+name)
			if f.Type.Kind() != reflect.Map {
				keys = append(keys, yamlKeys(f.Type, prefix+name+".")...)
			}
		}
	}
	return keys
}

// hasKey reports whether the mapping n (or the first item of a sequence
// on the way) holds the dotted path.
func hasKey(n *yaml.Node, path []string) bool {
	if n.Kind == yaml.SequenceNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if len(path) == 0 {
		return true
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == path[0] {
			return hasKey(n.Content[i+1], path[1:])
		}
	}
	return false
}

// A period reads as a Go duration or days, and prints as the usage shows
// a default: without zero minutes and seconds.
func TestPeriod(t *testing.T) {
	for in, want := range map[string]string{"24h": "24h", "7d": "168h", "90m": "1h30m", "30m": "30m", "1h0m30s": "1h0m30s", "45s": "45s", "0d": "0s"} {
		var p Period
		require.NoError(t, p.Set(in), in)
		require.Equal(t, want, p.String(), in)
	}
	var p Period
	require.ErrorContains(t, p.Set("7x"), `"7x" is not a duration (90d, 36h)`)
	require.ErrorContains(t, p.Set("-1d"), `"-1d" is not a number of days (90d)`)
}
