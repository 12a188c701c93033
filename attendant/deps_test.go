package attendant

import (
	"testing"

	"github.com/sco-project/sco/internal/testsupport"
)

// The dispatcher is pure: events in, effects out. The broker client, the
// store and the config file belong to attendant/bridge, never to what
// the dispatcher imports.
func TestDispatcherImportsNoIO(t *testing.T) {
	testsupport.AssertNoDeps(t, "github.com/sco-project/sco/attendant",
		"go.etcd.io/bbolt",
		"github.com/eclipse/paho.mqtt.golang",
		"go.yaml.in/yaml",
		"gopkg.in/yaml",
		"net/http",
	)
}
