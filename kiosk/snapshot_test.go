package kiosk

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/kiosk/outbox"
	"github.com/sco-project/sco/protocol"
)

// restored returns a new lane restored from l's snapshot through JSON (as
// the journal stores it), with the same id source position, and checks
// the copy is identical.
func restored(t *testing.T, l *lane) *lane {
	t.Helper()
	b, err := json.Marshal(l.e.Snapshot())
	require.NoError(t, err)
	var s Snapshot
	require.NoError(t, json.Unmarshal(b, &s))
	l2 := newLane(t, l.e.Policy())
	l2.ids = l.ids
	l2.e.SetLearned(l.e.Learned()) // kept by the daemon, not the snapshot
	require.NoError(t, l2.e.Restore(s))
	require.Equal(t, l.e.Snapshot(), l2.e.Snapshot())
	require.Equal(t, l.e.State(), l2.e.State())
	require.Equal(t, l.e.OpenAlerts(), l2.e.OpenAlerts())
	require.Equal(t, l.e.NextDeadline(), l2.e.NextDeadline())
	require.Equal(t, l.e.ScannerEnabled(), l2.e.ScannerEnabled())
	return l2
}

// script is a shopping trip that touches every part of the state:
// basket, pending item with prompts, mismatches, unexpected items, open
// alerts with timers, assist, commands and a device fault.
func script() []Event {
	scan := func(s float64, d string) Event {
		return Event{Kind: EvScan, At: sec(s), Scan: devices.Scan{Data: d, At: sec(s)}}
	}
	read := func(s float64, st devices.Status, g int) Event {
		return Event{Kind: EvReading, At: sec(s), Reading: devices.Reading{Status: st, Grams: g, At: sec(s)}}
	}
	var evs []Event
	weigh := func(s float64, g int) {
		evs = append(evs, read(s, devices.StatusUnstable, g))
		for i := 1; i <= 3; i++ {
			evs = append(evs, read(s+0.1*float64(i), devices.StatusStable, g))
		}
	}
	tick := func(s float64) { evs = append(evs, Event{Kind: EvTick, At: sec(s)}) }
	cmd := func(s float64, id, alert string, a protocol.Action) {
		evs = append(evs, Event{Kind: EvCommand, At: sec(s), Command: protocol.Command{ID: id, Alert: alert, Action: a}})
	}
	weigh(0, 0)
	evs = append(evs, scan(1, "x"), scan(2, "cola"))
	tick(11.5)                          // bag prompt 1
	weigh(12, 380)                      // mismatch 1
	weigh(13, 355)                      // accepted
	evs = append(evs, scan(14, "wine")) // age_check id2
	tick(24)
	tick(34)
	tick(44) // bag_timeout id3
	evs = append(evs, Event{Kind: EvAssist, At: sec(45), Assist: &protocol.Assist{Alert: "id3", Status: protocol.AlertClaimed, Attendant: "ana", Name: "Ana"}})
	cmd(46, "c1", "id3", protocol.ActionApprove)
	cmd(46.5, "c1", "id3", protocol.ActionApprove)
	evs = append(evs, Event{Kind: EvConn, At: sec(47), Conn: devices.ConnEvent{Device: "scanner", Err: errors.New("EOF")}})
	tick(50) // device_fault id4
	weigh(51, 2000)
	tick(57)                                                                                // unexpected_item id5
	evs = append(evs, Event{Kind: EvHelp, At: sec(58)}, Event{Kind: EvFinish, At: sec(59)}) // help id6
	evs = append(evs, Event{Kind: EvConn, At: sec(60), Conn: devices.ConnEvent{Device: "scanner", Up: true}})
	weigh(61, 355)
	cmd(62, "c2", "id2", protocol.ActionAgeOK)
	evs = append(evs, Event{Kind: EvHelpCancel, At: sec(63)})
	evs = append(evs, scan(64, "chair"), Event{Kind: EvFinish, At: sec(65)})
	weigh(66, 0)
	return evs
}

// Restore(Snapshot()) at any point of a session gives an engine that
// answers every later event exactly as the original does.
func TestRestoreMidwayGivesSameEffects(t *testing.T) {
	evs := script()
	for cut := range evs {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			a := newLane(t, Policy{})
			for _, ev := range evs[:cut] {
				a.e.Handle(ev)
			}
			b := restored(t, a)
			for i, ev := range evs[cut:] {
				ea, eb := a.e.Handle(ev), b.e.Handle(ev)
				require.Equal(t, ea, eb, "event %d", cut+i)
				require.Equal(t, a.e.State(), b.e.State(), "event %d", cut+i)
				require.Equal(t, a.e.NextDeadline(), b.e.NextDeadline(), "event %d", cut+i)
			}
			require.Equal(t, a.e.Snapshot(), b.e.Snapshot())
		})
	}
}

// The script itself does what it says, so the test above covers those
// states.
func TestScriptCoversTheState(t *testing.T) {
	l := newLane(t, Policy{})
	var all Effects
	sawPending, sawAlerts := false, 0
	for _, ev := range script() {
		all = merge(all, l.e.Handle(ev))
		s := l.e.Snapshot()
		sawPending = sawPending || (s.Pending != nil && s.Pending.Prompts > 0 && s.Pending.Mismatches > 0)
		sawAlerts = max(sawAlerts, len(s.Alerts))
	}
	require.True(t, sawPending)
	require.GreaterOrEqual(t, sawAlerts, 3)
	require.Equal(t, []string{
		"age_check:open", "bag_timeout:open", "device_fault:open", "unexpected_item:open", "help:open",
		"device_fault:cancelled", "unexpected_item:cancelled", "help:cancelled",
	}, kinds(all.Alerts))
	require.Len(t, all.Results, 3)
	require.Equal(t, all.Results[0], all.Results[1])
	require.Equal(t, protocol.StateIdle, l.state().State)
}

// Crash safety through the real journal: the daemon saves the snapshot
// after every Changed; a lane killed after any event resumes the same
// session, items, pending item, alerts and counters.
func TestRestoreThroughJournal(t *testing.T) {
	evs := script()
	dir := t.TempDir()
	j, err := outbox.Open(dir, nil)
	require.NoError(t, err)
	defer j.Close()
	a := newLane(t, Policy{})
	for i, ev := range evs {
		if a.e.Handle(ev).Changed {
			require.NoError(t, j.Commit(a.e.Snapshot()))
		}
		var s Snapshot
		ok, err := j.LoadSnapshot(&s)
		require.NoError(t, err)
		if !ok {
			continue
		}
		b := newLane(t, Policy{})
		require.NoError(t, b.e.Restore(s))
		want, got := a.e.Snapshot(), b.e.Snapshot()
		require.True(t, sameSession(&want, &got), "event %d: session differs after restore", i)
		require.Equal(t, a.e.State(), b.e.State(), "event %d", i)
	}
}

func TestRestoreRejects(t *testing.T) {
	l := newLane(t, Policy{})
	l.scan(1, "cola")
	good := l.e.Snapshot()
	tests := []struct {
		name string
		edit func(s *Snapshot)
		err  string
	}{
		{"version", func(s *Snapshot) { s.Version = 99 }, "kiosk: snapshot version 99, want 1"},
		{"other lane", func(s *Snapshot) { s.Lane = "4" }, `kiosk: snapshot is for lane "4", not "3"`},
		{"pending not in basket", func(s *Snapshot) { s.Basket = nil; s.Session = "x" }, "kiosk: snapshot pending line 0 is not in the basket"},
		{"basket without session", func(s *Snapshot) { s.Session = ""; s.Pending = nil }, "kiosk: snapshot has 1 basket lines but no session"},
		{"bad alert", func(s *Snapshot) { s.Alerts = []OpenAlert{{Alert: protocol.Alert{ID: "a", Kind: "nope"}}} }, `kiosk: snapshot has an invalid open alert "a" (kind "nope")`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := cloneSnapshot(good)
			tc.edit(&s)
			e := NewEngine(EngineConfig{Lane: "3"}, cat)
			require.EqualError(t, e.Restore(s), tc.err)
			require.Equal(t, "", e.State().Session, "a refused snapshot leaves the engine as it was")
		})
	}
}

// Snapshot is a deep copy: changing the engine later does not change it.
func TestSnapshotIsACopy(t *testing.T) {
	l := newLane(t, Policy{})
	l.weigh(0, 0)
	l.scan(1, "wine")
	s := l.e.Snapshot()
	b, _ := json.Marshal(s)
	l.weigh(2, 1250)
	l.cmd(3, "c1", s.Alerts[0].Alert.ID, protocol.ActionAgeRefused)
	b2, _ := json.Marshal(s)
	require.JSONEq(t, string(b), string(b2))
}

func BenchmarkEngineStep(b *testing.B) {
	e := NewEngine(EngineConfig{Store: "s1", Lane: "3", NewID: func() string { return "x" }}, cat)
	at := t0
	step := func(ev Event) {
		at = at.Add(100 * time.Millisecond)
		ev.At = at
		e.Handle(ev)
	}
	read := func(g int) Event {
		return Event{Kind: EvReading, Reading: devices.Reading{Status: devices.StatusStable, Grams: g}}
	}
	b.ReportAllocs()
	for b.Loop() {
		// One item: a scan, four readings, a finish: six steps.
		step(Event{Kind: EvScan, Scan: devices.Scan{Data: "cola"}})
		for range 3 {
			step(read(355))
		}
		step(Event{Kind: EvFinish})
		step(read(0))
		step(read(0))
		step(read(0))
	}
}

// randomEvent makes the next event of a random lane life; pick(n)
// returns a number in [0, n). Time moves 0-3 s per event.
func randomEvent(pick func(n int) int, l *lane, at *float64) Event {
	datas := []string{"cola", "wine", "chair", "bread", "beer", "nope", "nope", "nope", "nope"}
	grams := []int{0, 355, 710, 1250, 1605, 3000}
	*at += float64(pick(3000)) / 1000
	ev := Event{At: sec(*at)}
	switch r := pick(100); {
	case r < 30:
		ev.Kind, ev.Scan = EvScan, devices.Scan{Data: datas[pick(len(datas))]}
	case r < 70:
		ev.Kind = EvReading
		st := []devices.Status{devices.StatusStable, devices.StatusStable, devices.StatusStable, devices.StatusUnstable, devices.StatusZero}[pick(5)]
		if pick(50) == 0 {
			st = devices.StatusNotReady
		}
		ev.Reading = devices.Reading{Status: st, Grams: grams[pick(len(grams))]}
	case r < 72:
		ev.Kind = EvConn
		ev.Conn = devices.ConnEvent{Device: []string{"scanner", "scale"}[pick(2)], Up: pick(2) == 0}
	case r < 78:
		ev.Kind = []EventKind{EvHelp, EvHelpCancel, EvFinish, EvFinish, EvOwnBag, EvSkipBag, EvSkipBag}[pick(7)]
	case r < 88:
		alert := ""
		if open := l.e.OpenAlerts(); len(open) > 0 {
			alert = open[pick(len(open))].ID
		}
		ev.Kind = EvCommand
		ev.Command = protocol.Command{ID: fmt.Sprint("c", pick(200)), Alert: alert, Action: protocol.Actions[pick(len(protocol.Actions))]}
	case r < 91:
		ev.Kind = EvAssist
		if open := l.e.OpenAlerts(); len(open) > 0 {
			ev.Assist = &protocol.Assist{Alert: open[0].ID, Status: protocol.AlertClaimed, Name: "Ana"}
		}
	default:
		ev.Kind = EvTick
	}
	return ev
}

// checkInvariants checks what must hold after every event.
func checkInvariants(t *testing.T, l *lane, now time.Time, i int) {
	t.Helper()
	s, st := l.e.Snapshot(), l.e.State()
	require.Len(t, st.Alerts, len(s.Alerts))
	require.Equal(t, !s.OutOfService && !l.e.blocked(), s.ScannerOn, "event %d", i)
	if s.Session == "" {
		require.Empty(t, s.Basket, "event %d", i)
		require.Nil(t, s.Pending, "event %d", i)
		require.Nil(t, s.Held, "event %d", i)
	}
	if s.Pending != nil {
		require.NotNil(t, l.e.line(s.Pending.Line), "event %d: pending line", i)
	}
	if d := l.e.NextDeadline(); !d.IsZero() {
		require.True(t, d.After(now), "event %d: a due timer was left unfired", i)
	}
	require.NotEmpty(t, st.Prompt)
	require.LessOrEqual(t, len(s.Processed), maxProcessed)
}

// Random shoppers, scales and attendants (a fixed seed, so the run is
// deterministic): the engine never panics, a restored copy always behaves
// the same, and the invariants hold after every event.
func TestRandomEventsKeepInvariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	a := newLane(t, Policy{SettleReadings: 2})
	var b *lane
	at := 0.0
	seen := map[string]int{}
	for i := range 4000 {
		ev := randomEvent(rng.IntN, a, &at)
		if i%50 == 0 {
			b = restored(t, a)
		}
		ea, eb := a.e.Handle(ev), b.e.Handle(ev)
		require.Equal(t, ea, eb, "event %d", i)
		for _, x := range ea.Alerts {
			seen[string(x.Kind)+":"+x.Status]++
		}
		for _, r := range ea.Results {
			seen[fmt.Sprint("ok:", r.OK)]++
		}
		checkInvariants(t, a, sec(at), i)
	}
	t.Log(seen)
	// Every kind is raised along the way.
	for _, k := range protocol.Kinds {
		require.Positive(t, seen[string(k)+":open"], k)
	}
	require.Positive(t, seen["ok:true"])
	require.Positive(t, seen["ok:false"])
}

// FuzzEngine drives the engine with event sequences chosen by the fuzzer:
// no panic, the invariants hold, and a copy restored half-way through
// behaves the same.
func FuzzEngine(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("scan, place, scan, wait, help, approve, finish: any bytes will do"))
	f.Fuzz(func(t *testing.T, in []byte) {
		pick := func(n int) int {
			if len(in) == 0 {
				return 0
			}
			v := int(in[0])
			in = in[1:]
			return v % n
		}
		a := newLane(t, Policy{SettleReadings: 2})
		var b *lane
		at := 0.0
		for i := 0; len(in) > 0; i++ {
			ev := randomEvent(pick, a, &at)
			if i == 20 {
				b = restored(t, a)
			}
			ea := a.e.Handle(ev)
			if b != nil {
				require.Equal(t, ea, b.e.Handle(ev), "event %d", i)
			}
			checkInvariants(t, a, sec(at), i)
		}
	})
}
