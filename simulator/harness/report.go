package harness

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sco-project/sco/attendant/bridge"
	"github.com/sco-project/sco/attendant/report"
)

// History reads the bridge's history from since on (all of it for a zero
// since): its intervention records and the lanes' checkouts, from its
// data_dir, as attendant-bridge report does
// (bridge.ReadHistory): over its socket while it runs, from bridge.db
// once it has stopped. Call it before Close, which removes a temporary
// Dir.
func (s *Store) History(ctx context.Context, since time.Time) (bridge.History, error) {
	if s.bcfg == nil {
		return bridge.History{}, errors.New("harness: this store runs without a bridge")
	}
	h, err := bridge.ReadHistory(ctx, s.bcfg.DataDir, since, 5*time.Second)
	if err != nil {
		return bridge.History{}, fmt.Errorf("harness: %w", err)
	}
	return h, nil
}

// Report is the store's intervention report over h (History) for the
// range from..to, with the roster's names: the same records and the same
// code (package attendant/report) as a real store's attendant-bridge
// report.
func (s *Store) Report(h bridge.History, from, to time.Time) report.Report {
	names := map[string]string{}
	for _, a := range s.Roster {
		names[a.ID] = a.Name
	}
	return report.Compute(report.Input{Store: s.ID, From: from, To: to, Interventions: h.Interventions, Checkouts: h.Checkouts, Names: names})
}
