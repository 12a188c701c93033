package testsupport

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// AssertNoDeps fails the test when package pkg (an import path, or "."
// for the package under test) depends, directly or not, on any of
// forbidden: import paths, each matching itself and what lies below it
// ("go.yaml.in/yaml" matches go.yaml.in/yaml/v3). A pure core asserts
// with it that it imports no I/O library (STYLE.md 14).
func AssertNoDeps(t testing.TB, pkg string, forbidden ...string) {
	t.Helper()
	// The toolchain that built this test, not whichever go is first on
	// PATH: the test binary runs on the machine that built it.
	//lint:ignore SA1019 the test binary never leaves the machine that built it
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	out, err := exec.Command(gobin, "list", "-deps", pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("testsupport: go list -deps %s: %v\n%s", pkg, err, out)
	}
	deps := strings.Fields(string(out))
	// The list is what it claims to be: go list -deps ends with the
	// package itself.
	if len(deps) == 0 || (pkg != "." && deps[len(deps)-1] != pkg) {
		t.Fatalf("testsupport: go list -deps %s does not end with the package:\n%s", pkg, out)
	}
	var bad []string
	for _, dep := range deps {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") || strings.HasPrefix(dep, f+".") {
				bad = append(bad, dep)
			}
		}
	}
	if len(bad) > 0 {
		t.Errorf("package %s depends on what it must not import:\n  %s", deps[len(deps)-1], strings.Join(bad, "\n  "))
	}
}
