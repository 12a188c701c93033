package scenario

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/protocol"
	"github.com/sco-project/sco/simulator/harness"
	"github.com/sco-project/sco/simulator/vpager"
)

// RunOpts configures a run. The zero value runs on an embedded broker.
type RunOpts struct {
	Broker string       // "" embedded
	MQTT   mqttc.Config // credentials and TLS for Broker
	Logger *slog.Logger // component logs; nil discards
	// Progress, if not nil, receives one line per step as it completes.
	Progress io.Writer
}

// StepResult is how one step went.
type StepResult struct {
	Step Step
	Took time.Duration
	Err  error
}

// Report is the outcome of a run.
type Report struct {
	Name     string
	Steps    []StepResult
	Failures []string // final expectations not met, and the failed step
	Alerts   []string // kinds raised, in order
	Paged    []string // attendants paged
	Took     time.Duration
}

// Passed reports whether every step and every final expectation held.
func (r *Report) Passed() bool { return len(r.Failures) == 0 }

// String is the human report.
func (r *Report) String() string {
	var b strings.Builder
	verdict := "PASS"
	if !r.Passed() {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "%s %s (%s)\n", verdict, r.Name, r.Took.Round(time.Millisecond))
	for i, s := range r.Steps {
		mark := "ok  "
		if s.Err != nil {
			mark = "FAIL"
		}
		fmt.Fprintf(&b, "  %s %2d. %-40s %s\n", mark, i+1, s.Step.String(), s.Took.Round(time.Millisecond))
		if s.Err != nil {
			fmt.Fprintf(&b, "          %v\n", s.Err)
		}
	}
	fmt.Fprintf(&b, "  alerts raised: %s\n", orNone(r.Alerts))
	fmt.Fprintf(&b, "  paged: %s\n", orNone(r.Paged))
	for _, f := range r.Failures {
		fmt.Fprintf(&b, "  FAIL %s\n", f)
	}
	return b.String()
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// Run starts a simulated store for the scenario (one lane, the default
// roster, the scenario's pagers), plays the steps and checks the
// expectations. The error is for a store that could not start; a failed
// expectation is in the report.
func Run(ctx context.Context, sc *Scenario, o RunOpts) (*Report, error) {
	ctx, cancel := context.WithTimeout(ctx, sc.Timeout)
	defer cancel()
	start := time.Now()
	store, err := harness.Start(ctx, harness.Opts{
		Broker: o.Broker, MQTT: o.MQTT, Logger: o.Logger,
		Lanes:      []harness.LaneSpec{{Scale: sc.Scale, Policy: sc.Policy, ScaleSettle: 100 * time.Millisecond}},
		Escalation: sc.Escalation,
	})
	if err != nil {
		return nil, err
	}
	defer store.Close()
	r := &Report{Name: sc.Name}
	from := store.Observer.Len()
	for _, p := range sc.Pagers {
		b := vpager.Behaviour{Ignore: p.Ignore, ClaimAfter: p.ClaimAfter, Resolve: protocol.Action(p.Resolve), ResolveAfter: p.ResolveAfter}
		if _, err := store.StartPager(p.ID, p.Status, b, nil); err != nil {
			return nil, err
		}
	}
	// The bridge pages only attendants whose presence it has seen.
	if err := waitPresence(ctx, store, sc.Pagers); err != nil {
		return nil, err
	}
	x := &runner{store: store, lane: store.Lanes[0], from: from, used: map[int]bool{}}
	for _, st := range sc.Steps {
		t0 := time.Now()
		err := x.step(ctx, st)
		r.Steps = append(r.Steps, StepResult{Step: st, Took: time.Since(t0), Err: err})
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "  %-40s %v\n", st.String(), errOrOK(err))
		}
		if err != nil {
			r.Failures = append(r.Failures, fmt.Sprintf("step %d (%s): %v", len(r.Steps), st.String(), err))
			break
		}
	}
	r.Alerts, r.Paged = x.raised(), x.paged()
	if r.Passed() {
		r.Failures = append(r.Failures, x.final(ctx, sc.Expect, r)...)
	}
	if bad := store.Observer.Malformed(); len(bad) > 0 {
		r.Failures = append(r.Failures, "malformed messages on the wire: "+strings.Join(bad, "; "))
	}
	r.Took = time.Since(start)
	return r, nil
}

func errOrOK(err error) string {
	if err != nil {
		return "FAIL: " + err.Error()
	}
	return "ok"
}

func waitPresence(ctx context.Context, s *harness.Store, pagers []Pager) error {
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for _, p := range pagers {
		if p.Status == protocol.PresenceOffline {
			continue
		}
		_, _, err := s.Observer.Find(wctx, 0, nil, func(e harness.Event) bool {
			return e.Presence != nil && e.Topic.ID == p.ID && e.Presence.Status == p.Status
		})
		if err != nil {
			return fmt.Errorf("scenario: pager %s did not come on shift: %w", p.ID, err)
		}
	}
	return nil
}

type runner struct {
	store      *harness.Store
	lane       *harness.Lane
	from       int
	used       map[int]bool
	lastFinish int
}

func (x *runner) step(ctx context.Context, st Step) error {
	l := x.lane
	switch {
	case st.Scan != "":
		return l.Scanner.Scan(st.Scan, st.AIM)
	case st.Place != 0:
		l.Scale.Place(st.Place)
	case st.Remove != 0:
		l.Scale.Remove(st.Remove)
	case st.Help:
		return x.post("help", http.StatusOK)
	case st.HelpCancel:
		return x.post("help/cancel", http.StatusOK)
	case st.OwnBag:
		return x.post("own-bag", http.StatusOK)
	case st.SkipBag:
		return x.post("skip-bag", http.StatusOK)
	case st.Finish:
		code, err := l.Post("finish")
		x.lastFinish = code
		return err
	case st.Wait != 0:
		// The shopper pauses: real time passes for the lane's timers.
		select {
		case <-time.After(st.Wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	case st.Unplug != "":
		return x.device(st.Unplug).Unplug()
	case st.Replug != "":
		return x.device(st.Replug).Replug()
	case st.Garbage != "":
		return x.device(st.Garbage).Garbage([]byte("\x00\xff~~\x1b[garbage\xfe"))
	case st.Expect != nil:
		return x.expect(ctx, st.Expect)
	}
	return nil
}

type plug interface {
	Unplug() error
	Replug() error
	Garbage([]byte) error
}

func (x *runner) device(name string) plug {
	if name == "scanner" {
		return x.lane.Scanner
	}
	return x.lane.Scale
}

func (x *runner) post(path string, want int) error {
	code, err := x.lane.Post(path)
	if err != nil {
		return err
	}
	if code != want {
		return fmt.Errorf("POST /api/%s answered %d, want %d", path, code, want)
	}
	return nil
}

// consume waits for a not-yet-used event matching m and marks it used.
func (x *runner) consume(ctx context.Context, what string, m func(harness.Event) bool) error {
	i, _, err := x.store.Observer.Find(ctx, x.from, x.used, m)
	if err != nil {
		return fmt.Errorf("%s: not seen: %w", what, err)
	}
	x.used[i] = true
	return nil
}

func (x *runner) expect(ctx context.Context, e *Expectation) error {
	ctx, cancel := context.WithTimeout(ctx, e.Within)
	defer cancel()
	lane := x.lane.ID
	alertIs := func(kind, status string) func(harness.Event) bool {
		return func(ev harness.Event) bool {
			return ev.Alert != nil && ev.Topic.ID == lane && string(ev.Alert.Kind) == kind && ev.Alert.Status == status
		}
	}
	if e.Alert != "" {
		if err := x.consume(ctx, "alert "+e.Alert, alertIs(e.Alert, protocol.AlertOpen)); err != nil {
			return err
		}
	}
	if e.Cancelled != "" {
		if err := x.consume(ctx, "cancelled "+e.Cancelled, alertIs(e.Cancelled, protocol.AlertCancelled)); err != nil {
			return err
		}
	}
	if e.Resolved != "" {
		err := x.consume(ctx, "resolved "+e.Resolved, func(ev harness.Event) bool {
			return ev.Record != nil && ev.Record.Lane == lane && string(ev.Record.Kind) == e.Resolved && ev.Record.Status == protocol.AlertResolved
		})
		if err != nil {
			return err
		}
	}
	if e.Paged != "" {
		err := x.consume(ctx, "page to "+e.Paged, func(ev harness.Event) bool {
			return ev.Page != nil && ev.Topic.Kind == protocol.TPage && ev.Topic.ID == e.Paged && !ev.Page.Withdrawn
		})
		if err != nil {
			return err
		}
	}
	if e.Claimed != "" {
		err := x.consume(ctx, "claim by "+e.Claimed, func(ev harness.Event) bool {
			return ev.Record != nil && ev.Record.Lane == lane && ev.Record.Status == protocol.AlertClaimed && ev.Record.ClaimedBy == e.Claimed
		})
		if err != nil {
			return err
		}
	}
	if e.Refused {
		if x.lastFinish < 400 {
			return fmt.Errorf("finish was accepted (HTTP %d), want refused", x.lastFinish)
		}
	}
	if e.State == "" && e.Prompt == "" && e.NotPrompt == "" && e.Items == nil {
		return nil
	}
	var last protocol.LaneState
	err := x.store.Observer.Until(ctx, func() bool {
		st, ok := x.store.Observer.LaneState(lane)
		last = st
		return ok && (e.State == "" || st.State == e.State) &&
			(e.Prompt == "" || strings.Contains(strings.ToLower(st.Prompt), strings.ToLower(e.Prompt))) &&
			(e.NotPrompt == "" || !strings.Contains(strings.ToLower(st.Prompt), strings.ToLower(e.NotPrompt))) &&
			(e.Items == nil || st.Items == *e.Items)
	})
	if err != nil {
		return fmt.Errorf("lane never reached %s; last state %q, prompt %q, items %d, alerts %v", e.String(), last.State, last.Prompt, last.Items, last.Alerts)
	}
	return nil
}

// raised lists the alert kinds the lane raised, deduplicated by id (a lane
// re-publishes open alerts when the bridge comes online).
func (x *runner) raised() []string {
	seen := map[string]bool{}
	var kinds []string
	for _, ev := range x.store.Observer.Events(x.from) {
		if ev.Alert != nil && ev.Alert.Status == protocol.AlertOpen && !seen[ev.Alert.ID] {
			seen[ev.Alert.ID] = true
			kinds = append(kinds, string(ev.Alert.Kind))
		}
	}
	return kinds
}

func (x *runner) paged() []string {
	set := map[string]bool{}
	for _, ev := range x.store.Observer.Events(x.from) {
		if ev.Page != nil && ev.Topic.Kind == protocol.TPage && !ev.Page.Withdrawn {
			set[ev.Topic.ID] = true
		}
	}
	var ids []string
	for id := range set {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func (x *runner) final(ctx context.Context, f Final, r *Report) []string {
	var fails []string
	if f.Alerts != nil && strings.Join(f.Alerts, ",") != strings.Join(r.Alerts, ",") {
		fails = append(fails, fmt.Sprintf("alerts raised: got [%s], want [%s]", strings.Join(r.Alerts, ", "), strings.Join(f.Alerts, ", ")))
	}
	paged := map[string]bool{}
	for _, p := range r.Paged {
		paged[p] = true
	}
	for _, p := range f.Paged {
		if !paged[p] {
			fails = append(fails, fmt.Sprintf("%s was never paged", p))
		}
	}
	for _, p := range f.NotPaged {
		if paged[p] {
			fails = append(fails, fmt.Sprintf("%s was paged, want not", p))
		}
	}
	if f.State == "" && f.Items == nil && f.TotalCents == nil && f.OpenAlerts == nil {
		return fails
	}
	// The final state may still be settling (a resolution on its way):
	// give it a moment, then report what it was.
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var st protocol.LaneState
	err := x.store.Observer.Until(wctx, func() bool {
		st, _ = x.store.Observer.LaneState(x.lane.ID)
		return (f.State == "" || st.State == f.State) &&
			(f.Items == nil || st.Items == *f.Items) &&
			(f.TotalCents == nil || st.TotalCents == *f.TotalCents) &&
			(f.OpenAlerts == nil || len(st.Alerts) == *f.OpenAlerts)
	})
	if err != nil {
		fails = append(fails, fmt.Sprintf("final state: got state %q, items %d, total %d, open alerts %d; want %s",
			st.State, st.Items, st.TotalCents, len(st.Alerts), f.describe()))
	}
	return fails
}

func (f Final) describe() string {
	var p []string
	if f.State != "" {
		p = append(p, "state "+f.State)
	}
	if f.Items != nil {
		p = append(p, fmt.Sprintf("items %d", *f.Items))
	}
	if f.TotalCents != nil {
		p = append(p, fmt.Sprintf("total %d", *f.TotalCents))
	}
	if f.OpenAlerts != nil {
		p = append(p, fmt.Sprintf("open alerts %d", *f.OpenAlerts))
	}
	return strings.Join(p, ", ")
}
