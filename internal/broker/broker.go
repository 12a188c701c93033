package broker

import (
	"fmt"
	"log/slog"
	"net"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Opts configures an embedded broker. The zero value listens on a free
// loopback port, allows every client and logs nothing.
type Opts struct {
	// Addr is the TCP address to listen on; "" means 127.0.0.1:0 (a free
	// loopback port).
	Addr string
	// Logger receives the broker's own logs; nil discards them.
	Logger *slog.Logger
	// MaxPacketSize limits the size of one MQTT packet; 0 means no limit.
	MaxPacketSize uint32
}

// Broker is a running embedded broker.
type Broker struct {
	srv  *mqtt.Server
	addr string

	once sync.Once
	err  error
}

// Start starts an embedded broker and returns once it accepts connections.
func Start(o Opts) (*Broker, error) {
	addr := o.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	caps := mqtt.NewDefaultServerCapabilities()
	// 0 disables the forced expiry of retained and in-flight messages.
	caps.MaximumMessageExpiryInterval = 0
	caps.MaximumPacketSize = o.MaxPacketSize
	srv := mqtt.New(&mqtt.Options{
		Capabilities: caps,
		Logger:       logger,
		InlineClient: true,
	})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("broker: listen %s: %w", addr, err)
	}
	if err := srv.AddListener(listeners.NewNet("tcp", ln)); err != nil {
		ln.Close()
		return nil, fmt.Errorf("broker: %w", err)
	}
	if err := srv.Serve(); err != nil {
		ln.Close()
		return nil, fmt.Errorf("broker: serve: %w", err)
	}
	return &Broker{srv: srv, addr: ln.Addr().String()}, nil
}

// Addr is the host:port the broker listens on.
func (b *Broker) Addr() string { return b.addr }

// URL is the broker address as an MQTT client URL, tcp://host:port.
func (b *Broker) URL() string { return "tcp://" + b.addr }

// Server exposes the mochi server, for tests that need to inspect or
// inject messages.
func (b *Broker) Server() *mqtt.Server { return b.srv }

// Close stops the broker and disconnects every client. It is safe to call
// more than once.
func (b *Broker) Close() error {
	b.once.Do(func() {
		// mochi's own Close finds each listener's clients with
		// Clients.GetByListener, which takes the clients' read lock twice;
		// a client detaching at that moment (Clients.Delete waiting for the
		// write lock) then deadlocks the broker for good. Closing the
		// listeners first with a closer that reads the clients once leaves
		// Server.Close nothing to close but the hooks (a listener runs its
		// closer only once).
		b.srv.Listeners.CloseAll(func(listener string) {
			for _, cl := range b.srv.Clients.GetAll() {
				if cl.Net.Listener == listener && !cl.Closed() {
					_ = b.srv.DisconnectClient(cl, packets.ErrServerShuttingDown)
				}
			}
		})
		b.err = b.srv.Close()
	})
	return b.err
}
