package serialport

import (
	"sync"

	"github.com/sco-project/sco/devices"
)

// Relay copies connection events from src (a Port's Conn) to a new
// channel, naming them device and calling hook (if not nil) on each
// before it is passed on. It never blocks the source: when the returned
// channel is full the oldest event is dropped, so the newest state always
// gets through. The returned channel is closed when src is; wg (if not
// nil) is Done then.
func Relay(wg *sync.WaitGroup, src <-chan devices.ConnEvent, device string, hook func(devices.ConnEvent)) <-chan devices.ConnEvent {
	out := make(chan devices.ConnEvent, connBuffer)
	if wg != nil {
		wg.Add(1)
	}
	go func() {
		if wg != nil {
			defer wg.Done()
		}
		defer close(out)
		for ev := range src {
			ev.Device = device
			if hook != nil {
				hook(ev)
			}
			sendLatest(out, ev)
		}
	}()
	return out
}

// sendLatest queues ev on ch, dropping the oldest queued event when ch
// is full. The caller must be the only sender.
func sendLatest(ch chan devices.ConnEvent, ev devices.ConnEvent) {
	for {
		select {
		case ch <- ev:
			return
		default:
		}
		select {
		case <-ch:
		default:
		}
	}
}
