package testsupport

import (
	"os/exec"
	"path"
	"path/filepath"
	"testing"
)

// Binary builds the command pkg (an import path, or "." for the package
// under test) into the test's temporary directory and returns its path,
// so end-to-end tests run the real binary. The go build cache makes a
// second build of the same package cheap.
func Binary(t testing.TB, pkg string) string {
	t.Helper()
	name := path.Base(pkg)
	if pkg == "." {
		name = "cmd"
	}
	bin := filepath.Join(t.TempDir(), name)
	out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("testsupport: go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}
