package demo

import (
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/sco-project/sco/attendant"
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
