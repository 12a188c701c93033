package laneconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const uiBase = "store: s1\nlane: \"3\"\nzone: f\ncatalog: c.csv\nscanner: {port: p}\nscale: {port: q}\n"

// Off loopback the local API needs a token; one from a file is read
// from there (relative to the config file).
func TestUIToken(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "token"), []byte("0123456789abcdef0123\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "empty"), nil, 0o600))
	path := filepath.Join(dir, "lane.yaml")
	for _, ok := range []string{
		"",
		"ui: {listen: \"127.0.0.1:8090\"}\n",
		"ui: {listen: \"localhost:8090\"}\n",
		"ui: {listen: \"[::1]:8090\"}\n",
		"ui: {listen: \"0.0.0.0:8090\", token: 0123456789abcdef}\n",
		"ui: {listen: \":8090\", token_file: token}\n",
		"ui: {listen: \"127.0.0.1:8090\", token: 0123456789abcdef}\n",
	} {
		c, err := Parse([]byte(uiBase+ok), path)
		require.NoError(t, err, ok)
		if c.UI.TokenFile != "" {
			require.Equal(t, filepath.Join(dir, "token"), c.UI.TokenFile)
			tok, err := c.UI.BearerToken()
			require.NoError(t, err)
			require.Equal(t, "0123456789abcdef0123", tok)
		}
	}
	for bad, want := range map[string]string{
		"ui: {listen: \"0.0.0.0:8090\"}\n":                               "lane.yaml: ui.token: is required when ui.listen (0.0.0.0:8090) is not a loopback address (or ui.token_file)",
		"ui: {listen: \":8090\"}\n":                                      "lane.yaml: ui.token: is required when ui.listen (:8090) is not a loopback address",
		"ui: {listen: \"192.168.1.20:8090\", token: short}\n":            "lane.yaml: ui.token: 5 characters is too short (at least 16",
		"ui: {token: 0123456789abcdef, token_file: token}\n":             "lane.yaml: ui.token: set ui.token or ui.token_file, not both",
		"ui: {listen: \"0.0.0.0:8090\", token_file: missing}\n":          "lane.yaml: ui.token_file: open " + filepath.Join(dir, "missing"),
		"ui: {listen: \"0.0.0.0:8090\", token_file: empty}\n":            "lane.yaml: ui.token_file: " + filepath.Join(dir, "empty") + " is empty",
		"ui: {listen: \"0.0.0.0:8090\", token: \"0123456789 abcdef\"}\n": "lane.yaml: ui.token: has a space",
	} {
		_, err := Parse([]byte(uiBase+bad), path)
		require.ErrorContains(t, err, want, bad)
	}
}

func TestLoopback(t *testing.T) {
	for listen, want := range map[string]bool{
		"127.0.0.1:8090": true, "127.0.0.2:1": true, "localhost:8090": true, "[::1]:8090": true,
		"0.0.0.0:8090": false, ":8090": false, "[::]:8090": false, "192.168.1.20:8090": false, "lane3:8090": false, "nope": false,
	} {
		require.Equal(t, want, Loopback(listen), listen)
	}
}

func TestIDsAreBounded(t *testing.T) {
	long := strings.Repeat("a", MaxIDLen)
	_, err := Parse([]byte(strings.Replace(uiBase, `lane: "3"`, "lane: "+long, 1)), "lane.yaml")
	require.NoError(t, err)
	_, err = Parse([]byte(strings.Replace(uiBase, `lane: "3"`, "lane: "+long+"a", 1)), "lane.yaml")
	require.EqualError(t, err, "lane.yaml: lane: is 65 characters, at most 64")
}
