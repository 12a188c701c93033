package testsupport

import (
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/assert"
)

func TestMQTTClient(t *testing.T) {
	url := Mochi(t).URL()
	pub := ConnectMQTT(t, "pub", paho.NewClientOptions().AddBroker(url).SetClientID("pub"))
	sub := ConnectMQTT(t, "sub", paho.NewClientOptions().AddBroker(url).SetClientID("sub"))
	pub.Publish("t/retained", true, "kept")
	sub.Subscribe("t/#")
	sub.Await("t/retained", "kept") // retained, delivered on subscribe
	pub.Publish("t/live", false, []byte(`{"id":"a1","ok":true}`))
	assert.Equal(t, `{"id":"a1","ok":true}`, sub.AwaitContains("t/live", `"id":"a1"`))
	assert.True(t, sub.Has("t/live", `{"id":"a1","ok":true}`))
	assert.False(t, sub.Has("t/live", `"id":"a1"`), "Has matches the whole payload")
	assert.Equal(t, []MQTTMsg{{"t/retained", "kept"}, {"t/live", `{"id":"a1","ok":true}`}}, sub.Received())
	assert.Empty(t, sub.Lost)

	// A second login with the same client id pushes the first off.
	ConnectMQTT(t, "sub again", paho.NewClientOptions().AddBroker(url).SetClientID("sub"))
	select {
	case <-sub.Lost:
	case <-time.After(MQTTWait):
		t.Fatal("the first login was not pushed off")
	}
}
