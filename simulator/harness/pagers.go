package harness

import (
	"context"
	"fmt"
	"log/slog"
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
	mqtt, err := s.Login(a.ID)
	if err != nil {
		return nil, err
	}
	if s.logins != nil {
		// One connection per username: a second pager would push the
		// first off.
		s.mu.Lock()
		twice := s.loggedIn[a.ID]
		if !twice {
			s.loggedIn[a.ID] = true
		}
		s.mu.Unlock()
		if twice {
			return nil, fmt.Errorf("harness: pager %s: one is on shift already, logged in as %s", id, a.ID)
		}
	}
	p, err := vpager.Start(vpager.Opts{
		Opts: pagerclient.Opts{
			MQTT: mqtt, Store: s.ID, ID: a.ID, Zone: a.Zone, Status: status,
			ClientID: fmt.Sprintf("sim-pager-%s-%s-%d", s.ID, a.ID, os.Getpid()),
		},
		Behaviour: b,
		OnEvent:   s.logPager(id, onEvent),
	})
	if err != nil {
		s.mu.Lock()
		delete(s.loggedIn, a.ID)
		s.mu.Unlock()
		return nil, fmt.Errorf("harness: pager %s: %w", id, err)
	}
	s.mu.Lock()
	s.pagers = append(s.pagers, p)
	s.mu.Unlock()
	return p, nil
}

// logPager logs a virtual pager's events at debug, as the store's other
// components log theirs, and passes them on to onEvent.
func (s *Store) logPager(id string, onEvent func(vpager.Event)) func(vpager.Event) {
	log := s.log.With("component", "pager", "attendant", id)
	return func(ev vpager.Event) {
		if log.Enabled(context.Background(), slog.LevelDebug) {
			attrs := []any{"event", string(ev.Kind)}
			if ev.Alert != "" {
				attrs = append(attrs, "alert", ev.Alert)
			}
			if ev.Action != "" {
				attrs = append(attrs, "action", string(ev.Action))
			}
			if ev.ClaimedBy != "" {
				attrs = append(attrs, "claimed_by", ev.ClaimedBy)
			}
			if ev.Error != "" {
				attrs = append(attrs, "error", ev.Error)
			}
			log.Debug("pager", attrs...)
		}
		if onEvent != nil {
			onEvent(ev)
		}
	}
}
