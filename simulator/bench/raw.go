package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/sco-project/sco/internal/mqttc"
)

// RawHop measures the broker alone: n messages of size bytes published
// one at a time at QoS qos by one client and received by another, each
// timed from just before Publish to the receiving handler. The topic is
// outside every store's root, so no component sees the traffic.
//
// With gap 0 the messages go back to back. With a gap, one message goes
// every gap, the pacing of the alerts, until n are measured or ctx ends
// (which then returns what was measured): the broker hop under the
// conditions the chain meets, idle cores between events included.
func RawHop(ctx context.Context, cfg mqttc.Config, n, size int, qos byte, gap time.Duration) (Stats, error) {
	if size < 8 {
		size = 8
	}
	topic := fmt.Sprintf("bench/raw/%d/%d", os.Getpid(), gap)
	got := make(chan time.Time, 1)
	var want atomic.Uint64
	handler := func(_ paho.Client, m paho.Message) {
		at := time.Now()
		if p := m.Payload(); len(p) >= 8 && binary.BigEndian.Uint64(p) == want.Load() {
			select {
			case got <- at:
			default:
			}
		}
	}
	name := "raw"
	if gap > 0 {
		name = "paced"
	}
	sub, err := dial(ctx, cfg, name+"-sub", func(c paho.Client) paho.Token { return c.Subscribe(topic, qos, handler) })
	if err != nil {
		return Stats{}, err
	}
	defer sub.Disconnect(100)
	pub, err := dial(ctx, cfg, name+"-pub", nil)
	if err != nil {
		return Stats{}, err
	}
	defer pub.Disconnect(100)

	payload := make([]byte, size)
	for i := range payload[8:] {
		payload[8+i] = 'x'
	}
	d := make([]time.Duration, 0, n)
	var tick <-chan time.Time
	if gap > 0 {
		t := time.NewTicker(gap)
		defer t.Stop()
		tick = t.C
	}
	for i := 0; i < n; i++ {
		if tick != nil {
			select {
			case <-tick:
			case <-ctx.Done():
				return Summarise(d), nil
			}
		}
		want.Store(uint64(i + 1))
		binary.BigEndian.PutUint64(payload, uint64(i+1))
		t0 := time.Now()
		tok := pub.Publish(topic, qos, false, payload)
		select {
		case at := <-got:
			d = append(d, at.Sub(t0))
		case <-time.After(5 * time.Second):
			return Stats{}, fmt.Errorf("bench: raw hop: message %d not received within 5s", i+1)
		case <-ctx.Done():
			if gap > 0 {
				return Summarise(d), nil
			}
			return Stats{}, ctx.Err()
		}
		if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			return Stats{}, fmt.Errorf("bench: raw hop: publish %d: %v", i+1, tok.Error())
		}
	}
	return Summarise(d), nil
}

// dial connects a clean-session client; sub, if not nil, is run on every
// connect and dial returns once its first token completes.
func dial(ctx context.Context, cfg mqttc.Config, name string, sub func(paho.Client) paho.Token) (paho.Client, error) {
	ready := make(chan error, 1)
	onConnect := func(c paho.Client) {
		if sub == nil {
			select {
			case ready <- nil:
			default:
			}
			return
		}
		tok := sub(c)
		go func() {
			tok.Wait()
			select {
			case ready <- tok.Error():
			default:
			}
		}()
	}
	opts, err := cfg.Options(fmt.Sprintf("bench-%s-%d", name, os.Getpid()), nil, onConnect, nil)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	opts.SetCleanSession(true).SetOrderMatters(true)
	c := paho.NewClient(opts)
	c.Connect()
	select {
	case err := <-ready:
		if err != nil {
			c.Disconnect(0)
			return nil, fmt.Errorf("bench: %s: subscribe: %w", name, err)
		}
	case <-time.After(10 * time.Second):
		c.Disconnect(0)
		return nil, fmt.Errorf("bench: %s: could not connect to %s within 10s", name, cfg.Broker)
	case <-ctx.Done():
		c.Disconnect(0)
		return nil, ctx.Err()
	}
	return c, nil
}
