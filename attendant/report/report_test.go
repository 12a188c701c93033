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
	s.raise(clock("08:05", 0), "1", "front", "a01", protocol.KindBagTimeout, cola)
	s.cmd(clock("08:05", 12), "ana", "a01", protocol.PagerClaim, "")
	s.cmd(clock("08:05", 40), "ana", "a01", protocol.PagerArrive, "")
	s.cmd(clock("08:05", 55), "ana", "a01", protocol.PagerResolve, protocol.ActionApprove)
	s.applied(clock("08:05", 56), "1", "a01")
	// Help the shopper no longer needs.
	s.raise(clock("08:20", 0), "1", "front", "a02", protocol.KindHelp, nil)
	s.cancel(clock("08:20", 8), "1", "a02")
	// A mismatch Ana lets go to tier 2; Ben voids it from his handheld.
	s.raise(clock("08:45", 0), "2", "front", "a03", protocol.KindWeightMismatch, bananas)
	s.cmd(clock("08:45", 31), "ben", "a03", protocol.PagerClaim, "")
	s.cmd(clock("08:45", 50), "ben", "a03", protocol.PagerResolve, protocol.ActionVoid)
	s.applied(clock("08:45", 51), "2", "a03")
	// An age check.
	s.raise(clock("09:10", 0), "2", "front", "a04", protocol.KindAgeCheck, wine)
	s.cmd(clock("09:10", 5), "ana", "a04", protocol.PagerClaim, "")
	s.cmd(clock("09:10", 30), "ana", "a04", protocol.PagerArrive, "")
	s.cmd(clock("09:10", 45), "ana", "a04", protocol.PagerResolve, protocol.ActionAgeOK)
	s.applied(clock("09:10", 46), "2", "a04")
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
	s.raise(clock("12:00", 0), "3", "back", "a07", protocol.KindItemRemoved, bananas)
	s.cmd(clock("12:01", 10), "sue", "a07", protocol.PagerClaim, "")
	s.cmd(clock("12:02", 0), "sue", "a07", protocol.PagerArrive, "")
	s.cmd(clock("12:02", 20), "sue", "a07", protocol.PagerResolve, protocol.ActionApprove)
	s.applied(clock("12:02", 21), "3", "a07")
	// An unknown item voided remotely.
	s.raise(clock("14:00", 0), "4", "back", "a08", protocol.KindUnknownItem, nil)
	s.cmd(clock("14:00", 10), "sue", "a08", protocol.PagerClaim, "")
	s.cmd(clock("14:00", 25), "sue", "a08", protocol.PagerResolve, protocol.ActionVoid)
	s.applied(clock("14:00", 26), "4", "a08")
	// A scanner that came back by itself.
	s.raise(clock("15:30", 0), "2", "front", "a09", protocol.KindDeviceFault, nil)
	s.cancel(clock("15:30", 2), "2", "a09")
	// Cola again, at the lane.
	s.raise(clock("16:00", 0), "1", "front", "a10", protocol.KindBagTimeout, cola)
	s.cmd(clock("16:00", 9), "ana", "a10", protocol.PagerClaim, "")
	s.cmd(clock("16:00", 30), "ana", "a10", protocol.PagerArrive, "")
	s.cmd(clock("16:00", 41), "ana", "a10", protocol.PagerResolve, protocol.ActionApprove)
	s.applied(clock("16:00", 42), "1", "a10")
	// Help, given at the lane.
	s.raise(clock("17:00", 0), "4", "back", "a11", protocol.KindHelp, nil)
	s.cmd(clock("17:00", 7), "ben", "a11", protocol.PagerClaim, "")
	s.cmd(clock("17:00", 40), "ben", "a11", protocol.PagerArrive, "")
	s.cmd(clock("17:01", 30), "ben", "a11", protocol.PagerResolve, protocol.ActionClear)
	s.applied(clock("17:01", 31), "4", "a11")
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
