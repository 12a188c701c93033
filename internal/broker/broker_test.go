package broker

import (
	"fmt"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"
)

// Close must not hang while clients come and go: mochi's own Close takes
// the clients' read lock twice, and a client detaching in between
// deadlocked it (seen in the bench test under load). Clients leave in a
// loop while the broker closes, many times over.
func TestCloseWhileClientsDisconnect(t *testing.T) {
	for round := range 10 {
		b, err := Start(Opts{})
		require.NoError(t, err)
		var clients []paho.Client
		for i := range 8 {
			o := paho.NewClientOptions().AddBroker(b.URL()).SetClientID(fmt.Sprintf("c%d-%d", round, i)).SetAutoReconnect(false)
			c := paho.NewClient(o)
			tok := c.Connect()
			require.True(t, tok.WaitTimeout(5*time.Second), "connect")
			require.NoError(t, tok.Error())
			clients = append(clients, c)
		}
		var wg sync.WaitGroup
		for _, c := range clients {
			wg.Go(func() { c.Disconnect(0) })
		}
		closed := make(chan error, 1)
		go func() { closed <- b.Close() }()
		select {
		case err := <-closed:
			require.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: broker Close hung while clients disconnected", round)
		}
		wg.Wait()
		require.NoError(t, b.Close(), "a second Close is a no-op")
	}
}
