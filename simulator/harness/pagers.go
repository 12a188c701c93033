package harness

import (
	"fmt"
	"os"

	"github.com/sco-project/sco/pagerclient"
	"github.com/sco-project/sco/protocol"
	"github.com/sco-project/sco/simulator/vpager"
)

// Pager is a virtual attendant on shift in the store.
type Pager = vpager.Pager

// StartPager puts attendant id (from the roster) on shift with a handheld
// that answers pages by b, with presence status ("" means available).
// onEvent, if not nil, receives what happens to the pager. The store
// closes it on Close.
func (s *Store) StartPager(id, status string, b vpager.Behaviour, onEvent func(vpager.Event)) (*Pager, error) {
	a, ok := s.Attendant(id)
	if !ok {
		return nil, fmt.Errorf("harness: %q is not on the roster", id)
	}
	if status == "" {
		status = protocol.PresenceAvailable
	}
	p, err := vpager.Start(vpager.Opts{
		Opts: pagerclient.Opts{
			MQTT: s.MQTT, Store: s.ID, ID: a.ID, Zone: a.Zone, Status: status,
			ClientID: fmt.Sprintf("sim-pager-%s-%s-%d", s.ID, a.ID, os.Getpid()),
		},
		Behaviour: b,
		OnEvent:   onEvent,
	})
	if err != nil {
		return nil, fmt.Errorf("harness: pager %s: %w", id, err)
	}
	s.mu.Lock()
	s.pagers = append(s.pagers, p)
	s.mu.Unlock()
	return p, nil
}
