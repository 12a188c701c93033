package deploy_test

import (
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
)

// requirePackages is set by scripts/test.sh: the packages in dist/ and the
// tools that check them (dpkg-deb, systemd-analyze, lintian, qemu-user)
// must be there; without it their tests are skipped, saying why.
func requirePackages() bool { return os.Getenv("SCO_REQUIRE_PACKAGES") == "1" }

// tool returns the path of a program the test needs, or skips (fails
// with SCO_REQUIRE_PACKAGES=1) saying which Debian package brings it.
func tool(t *testing.T, name, debian string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if requirePackages() {
			t.Fatalf("%s not found and SCO_REQUIRE_PACKAGES=1 (apt-get install %s; scripts/test.sh does)", name, debian)
		}
		t.Skipf("%s not installed (Debian package %s)", name, debian)
	}
	return p
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// run runs a command and returns its combined output, failing the test
// when it fails.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	require.NoError(t, err, "%s %v:\n%s", name, args, out)
	return string(out)
}
