package kiosk

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The engine is pure: events in, effects out. Storage, MQTT, YAML, serial
// ports, GPIO and HTTP belong to kiosk/outbox, kiosk/laneconfig, devices/
// and kiosk/daemon, never to what the engine imports.
func TestEngineImportsNoIO(t *testing.T) {
	// The toolchain that runs this test: go test builds it with that
	// GOROOT, on this machine.
	//lint:ignore SA1019 the test binary never leaves the machine that built it
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	out, err := exec.Command(gobin, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := []string{
		"go.etcd.io/bbolt",
		"github.com/eclipse/paho.mqtt.golang",
		"go.yaml.in/yaml",
		"gopkg.in/yaml",
		"go.bug.st/serial",
		"periph.io",
		"net/http",
	}
	var bad []string
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") || strings.HasPrefix(dep, f+".") {
				bad = append(bad, dep)
			}
		}
	}
	if len(bad) > 0 {
		t.Errorf("package kiosk depends on I/O libraries:\n  %s", strings.Join(bad, "\n  "))
	}
}
