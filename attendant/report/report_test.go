package report

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/protocol"
)

var update = flag.Bool("update", false, "rewrite testdata/day.* from the scripted day")

var day0 = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

// clock is a time of the scripted day: "09:10" and seconds after it.
func clock(hhmm string, sec float64) time.Time {
	t, err := time.Parse("15:04", hhmm)
	if err != nil {
		panic(err)
	}
	return day0.Add(time.Duration(t.Hour()-8)*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(sec*float64(time.Second)))
}

// script drives a real dispatcher through a store's day with exact
// times, firing its deadlines as the bridge would, and keeps the records
// it emits.
type script struct {
	t        *testing.T
	d        *attendant.Dispatcher
	recs     []attendant.Intervention
	commands map[string]string // alert -> lane command id of its resolution
	n        int
}

var names = map[string]string{"ana": "Ana", "ben": "Ben", "sue": "Sue"}

func newScript(t *testing.T) *script {
	cfg := &attendant.Config{
		Store: "s1",
		Attendants: []attendant.Attendant{
			{ID: "ana", Name: "Ana", Zone: "front", Roles: []string{protocol.RoleAttendant, protocol.RoleAgeVerifier}},
			{ID: "ben", Name: "Ben", Zone: "back", Roles: []string{protocol.RoleAttendant}},
			{ID: "sue", Name: "Sue", Zone: "office", Roles: []string{protocol.RoleAttendant, protocol.RoleAgeVerifier, protocol.RoleSupervisor}},
		},
		Escalation: attendant.Escalation{AckTimeout: 20 * time.Second, ClaimTimeout: 3 * time.Minute, Repeat: 2},
		Zones:      map[string]map[string]time.Duration{"front": {"back": 40 * time.Second, "office": 60 * time.Second}, "back": {"office": 30 * time.Second}},
	}
	require.NoError(t, cfg.Validate())
	s := &script{t: t, d: attendant.NewDispatcher(cfg), commands: map[string]string{}}
	for _, id := range []string{"ana", "ben", "sue"} {
		_, err := s.d.Presence(day0, id, protocol.Presence{Status: protocol.PresenceAvailable})
		require.NoError(t, err)
	}
	s.d.Start(day0)
	return s
}

// until fires every deadline up to now, as the bridge's loop does.
func (s *script) until(now time.Time) {
	for next, ok := s.d.NextDeadline(); ok && !next.After(now); next, ok = s.d.NextDeadline() {
		s.keep(s.d.Tick(next), nil)
	}
}

func (s *script) keep(fx attendant.Effects, err error) {
	s.t.Helper()
	require.NoError(s.t, err)
	s.recs = append(s.recs, fx.Interventions...)
	for _, c := range fx.Commands {
		s.commands[c.Command.Alert] = c.Command.ID
	}
}

func (s *script) raise(now time.Time, lane, zone, id string, kind protocol.Kind, item *protocol.ItemRef) {
	s.until(now)
	s.keep(s.d.LaneAlert(now, lane, protocol.Alert{ID: id, Store: "s1", Lane: lane, Zone: zone, Kind: kind, Status: protocol.AlertOpen, Item: item, TS: protocol.At(now)}))
}

func (s *script) cancel(now time.Time, lane, id string) {
	s.until(now)
	s.keep(s.d.LaneAlert(now, lane, protocol.Alert{ID: id, Store: "s1", Lane: lane, Kind: protocol.KindHelp, Status: protocol.AlertCancelled, TS: protocol.At(now)}))
}

func (s *script) cmd(now time.Time, who, alert, action string, res protocol.Action) {
	s.until(now)
	s.n++
	s.keep(s.d.PagerCmd(now, who, protocol.PagerCmd{ID: fmt.Sprintf("%s-%d", who, s.n), Alert: alert, Action: action, Resolution: res, TS: protocol.At(now)}))
}

// applied is the lane's ok to the resolution of alert.
func (s *script) applied(now time.Time, lane, alert string) {
	s.until(now)
	s.keep(s.d.LaneResult(now, lane, protocol.CommandResult{ID: s.commands[alert], OK: true, TS: protocol.At(now)}))
}

// served is an alert raised at start that who claims claim seconds
// later, reaches the lane at arrive (0: resolved from the handheld) and
// resolves with res at resolve; the lane applies it a second later.
func (s *script) served(start time.Time, lane, zone, id string, kind protocol.Kind, item *protocol.ItemRef, who string, claim, arrive, resolve float64, res protocol.Action) {
	at := func(sec float64) time.Time { return start.Add(time.Duration(sec * float64(time.Second))) }
	s.raise(start, lane, zone, id, kind, item)
	s.cmd(at(claim), who, id, protocol.PagerClaim, "")
	if arrive > 0 {
		s.cmd(at(arrive), who, id, protocol.PagerArrive, "")
	}
	s.cmd(at(resolve), who, id, protocol.PagerResolve, res)
	s.applied(at(resolve+1), lane, id)
}

var (
	cola    = &protocol.ItemRef{GTIN: "05000112637922", Name: "Cola 330ml"}
	wine    = &protocol.ItemRef{GTIN: "05010477348678", Name: "Red wine 75cl"}
	bananas = &protocol.ItemRef{GTIN: "02000000012346", Name: "Bananas loose"}
)

// scriptedDay is a store's day: four lanes, 100 checkouts, eleven
// alerts of every sort of outcome.
func scriptedDay(t *testing.T) Input {
	s := newScript(t)
	// A bag_timeout fixed at the lane.
	s.served(clock("08:05", 0), "1", "front", "a01", protocol.KindBagTimeout, cola, "ana", 12, 40, 55, protocol.ActionApprove)
	// Help the shopper no longer needs.
	s.raise(clock("08:20", 0), "1", "front", "a02", protocol.KindHelp, nil)
	s.cancel(clock("08:20", 8), "1", "a02")
	// A mismatch Ana lets go to tier 2; Ben voids it from his handheld.
	s.served(clock("08:45", 0), "2", "front", "a03", protocol.KindWeightMismatch, bananas, "ben", 31, 0, 50, protocol.ActionVoid)
	// An age check.
	s.served(clock("09:10", 0), "2", "front", "a04", protocol.KindAgeCheck, wine, "ana", 5, 30, 45, protocol.ActionAgeOK)
	// Ben's claim expires; Sue, the nearest then, takes it.
	s.raise(clock("10:00", 0), "3", "back", "a05", protocol.KindUnexpectedItem, nil)
	s.cmd(clock("10:00", 15), "ben", "a05", protocol.PagerClaim, "")
	s.cmd(clock("10:04", 0), "sue", "a05", protocol.PagerClaim, "")
	s.cmd(clock("10:04", 30), "sue", "a05", protocol.PagerArrive, "")
	s.cmd(clock("10:04", 50), "sue", "a05", protocol.PagerResolve, protocol.ActionClear)
	s.applied(clock("10:04", 51), "3", "a05")
	// Claimed, then the shopper places the item before Ana is there.
	s.raise(clock("11:30", 0), "1", "front", "a06", protocol.KindBagTimeout, cola)
	s.cmd(clock("11:30", 6), "ana", "a06", protocol.PagerClaim, "")
	s.cmd(clock("11:30", 15), "ana", "a06", protocol.PagerRelease, "") // no: the shopper did it
	s.cancel(clock("11:30", 16), "1", "a06")
	// Nobody claims until tier 3.
	s.served(clock("12:00", 0), "3", "back", "a07", protocol.KindItemRemoved, bananas, "sue", 70, 120, 140, protocol.ActionApprove)
	// An unknown item voided remotely.
	s.served(clock("14:00", 0), "4", "back", "a08", protocol.KindUnknownItem, nil, "sue", 10, 0, 25, protocol.ActionVoid)
	// A scanner that came back by itself.
	s.raise(clock("15:30", 0), "2", "front", "a09", protocol.KindDeviceFault, nil)
	s.cancel(clock("15:30", 2), "2", "a09")
	// Cola again, at the lane.
	s.served(clock("16:00", 0), "1", "front", "a10", protocol.KindBagTimeout, cola, "ana", 9, 30, 41, protocol.ActionApprove)
	// Help, given at the lane.
	s.served(clock("17:00", 0), "4", "back", "a11", protocol.KindHelp, nil, "ben", 7, 40, 90, protocol.ActionClear)
	s.until(clock("20:00", 0))
	require.Len(t, s.recs, 11)

	var checkouts []attendant.Checkout
	for lane, n := range map[string]int{"1": 40, "2": 30, "3": 20, "4": 10} {
		for i := range n {
			fin := clock("08:00", float64(600+i*360))
			checkouts = append(checkouts, attendant.Checkout{Lane: lane, Checkout: protocol.Checkout{
				Session: fmt.Sprintf("%s-%03d", lane, i), Items: 5, TotalCents: 1999,
				Started: protocol.At(fin.Add(-3 * time.Minute)), Finished: protocol.At(fin), TS: protocol.At(fin)}})
		}
	}
	return Input{Store: "s1", From: day0, To: day0.Add(24 * time.Hour), Interventions: s.recs, Checkouts: checkouts, Names: names}
}

// The scripted day's report, in each format, is the golden one (run
// with -update after a change on purpose, and read the diff).
func TestScriptedDayGolden(t *testing.T) {
	r := Compute(scriptedDay(t))
	for _, format := range []string{FormatText, FormatCSV, FormatJSON} {
		t.Run(format, func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, Write(&b, r, format))
			path := filepath.Join("testdata", "day."+format)
			if *update {
				require.NoError(t, os.MkdirAll("testdata", 0o755))
				require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./attendant/report -update")
			require.Equal(t, string(want), b.String())
		})
	}
}

// The numbers a store acts on, checked by hand against the script.
func TestScriptedDayNumbers(t *testing.T) {
	r := Compute(scriptedDay(t))
	require.Equal(t, 100, r.Total.Checkouts)
	require.Equal(t, 11, r.Total.Interventions)
	require.Equal(t, 11.0, r.Total.Per100)
	// Fixed by the shopper: a02, a06 (claimed, never there), a09.
	require.Equal(t, 0.273, r.Total.FixedByShopper)
	require.Equal(t, 0.727, r.Total.NeededAction)
	// Remote: a03 and a08.
	require.Equal(t, 0.182, r.Total.Remote)

	require.Equal(t, "bag_timeout", r.Kinds[0].Key)
	bag := r.Kinds[0]
	require.Equal(t, 3, bag.Interventions)
	require.Equal(t, Stat{N: 3, P50: 9, P90: 12}, bag.TimeToClaim)
	require.Equal(t, Stat{N: 2, P50: 30, P90: 40}, bag.TimeToArrive)
	require.Equal(t, Stat{N: 2, P50: 42, P90: 56}, bag.TimeToResolve)

	require.Equal(t, "05000112637922", r.Items[0].Key, "cola: three interventions")
	require.Equal(t, 3, r.Items[0].Interventions)
	require.Len(t, r.Items, 3)

	var removed Row
	for _, k := range r.Kinds {
		if k.Key == string(protocol.KindItemRemoved) {
			removed = k
		}
	}
	require.Equal(t, 3.0, removed.MeanDepth, "paged at tier 3 before Sue claimed")
	require.Equal(t, Stat{N: 1, P50: 70, P90: 70}, removed.TimeToClaim)

	lane1 := r.Lanes[0]
	require.Equal(t, "1", lane1.Key)
	require.Equal(t, 40, lane1.Checkouts)
	require.Equal(t, 4, lane1.Interventions)
	require.Equal(t, 10.0, lane1.Per100)

	ana := r.Attendants[0]
	require.Equal(t, "ana", ana.ID)
	require.Equal(t, 4, ana.Claims, "a01, a04, a06, a10")
	require.Equal(t, 3, ana.Resolved)
	require.Equal(t, 0, ana.Remote)
	require.Equal(t, 16.0+16+12, ana.OnSite, "from arrive to the lane's answer: a01 16s, a04 16s, a10 12s")
}

// One checkout and one intervention read as such, not "1 interventions".
func TestTextSingular(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteText(&b, Report{Store: "s1", From: day0, To: day0.Add(time.Hour), Total: Row{Checkouts: 1, Interventions: 1, Per100: 100}}))
	require.Contains(t, b.String(), "\n1 checkout, 1 intervention: 100.0 per 100 checkouts.\n")
}
