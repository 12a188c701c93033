package kiosk

import (
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/protocol"
)

// t0 is the start of every test lane's clock.
var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// sec is a time on the test clock, seconds after t0, to the millisecond
// (the engine's resolution).
func sec(s float64) time.Time { return t0.Add(time.Duration(math.Round(s*1000)) * time.Millisecond) }

// testCatalog looks scans up by their data, so tests can scan "cola".
type testCatalog map[string]Item

func (c testCatalog) Lookup(s devices.Scan) (Item, error) {
	it, ok := c[s.Data]
	if !ok {
		return Item{}, fmt.Errorf("catalog: %q not found", s.Data)
	}
	return it, nil
}

var (
	cola  = Item{GTIN: "05000112637922", Name: "Cola 330ml", PriceCents: 89, WeightG: 355, ToleranceG: 15}
	wine  = Item{GTIN: "05010477348678", Name: "Red wine 75cl", PriceCents: 899, WeightG: 1250, ToleranceG: 30, AgeRestricted: true}
	chair = Item{GTIN: "00012345678905", Name: "Garden chair", PriceCents: 2999, NoBag: true}
	bread = Item{GTIN: "00000000000017", Name: "Loose bread", PriceCents: 150} // weight unknown
	beer  = Item{GTIN: "00000000000024", Name: "Beer 500ml", PriceCents: 199, WeightG: 540, AgeRestricted: true}
)

var cat = testCatalog{"cola": cola, "wine": wine, "chair": chair, "bread": bread, "beer": beer}

// lane drives an engine the way the daemon does, and records every
// effect.
type lane struct {
	t   *testing.T
	e   *Engine
	ids int
	// all collects every effect since the lane started.
	all Effects
}

func newLane(t *testing.T, p Policy) *lane {
	l := &lane{t: t}
	l.e = NewEngine(EngineConfig{Store: "s1", Lane: "3", Zone: "front", Policy: p, NewID: l.newID}, cat)
	return l
}

func (l *lane) newID() string {
	l.ids++
	return "id" + strconv.Itoa(l.ids)
}

// do handles one event after firing, as the daemon would, a tick at
// every deadline that falls before it. It returns the merged effects.
func (l *lane) do(ev Event) Effects {
	var eff Effects
	for d := l.e.NextDeadline(); !d.IsZero() && d.Before(ev.At); d = l.e.NextDeadline() {
		eff = merge(eff, l.e.Handle(Event{Kind: EvTick, At: d}))
	}
	eff = merge(eff, l.e.Handle(ev))
	l.all = merge(l.all, eff)
	return eff
}

func merge(a, b Effects) Effects {
	a.Changed = a.Changed || b.Changed
	a.Alerts = append(a.Alerts, b.Alerts...)
	a.Results = append(a.Results, b.Results...)
	a.Learned = append(a.Learned, b.Learned...)
	if b.Scanner != nil {
		a.Scanner = b.Scanner
	}
	if b.Refused != "" {
		a.Refused = b.Refused
	}
	if b.Checkout != nil {
		a.Checkout = b.Checkout
	}
	a.Scans = append(a.Scans, b.Scans...)
	a.Prompts = append(a.Prompts, b.Prompts...)
	return a
}

func (l *lane) tick(s float64) Effects { return l.do(Event{Kind: EvTick, At: sec(s)}) }

func (l *lane) scan(s float64, data string) Effects {
	return l.do(Event{Kind: EvScan, At: sec(s), Scan: devices.Scan{Data: data, AIM: "]E0", At: sec(s)}})
}

func (l *lane) reading(s float64, st devices.Status, g int) Effects {
	return l.do(Event{Kind: EvReading, At: sec(s), Reading: devices.Reading{Status: st, Grams: g, At: sec(s)}})
}

// weigh puts a settled weight on the bagging area: an unstable reading,
// then SettleReadings stable ones, 100 ms apart, starting at s.
func (l *lane) weigh(s float64, g int) Effects {
	eff := l.reading(s, devices.StatusUnstable, g)
	for i := range l.e.pol.SettleReadings {
		st := devices.StatusStable
		if g == 0 {
			st = devices.StatusZero
		}
		eff = merge(eff, l.reading(s+0.1*float64(i+1), st, g))
	}
	return eff
}

func (l *lane) conn(s float64, dev string, up bool) Effects {
	return l.do(Event{Kind: EvConn, At: sec(s), Conn: devices.ConnEvent{Device: dev, Up: up, At: sec(s)}})
}

func (l *lane) cmd(s float64, id, alert string, a protocol.Action) Effects {
	return l.do(Event{Kind: EvCommand, At: sec(s), Command: protocol.Command{ID: id, Alert: alert, Action: a, By: "ana", TS: protocol.At(sec(s))}})
}

func (l *lane) kind(k EventKind, s float64) Effects { return l.do(Event{Kind: k, At: sec(s)}) }

func (l *lane) state() protocol.LaneState { return l.e.State() }

// requireLook checks state, light and that the prompt contains each of
// the given sentences.
func (l *lane) requireLook(state string, light devices.LightPattern, prompts ...string) {
	l.t.Helper()
	st := l.e.State()
	require.Equal(l.t, state, st.State, "state (prompt %q)", st.Prompt)
	require.Equal(l.t, string(light), st.Light, "light")
	for _, p := range prompts {
		require.Contains(l.t, st.Prompt, p)
	}
}

// alertOf returns the only alert in eff with the given status.
func alertOf(t *testing.T, eff Effects, status string) protocol.Alert {
	t.Helper()
	var got []protocol.Alert
	for _, a := range eff.Alerts {
		if a.Status == status {
			got = append(got, a)
		}
	}
	require.Len(t, got, 1, "want one %s alert in %+v", status, eff.Alerts)
	return got[0]
}

func kinds(as []protocol.Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, string(a.Kind)+":"+a.Status)
	}
	return out
}

func boolp(b bool) *bool { return &b }
