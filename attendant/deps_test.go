package attendant

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The dispatcher is pure: events in, effects out. The broker client, the
// store and the config file belong to attendant/bridge, never to what
// the dispatcher imports.
func TestDispatcherImportsNoIO(t *testing.T) {
	// The go that built this test, not whichever is first on PATH: the
	// test runs where it was built, so that root is meaningful.
	//lint:ignore SA1019 see above
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(gobin, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := []string{
		"go.etcd.io/bbolt",
		"github.com/eclipse/paho.mqtt.golang",
		"go.yaml.in/yaml",
		"gopkg.in/yaml",
		"net/http",
	}
	deps := strings.Fields(string(out))
	var bad []string
	for _, dep := range deps {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") || strings.HasPrefix(dep, f+".") {
				bad = append(bad, dep)
			}
		}
	}
	if len(bad) > 0 {
		t.Errorf("package attendant depends on I/O libraries:\n  %s", strings.Join(bad, "\n  "))
	}
	// The list is what it claims to be: it holds the package and what it
	// imports.
	for _, want := range []string{"github.com/sco-project/sco/attendant", "github.com/sco-project/sco/protocol"} {
		if !strings.Contains("\n"+string(out)+"\n", "\n"+want+"\n") {
			t.Errorf("go list -deps does not list %s:\n%s", want, out)
		}
	}
}
