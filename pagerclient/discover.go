package pagerclient

import (
	"context"
	"errors"
	"fmt"
	"sync"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/protocol"
)

// ErrNoProfile is returned by Discover when no store has a profile of
// the attendant: they are not on the roster (or the bridge never ran).
var ErrNoProfile = errors.New("pagerclient: no profile from the bridge")

// Discover finds the store an attendant belongs to, for a pager that is
// given only the broker and the attendant id: it subscribes to
// sco/v1/+/pager/{id}/profile (the shipped ACL lets a pager read its own
// profile under any store) and returns the first retained profile,
// which names the store. It gives up when ctx ends, with ErrNoProfile,
// and the last connect failure if there was one. The connection is its
// own and closed before it returns, so Dial can connect with the will of
// the store found. The MQTT username defaults to id, as for Dial.
func Discover(ctx context.Context, cfg mqttc.Config, id string) (protocol.Profile, error) {
	if !protocol.ValidID(id) {
		return protocol.Profile{}, fmt.Errorf("pagerclient: id %q must match [a-z0-9-]+", id)
	}
	if cfg.Username == "" && (cfg.Password != "" || cfg.PasswordFile != "") {
		cfg.Username = id
	}
	found := make(chan protocol.Profile, 1)
	filter := "sco/" + protocol.Version + "/+/pager/" + id + "/profile"
	onProfile := func(_ paho.Client, m paho.Message) {
		t, err := protocol.ParseTopic(m.Topic())
		if err != nil || len(m.Payload()) == 0 {
			return
		}
		var p protocol.Profile
		if protocol.Decode(m.Payload(), &p) != nil || p.ID != id || p.Store != t.Store {
			return
		}
		select {
		case found <- p:
		default:
		}
	}
	var mu sync.Mutex
	failed := ""
	subscribe := func(cl paho.Client) {
		tok := cl.Subscribe(filter, 1, onProfile)
		go func() {
			// A broker that refuses the filter (SUBACK 0x80: the ACL)
			// must not read as "not on the roster".
			<-tok.Done()
			msg := ""
			if err := tok.Error(); err != nil {
				msg = "subscribe " + filter + ": " + err.Error()
			} else if st, ok := tok.(*paho.SubscribeToken); ok && st.Result()[filter] == 0x80 {
				msg = "the broker refused the subscription to " + filter + " (check the ACL: a pager may read its own pager/{id}/profile)"
			}
			if msg != "" {
				mu.Lock()
				failed = msg
				mu.Unlock()
			}
		}()
	}
	o, err := cfg.Options(cfg.ClientID("pager-discover-"+id), nil, subscribe, nil)
	if err != nil {
		return protocol.Profile{}, fmt.Errorf("pagerclient: %w", err)
	}
	o.SetCleanSession(true)
	(&mqttc.Reporter{OnFail: func(msg string) { mu.Lock(); failed = msg; mu.Unlock() }}).Watch(o)
	cl := paho.NewClient(o)
	cl.Connect() // retried in the background until ctx ends
	defer cl.Disconnect(100)
	select {
	case p := <-found:
		return p, nil
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		if failed != "" {
			return protocol.Profile{}, fmt.Errorf("%w for %s: %s", ErrNoProfile, id, failed)
		}
		return protocol.Profile{}, fmt.Errorf("%w for %s under any store on %s: not on the roster (or the bridge never ran) — ask store IT", ErrNoProfile, id, cfg.Broker)
	}
}
