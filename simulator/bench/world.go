package bench

import (
	"fmt"
	"os"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/pagerclient"
	"github.com/sco-project/sco/simulator/harness"
	"github.com/sco-project/sco/simulator/vpager"
)

// world is a running store the bench drives, whichever way it runs: in
// this process (startStore) or as processes (startProcs).
type world struct {
	id       string
	mqtt     mqttc.Config
	observer *harness.Observer
	lanes    []lane
	pagers   []*vpager.Pager
	// procs are the processes whose use the report shows: every process
	// started (in start order) and this one.
	procs []*proc
	// stops undo the start, run last to first by close.
	stops []func()
}

// startPager puts attendant a on shift with a virtual handheld.
func (w *world) startPager(a attendant.Attendant, b vpager.Behaviour, onEvent func(vpager.Event)) error {
	p, err := vpager.Start(vpager.Opts{
		Opts: pagerclient.Opts{
			MQTT: w.mqtt, Store: w.id, ID: a.ID, Zone: a.Zone,
			ClientID: fmt.Sprintf("bench-pager-%s-%s-%d", w.id, a.ID, os.Getpid()),
		},
		Behaviour: b,
		OnEvent:   onEvent,
	})
	if err != nil {
		return fmt.Errorf("bench: pager %s: %w", a.ID, err)
	}
	w.pagers = append(w.pagers, p)
	return nil
}

// close stops the pagers, then everything started, last first.
func (w *world) close() {
	for _, p := range w.pagers {
		p.Close()
	}
	w.pagers = nil
	for i := len(w.stops) - 1; i >= 0; i-- {
		w.stops[i]()
	}
	w.stops = nil
}

// sample reads every process's counters.
func (w *world) sample() []procSample {
	out := make([]procSample, len(w.procs))
	for i, p := range w.procs {
		out[i] = p.sample()
	}
	return out
}

// logTails is the end of every process's log, for an error message.
func (w *world) logTails() string {
	var s string
	for _, p := range w.procs {
		if t := p.tail(8); t != "" {
			s += fmt.Sprintf("\n%s (pid %d) logged:\n%s", p.name, p.pid, t)
		}
	}
	return s
}
