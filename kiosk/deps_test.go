package kiosk

import (
	"testing"

	"github.com/sco-project/sco/internal/testsupport"
)

// The engine is pure: events in, effects out. Storage, MQTT, YAML, serial
// ports, GPIO and HTTP belong to kiosk/outbox, kiosk/laneconfig, devices/
// and kiosk/daemon, never to what the engine imports.
func TestEngineImportsNoIO(t *testing.T) {
	testsupport.AssertNoDeps(t, "github.com/sco-project/sco/kiosk",
		"go.etcd.io/bbolt",
		"github.com/eclipse/paho.mqtt.golang",
		"go.yaml.in/yaml",
		"gopkg.in/yaml",
		"go.bug.st/serial",
		"periph.io",
		"net/http",
	)
}
