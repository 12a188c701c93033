package deploy_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// udevKey is one KEY op "value" of a rule.
var udevKey = regexp.MustCompile(`^([A-Z_]+)(\{[^}]+\})?(==|!=|\+=|:=|=)"([^"]*)"$`)

// rule parses a udev rule line into its keys; ok is false for a line
// that is no rule.
func rule(t *testing.T, line string) map[string]string {
	t.Helper()
	keys := map[string]string{}
	for _, f := range strings.Split(line, ", ") {
		m := udevKey.FindStringSubmatch(strings.TrimSpace(f))
		require.NotNil(t, m, "udev: %q in %q is not KEY op \"value\"", f, line)
		keys[m[1]+m[2]+m[3]] = m[4]
	}
	return keys
}

// TestUdevRules checks 99-sco.rules as udev would read it: every line a
// rule of KEY op "value" fields (commented examples too, so that
// uncommenting one gives a good rule), only the two sco names, each rule
// giving the node to dialout 0660 and keeping ModemManager off it, the
// GOTO and its LABEL, and a rule by USB ids and a fallback by port for
// each device.
func TestUdevRules(t *testing.T) {
	text := read(t, "udev/99-sco.rules")
	var active, examples []map[string]string
	for _, line := range strings.Split(text, "\n") {
		switch {
		case line == "" || strings.HasPrefix(line, "# ") || line == "#":
		case strings.HasPrefix(line, "#"):
			examples = append(examples, rule(t, strings.TrimPrefix(line, "#")))
		default:
			active = append(active, rule(t, line))
		}
	}
	require.Len(t, active, 5, "the two guards, the label and two device rules")
	assert.Equal(t, map[string]string{"SUBSYSTEM!=": "tty", "GOTO=": "sco_end"}, active[0])
	assert.Equal(t, map[string]string{"ACTION==": "remove", "GOTO=": "sco_end"}, active[1])
	assert.Equal(t, map[string]string{"LABEL=": "sco_end"}, active[len(active)-1])

	byName := map[string][]string{}
	for _, r := range append(active[2:len(active)-1], examples...) {
		name := r["SYMLINK+="]
		require.Contains(t, []string{"sco-scanner", "sco-scale"}, name, "rule %v", r)
		assert.Equal(t, "usb", r["SUBSYSTEMS=="], "rule %v", r)
		assert.Equal(t, "dialout", r["GROUP="], "rule %v", r)
		assert.Equal(t, "0660", r["MODE="], "rule %v", r)
		assert.Equal(t, "1", r["ENV{ID_MM_DEVICE_IGNORE}="], "rule %v", r)
		switch {
		case r["KERNELS=="] != "":
			assert.Regexp(t, `^\d+-\d+(\.\d+)*$`, r["KERNELS=="], "a USB port path")
			byName[name] = append(byName[name], "port")
		default:
			assert.Regexp(t, `^[0-9a-f]{4}$`, r["ATTRS{idVendor}=="])
			assert.Regexp(t, `^[0-9a-f]{4}$`, r["ATTRS{idProduct}=="])
			byName[name] = append(byName[name], "usb id")
		}
	}
	for _, name := range []string{"sco-scanner", "sco-scale"} {
		assert.Contains(t, byName[name], "usb id", name)
		assert.Contains(t, byName[name], "port", "%s has a fallback by port", name)
	}
	assert.Contains(t, read(t, "lane/lane.yaml"), "port: /dev/sco-scanner", "the example lane config uses the udev names")
	assert.Contains(t, read(t, "lane/lane.yaml"), "port: /dev/sco-scale")
	assert.True(t, strings.Contains(read(t, "../docs/devices.md"), "udevadm info"), "docs/devices.md shows how to find the ids")
}
