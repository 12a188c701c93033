package laneconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/devices/barcode"
	"github.com/sco-project/sco/devices/scale"
	"github.com/sco-project/sco/kiosk"
)

// contractExample is the lane config of the external contract, verbatim.
const contractExample = `
store: s1                 # store id: [a-z0-9-]+
lane: "3"                 # lane id: [a-z0-9-]+
zone: front               # where the lane stands, for routing pages
data_dir: /var/lib/sco/3  # journal and outbox; created if missing
catalog: catalog.csv
mqtt:
  broker: tcp://127.0.0.1:1883   # tcp://, ssl://, ws://
  username: ""
  password: ""                    # or password_file:
  ca_file: ""                     # TLS, with cert_file / key_file for mTLS
scanner:
  port: /dev/ttyUSB0              # a path; pseudo-terminals work
  baud: 9600                      # data_bits, parity (none|even|odd), stop_bits
scale:
  port: /dev/ttyUSB1
  protocol: nci                   # nci | toledo | sics
  baud: 9600
  data_bits: 7
  parity: even
ui:
  listen: 127.0.0.1:8090          # shopper screen and local API
policy:                           # defaults shown
  unknown_item_attempts: 3
  bag_timeout: 10s
  bag_prompts: 2
  mismatch_attempts: 2
  default_tolerance_g: 20
  unexpected_grace: 5s
  removed_grace: 5s
  device_grace: 3s
`

func TestConfigContractExample(t *testing.T) {
	c, err := Parse([]byte(contractExample), "/etc/sco/lane.yaml")
	require.NoError(t, err)
	require.Equal(t, "s1", c.Store)
	require.Equal(t, "3", c.Lane)
	require.Equal(t, "front", c.Zone)
	require.Equal(t, "/var/lib/sco/3", c.DataDir)
	require.Equal(t, "/etc/sco/catalog.csv", c.Catalog, "relative to the config file")
	require.Equal(t, "tcp://127.0.0.1:1883", c.MQTT.Broker)
	require.Equal(t, SerialConfig{Baud: 9600, DataBits: 8, Parity: "none", StopBits: 1}, c.Scanner.SerialConfig)
	require.Equal(t, SerialConfig{Baud: 9600, DataBits: 7, Parity: "even", StopBits: 1}, c.Scale.SerialConfig)
	require.Equal(t, "nci", c.Scale.Protocol)
	require.Equal(t, scale.DefaultPollInterval, c.Scale.PollInterval)
	require.Equal(t, "127.0.0.1:8090", c.UI.Listen)
	require.Equal(t, kiosk.DefaultPolicy, c.Policy, "the example shows the defaults")
	require.Equal(t, barcode.DefaultLayouts(), c.Barcode.Layouts)
}

func TestConfigDefaults(t *testing.T) {
	c, err := Parse([]byte(`
store: s1
lane: "7"
zone: back
catalog: cat.csv
scanner: {port: /dev/ttyACM0}
scale: {port: /dev/ttyUSB1, protocol: sics}
policy: {bag_timeout: 4s}
`), "lanes/lane.yaml")
	require.NoError(t, err)
	require.Equal(t, "/var/lib/sco/7", c.DataDir)
	require.Equal(t, filepath.Join("lanes", "cat.csv"), c.Catalog)
	require.Equal(t, "tcp://127.0.0.1:1883", c.MQTT.Broker)
	require.Equal(t, "generic", c.Scanner.Model)
	require.Equal(t, SerialConfig{Baud: 9600, DataBits: 8, Parity: "none", StopBits: 1}, c.Scale.SerialConfig, "sics is 8N1")
	require.Equal(t, 4*time.Second, c.Policy.BagTimeout)
	require.Equal(t, kiosk.DefaultPolicy.BagPrompts, c.Policy.BagPrompts)
	require.Equal(t, DefaultListen, c.UI.Listen)
}

func TestConfigRelativeDataDir(t *testing.T) {
	c, err := Parse([]byte("store: s1\nlane: a\nzone: z\ndata_dir: data\ncatalog: /abs/cat.csv\nscanner: {port: p}\nscale: {port: q}\nmqtt: {ca_file: ca.pem}\n"), "/srv/lane/lane.yaml")
	// ca.pem does not exist: the error names the resolved file.
	require.ErrorContains(t, err, "lane.yaml: mqtt.ca_file: stat /srv/lane/ca.pem")
	require.Nil(t, c)
	c, err = Parse([]byte("store: s1\nlane: a\nzone: z\ndata_dir: data\ncatalog: /abs/cat.csv\nscanner: {port: p}\nscale: {port: q}\n"), "/srv/lane/lane.yaml")
	require.NoError(t, err)
	require.Equal(t, "/srv/lane/data", c.DataDir)
	require.Equal(t, "/abs/cat.csv", c.Catalog)
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key with line", "store: s1\nlane: \"3\"\nzone: f\ncatalog: c.csv\nscanner: {port: p}\nscale:\n  port: q\n  protcol: nci\n",
			[]string{"lane.yaml: line 8: unknown key scale.protcol"}},
		{"unknown top-level key", "store: s1\nlane: \"3\"\nzone: f\ncatalog: c.csv\nscanner: {port: p}\nscale: {port: q}\nlanes: 4\n",
			[]string{"lane.yaml: line 7: unknown key lanes"}},
		{"unknown key does not hide the rest", "store: S1\nlane: \"3\"\nzone: f\ncatalog: c.csv\nscanner: {port: p}\nscale: {port: q, protocol: foo}\ncolour: red\n",
			[]string{"lane.yaml: line 7: unknown key colour", `lane.yaml: store: "S1" must be lower-case`, `lane.yaml: scale.protocol: "foo"`}},
		{"bad scale protocol", "store: s1\nlane: \"3\"\nzone: f\ncatalog: c.csv\nscanner: {port: p}\nscale: {port: q, protocol: foo}\n",
			[]string{`lane.yaml: scale.protocol: "foo" is not nci, toledo or sics`}},
		{"bad ids and missing keys", "store: S1\nlane: \"3 \"\nscanner: {}\nscale: {port: q}\n",
			[]string{`lane.yaml: store: "S1" must be lower-case`, `lane.yaml: lane: "3 " must be`, "lane.yaml: zone: is required",
				"lane.yaml: catalog: is required", "lane.yaml: scanner.port: is required"}},
		{"bad serial", "store: s1\nlane: \"3\"\nzone: f\ncatalog: c.csv\nscanner: {port: p, parity: mark, data_bits: 9, stop_bits: 3}\nscale: {port: q}\n",
			[]string{`lane.yaml: scanner.parity: "mark" is not none, even or odd`, "lane.yaml: scanner.data_bits: 9", "lane.yaml: scanner.stop_bits: 3"}},
		{"bad duration", "store: s1\nlane: \"3\"\nzone: f\ncatalog: c.csv\nscanner: {port: p}\nscale: {port: q}\npolicy: {bag_timeout: soon}\n",
			[]string{"lane.yaml: line 7: cannot unmarshal", "soon"}},
		{"bad policy value", "store: s1\nlane: \"3\"\nzone: f\ncatalog: c.csv\nscanner: {port: p}\nscale: {port: q}\npolicy: {bag_prompts: -1}\n",
			[]string{"lane.yaml: policy.bag_prompts: must be >= 1"}},
		{"bad broker", "store: s1\nlane: \"3\"\nzone: f\ncatalog: c.csv\nscanner: {port: p}\nscale: {port: q}\nmqtt: {broker: \"http://x:1\"}\n",
			[]string{"lane.yaml: mqtt.broker:", "scheme"}},
		{"bad listen", "store: s1\nlane: \"3\"\nzone: f\ncatalog: c.csv\nscanner: {port: p}\nscale: {port: q}\nui: {listen: nope}\n",
			[]string{`lane.yaml: ui.listen: "nope" is not host:port`}},
		{"bad usb id", "store: s1\nlane: \"3\"\nzone: f\ncatalog: c.csv\nscanner: {usb: \"zz:1\"}\nscale: {port: q}\n",
			[]string{`lane.yaml: scanner.usb: "zz:1" is not VID:PID`}},
		{"bad layout", "store: s1\nlane: \"3\"\nzone: f\ncatalog: c.csv\nscanner: {port: p}\nscale: {port: q}\nbarcode:\n  layouts:\n    - {prefixes: [\"21\"], item_digits: 5, kind: price, value_digits: 4}\n",
			[]string{"lane.yaml: barcode.layouts[0]:", "want 12"}},
		{"bad scanner escape", "store: s1\nlane: \"3\"\nzone: f\ncatalog: c.csv\nscanner: {port: p, enable: \"\\\\q\"}\nscale: {port: q}\n",
			[]string{`lane.yaml: scanner.enable:`, `unknown escape \q`}},
		{"not yaml", "store: [\n", []string{"lane.yaml: "}},
		{"empty", "", []string{"lane.yaml: empty config"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "/etc/sco/lane.yaml")
			require.Error(t, err)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				require.True(t, strings.HasPrefix(line, "lane.yaml: "), "every line names the file: %q", line)
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "missing.yaml"))
	require.ErrorContains(t, err, "missing.yaml")

	dir := t.TempDir()
	path := filepath.Join(dir, "lane.yaml")
	require.NoError(t, os.WriteFile(path, []byte("store: s1\nlane: \"3\"\nzone: f\ncatalog: c.csv\nscanner: {port: p, enable: \"\\\\x16T\\\\r\"}\nscale: {port: q}\n"), 0o600))
	c, err := Load(path)
	require.NoError(t, err)
	require.Equal(t, path, c.Path)
	require.Equal(t, filepath.Join(dir, "c.csv"), c.Catalog)
	b, err := Unescape(c.Scanner.Enable)
	require.NoError(t, err)
	require.Equal(t, []byte{0x16, 'T', '\r'}, b)
}

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{"": "", "E": "E", `\r\n`: "\r\n", `\x16U\r`: "\x16U\r", `a\\b`: `a\b`} {
		got, err := Unescape(in)
		require.NoError(t, err, in)
		require.Equal(t, want, string(got), in)
	}
	for _, bad := range []string{`\`, `\x1`, `\xzz`, `\q`} {
		_, err := Unescape(bad)
		require.Error(t, err, bad)
	}
}

// TestDocsExampleConfig keeps docs/lane.md honest: its complete example
// and its layout example are valid configs.
func TestDocsExampleConfig(t *testing.T) {
	doc, err := os.ReadFile("../../docs/lane.md")
	require.NoError(t, err)
	blocks := strings.Split(string(doc), "```yaml\n")
	require.GreaterOrEqual(t, len(blocks), 3, "docs/lane.md has its yaml examples")
	example, _, _ := strings.Cut(blocks[1], "```")
	c, err := Parse([]byte(example), "/etc/sco/lane.yaml")
	require.NoError(t, err)
	require.Equal(t, kiosk.DefaultPolicy, c.Policy, "the doc shows the defaults")
	require.Equal(t, "/etc/sco/catalog.csv", c.Catalog)

	layouts, _, _ := strings.Cut(blocks[2], "```")
	base := "store: s1\nlane: \"3\"\nzone: f\ncatalog: c.csv\nscanner: {port: p}\nscale: {port: q}\n"
	c, err = Parse([]byte(base+layouts), "/etc/sco/lane.yaml")
	require.NoError(t, err)
	require.Len(t, c.Barcode.Layouts, 1)
	require.Equal(t, barcode.KindPrice, c.Barcode.Layouts[0].Kind)
}

// The policy keys of version 1.1, with the defaults the contract gives;
// a bad one is named.
func TestConfigPolicyV11(t *testing.T) {
	base := "store: s1\nlane: \"3\"\nzone: f\ncatalog: c.csv\nscanner: {port: p}\nscale: {port: q}\n"
	c, err := Parse([]byte(base+"policy:\n  own_bag_max_g: 500\n  skip_bag_limit: 2\n  learn_min_samples: 5\n  learn_approve_weight: 3\n  help_debounce: 5s\n"), "lane.yaml")
	require.NoError(t, err)
	require.Equal(t, kiosk.DefaultPolicy, c.Policy)
	c, err = Parse([]byte(base+"policy: {own_bag_max_g: 300, skip_bag_limit: 1, learn_min_samples: 8, learn_approve_weight: 2, help_debounce: 10s}\n"), "lane.yaml")
	require.NoError(t, err)
	require.Equal(t, 300, c.Policy.OwnBagMaxG)
	require.Equal(t, 1, c.Policy.SkipBagLimit)
	require.Equal(t, 8, c.Policy.LearnMinSamples)
	require.Equal(t, 2, c.Policy.LearnApproveWeight)
	require.Equal(t, 10*time.Second, c.Policy.HelpDebounce)
	for key, want := range map[string]string{
		"own_bag_max_g: -5":        "lane.yaml: policy.own_bag_max_g: must be >= 1, got -5",
		"skip_bag_limit: -1":       "lane.yaml: policy.skip_bag_limit: must be >= 1, got -1",
		"skip_bag_limit: 0":        "lane.yaml: policy.skip_bag_limit: must be >= 1, got 0",
		"help_debounce: 0s":        "lane.yaml: policy.help_debounce: must be > 0, got 0s",
		"learn_min_samples: -1":    "lane.yaml: policy.learn_min_samples: must be >= 1, got -1",
		"learn_approve_weight: -2": "lane.yaml: policy.learn_approve_weight: must be >= 1, got -2",
		"help_debounce: -1s":       "lane.yaml: policy.help_debounce: must be > 0, got -1s",
	} {
		_, err := Parse([]byte(base+"policy: {"+key+"}\n"), "lane.yaml")
		require.EqualError(t, err, want, key)
	}
}

// The gaps that end a scale reply and drop a half scanner frame: 0 is
// the driver's default; at most 1s.
func TestConfigGaps(t *testing.T) {
	base := "store: s1\nlane: \"3\"\nzone: f\ncatalog: c.csv\n"
	c, err := Parse([]byte(base+"scanner: {port: p, frame_gap: 80ms}\nscale: {port: q, reply_gap: 40ms}\n"), "lane.yaml")
	require.NoError(t, err)
	require.Equal(t, 80*time.Millisecond, c.Scanner.FrameGap)
	require.Equal(t, 40*time.Millisecond, c.Scale.ReplyGap)
	_, err = Parse([]byte(base+"scanner: {port: p, frame_gap: 2s}\nscale: {port: q, reply_gap: -1ms}\n"), "lane.yaml")
	require.ErrorContains(t, err, "lane.yaml: scale.reply_gap: -1ms is not between 0 and 1s")
	require.ErrorContains(t, err, "lane.yaml: scanner.frame_gap: 2s is not between 0 and 1s")
	_, err = Parse([]byte(base+"scanner: {port: p}\nscale: {port: q, reply_gap: 0s}\n"), "lane.yaml")
	require.EqualError(t, err, "lane.yaml: scale.reply_gap: must be > 0 (at most 1s); leave it out for the driver's default, got 0s")
}
