package docs_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/sco-project/sco/internal/testsupport"
)

// daemons check the configs, by the file a config is for.
var daemons = map[string]string{
	"bridge.yaml": "github.com/sco-project/sco/cmd/attendant-bridge",
	"lane.yaml":   "github.com/sco-project/sco/cmd/kioskd",
}

// TestExampleConfigs runs every complete config the docs show through
// the real -check-config, with the relative files it names supplied: it
// must say ok, with no warning.
func TestExampleConfigs(t *testing.T) {
	root := testsupport.RepoRoot(t)
	docs := []string{"README.md"}
	mds, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	for _, md := range mds {
		rel, err := filepath.Rel(root, md)
		require.NoError(t, err)
		docs = append(docs, rel)
	}
	bins := map[string]string{}
	for kind, pkg := range daemons {
		bins[kind] = testsupport.Binary(t, pkg)
	}
	catalogue := exampleCatalogue(t)
	seen := map[string]int{}
	for _, doc := range docs {
		for _, b := range testsupport.DocBlocks(t, doc) {
			file := b.ConfigFile()
			if file == "" {
				if b.Lang == "yaml" && hasTopLevel(b, "store") {
					t.Errorf("%s: a complete config (it has store:) whose first line does not name its file (# bridge.yaml, # lane.yaml): it would not be checked", b.Where())
				}
				continue
			}
			kind := filepath.Base(file)
			seen[kind]++
			t.Run(b.Where(), func(t *testing.T) {
				dir := t.TempDir()
				supplyFiles(t, dir, b, catalogue)
				path := filepath.Join(dir, kind)
				require.NoError(t, os.WriteFile(path, []byte(b.Text()), 0o600))
				cmd := exec.Command(bins[kind], "-check-config", path)
				var stderr strings.Builder
				cmd.Stderr = &stderr
				out, err := cmd.Output()
				require.NoError(t, err, "%s -check-config:\n%s%s", kind, out, stderr.String())
				assert.Regexp(t, `^(ok: |\S+: ok )`, string(out))
				assert.NotContains(t, string(out)+stderr.String(), "warning", "an example config is one a store can use as it is")
			})
		}
	}
	// README's lane, docs/lane.md's every key, protocol.md's bridge;
	// docs/bridge.md's first config and every key.
	assert.GreaterOrEqual(t, seen["lane.yaml"], 2, "complete lane configs found")
	assert.GreaterOrEqual(t, seen["bridge.yaml"], 3, "complete bridge configs found")
}

// hasTopLevel reports whether a yaml block has key at its top level.
func hasTopLevel(b testsupport.DocBlock, key string) bool {
	for _, l := range b.Lines {
		if strings.HasPrefix(l, key+":") {
			return true
		}
	}
	return false
}

// exampleCatalogue is docs/lane.md's example catalogue.
func exampleCatalogue(t *testing.T) string {
	for _, b := range testsupport.DocBlocks(t, "docs/lane.md") {
		if len(b.Lines) > 0 && strings.HasPrefix(b.Lines[0], "gtin,name,") {
			return b.Text()
		}
	}
	t.Fatal("docs/lane.md shows no example catalogue (a block starting gtin,name,)")
	return ""
}

// supplyFiles writes, in dir, the files a config names by a relative
// path: the catalogue, password and token files, and certificates
// signed by a CA of the test's own.
func supplyFiles(t *testing.T, dir string, b testsupport.DocBlock, catalogue string) {
	t.Helper()
	var cfg map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(b.Text()), &cfg), b.Where())
	str := func(path ...string) string {
		var v any = cfg
		for _, k := range path {
			m, ok := v.(map[string]any)
			if !ok {
				return ""
			}
			v = m[k]
		}
		s, _ := v.(string)
		if s == "" || filepath.IsAbs(s) {
			return ""
		}
		return filepath.Join(dir, s)
	}
	write := func(path, content string) {
		if path == "" {
			return
		}
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	}
	write(str("catalog"), catalogue)
	write(str("mqtt", "password_file"), "example-secret-0123456789\n")
	write(str("ui", "token_file"), "example-token-0123456789\n")
	pki := testsupport.PKI(t, t.TempDir(), "client")
	read := func(name string) string {
		b, err := os.ReadFile(pki[name])
		require.NoError(t, err)
		return string(b)
	}
	write(str("mqtt", "ca_file"), read("ca.crt"))
	for _, block := range []string{"mqtt", "web"} {
		write(str(block, "cert_file"), read("client.crt"))
		write(str(block, "key_file"), read("client.key"))
	}
}
