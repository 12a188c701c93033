package demo

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/protocol"
	"github.com/sco-project/sco/simulator/harness"
)

func TestPIN(t *testing.T) {
	var got []string
	for n := range 12 {
		got = append(got, PIN(n))
	}
	require.Equal(t, []string{"1111", "2222", "3333", "4444", "5555", "6666", "7777", "8888", "9999", "1010", "1011", "1012"}, got)
}

func TestParseAttendant(t *testing.T) {
	a, err := ParseAttendant("zoe:front:attendant,age_verifier")
	require.NoError(t, err)
	require.Equal(t, attendant.Attendant{ID: "zoe", Name: "Zoe", Zone: "front", Roles: []string{"attendant", "age_verifier"}}, a)
	for _, bad := range []string{"zoe", "zoe:front", ":front:attendant", "zoe::attendant", "zoe:front:", "zoe:front:boss", "zoe:front:attendant:x"} {
		_, err := ParseAttendant(bad)
		require.Error(t, err, bad)
	}
}

// The roster is the virtual staff, then the extra entries, each with the
// hash of its PIN; an id twice is refused.
func TestRoster(t *testing.T) {
	zoe, err := ParseAttendant("zoe:front:attendant")
	require.NoError(t, err)
	r, err := roster([]attendant.Attendant{zoe})
	require.NoError(t, err)
	require.Len(t, r, len(harness.DefaultRoster)+1)
	require.Equal(t, "zoe", r[len(r)-1].ID)
	for i, a := range r {
		require.NoError(t, bcrypt.CompareHashAndPassword([]byte(a.PinHash), []byte(PIN(i))), a.ID)
	}
	require.Empty(t, harness.DefaultRoster[0].PinHash, "the harness's roster is not changed")
	ana, err := ParseAttendant("ana:back:attendant")
	require.NoError(t, err)
	_, err = roster([]attendant.Attendant{ana})
	require.ErrorContains(t, err, "ana is on the roster already")
}

// The alerts open at stop that the bridge closed while the demo was
// stopping are in the report, so the list of those open leaves them out;
// it names who had claimed the others.
func TestOpenAtStop(t *testing.T) {
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	l := newLive(&out, &harness.Store{Roster: harness.DefaultRoster})
	l.alerts["a1"] = &tracked{id: "a1", kind: protocol.KindHelp, lane: "2", raised: at.Add(time.Second), claimed: "ben"}
	l.alerts["a2"] = &tracked{id: "a2", kind: protocol.KindBagTimeout, lane: "1", raised: at}
	l.alerts["a3"] = &tracked{id: "a3", kind: protocol.KindAgeCheck, lane: "3", raised: at}
	l.alerts["a4"] = &tracked{id: "a4", kind: protocol.KindHelp, lane: "4", raised: at, done: true}
	open := l.stop(at.Add(5 * time.Second))
	require.Len(t, open, 3)
	l.openAtStop(withoutRecord(open, []attendant.Intervention{{Alert: "a3"}, {Alert: "a4"}}))
	require.Equal(t, "\nOpen at stop (2), not in the report: the lanes keep them and page them again when a bridge is back\n"+
		"  lane 1   bag_timeout      open for 5s, nobody had claimed it\n"+
		"  lane 2   help             open for 4s, claimed by Ben\n", out.String())

	out.Reset()
	l.openAtStop(withoutRecord(open, []attendant.Intervention{{Alert: "a1"}, {Alert: "a2"}, {Alert: "a3"}}))
	require.Equal(t, "\nNo alert was open at stop.\n", out.String())
}
