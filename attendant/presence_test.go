package attendant

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol"
)

func (h *harness) device(now time.Time, id, dev, st string, seq uint64) ([]string, error) {
	fx, err := h.d.Presence(now, id, protocol.Presence{Status: st, Device: dev, Seq: seq})
	return fxLines(fx), err
}

// Presence is per device: the attendant is available while any device
// says so (available wins over busy), one device's will does not take
// the others off, and a device's seq only grows.
func TestPresencePerDevice(t *testing.T) {
	h := newHarness(t, testConfig(t), map[string]string{"ben": "available"})
	steps := []struct {
		at           time.Duration
		dev, status  string
		seq          uint64
		want         []string
		err, overall string
	}{
		{0, "phone", "busy", 10, nil, "", "busy"},
		{500 * time.Millisecond, "phone", "busy", 10, nil, "", "busy"}, // the retained one again, after a reconnect: no complaint
		{700 * time.Millisecond, "phone", "available", 10, nil, "seq 10 is not above 10", "busy"},
		{time.Second, "web", "available", 0, nil, "", "available"},
		{2 * time.Second, "phone", "available", 9, nil, "seq 9 is not above 10", "available"},
		{3 * time.Second, "phone", "offline", 0, nil, "", "available"}, // the phone's will
		{4 * time.Second, "phone", "busy", 11, nil, "", "available"},   // available wins
		{5 * time.Second, "web", "break", 0, nil, "", "busy"},
		{6 * time.Second, "", "offline", 0, nil, "", "busy"},        // a bare "offline" will is the device without a name
		{7 * time.Second, "phone", "offline", 12, nil, "", "break"}, // the web app is on break
	}
	for _, s := range steps {
		got, err := h.device(at(s.at), "ana", s.dev, s.status, s.seq)
		if s.err != "" {
			require.ErrorContains(t, err, s.err)
		} else {
			require.NoError(t, err)
		}
		require.Equal(t, s.want, got, "at %v", s.at)
		require.Equal(t, s.overall, h.d.presence["ana"], "at %v", s.at)
	}
}

// One device going offline keeps the attendant paged; the last one
// takes the pages away (and escalates at once).
func TestOneDeviceOfflineKeepsThePages(t *testing.T) {
	h := newHarness(t, testConfig(t), nil)
	_, err := h.device(t0, "ana", "phone", "available", 1)
	require.NoError(t, err)
	_, err = h.device(t0, "ana", "web", "available", 0)
	require.NoError(t, err)
	h.presence(t0, "ben", "available")
	require.Equal(t, "page ana a1 tier 1", h.raise(t0, "a1", "front", protocol.KindHelp)[0])
	got, err := h.device(at(time.Second), "ana", "phone", "offline", 0)
	require.NoError(t, err)
	require.Empty(t, got, "the web app still has her")
	got, err = h.device(at(2*time.Second), "ana", "web", "offline", 0)
	require.NoError(t, err)
	require.Equal(t, []string{"page ben a1 tier 2", "record a1 paged tier 2", "assist 3 paged tier 2 "}, got)
}

// An attendant's devices are bounded: a further one is refused while the
// others are on, and an offline one makes room.
func TestDevicesBounded(t *testing.T) {
	h := newHarness(t, testConfig(t), nil)
	for i := range MaxDevicesPerAttendant {
		_, err := h.device(t0, "ana", fmt.Sprintf("d%d", i), "busy", 0)
		require.NoError(t, err)
	}
	_, err := h.device(t0, "ana", "one-more", "available", 0)
	require.ErrorContains(t, err, "refused")
	_, err = h.device(t0, "ana", "d3", "offline", 0)
	require.NoError(t, err)
	_, err = h.device(t0, "ana", "one-more", "available", 0)
	require.NoError(t, err)
	require.Len(t, h.d.devices["ana"], MaxDevicesPerAttendant)
	_, err = h.device(t0, "ana", "a/b", "available", 0)
	require.ErrorContains(t, err, "bad device")
}

// Whenever a device of an attendant announces available or busy, the
// attendant is sent again every page they hold: the unclaimed alerts
// they are paged for and the alerts they claimed. Nothing else changes.
func TestResyncOnPresence(t *testing.T) {
	h := newHarness(t, testConfig(t), allAvailable)
	h.raise(t0, "a1", "front", protocol.KindHelp)       // ana, tier 1
	h.raise(t0, "a2", "front", protocol.KindBagTimeout) // ana, tier 1
	h.raise(t0, "a3", "back", protocol.KindHelp)        // ben, tier 1
	h.cmd(at(time.Second), "ana", "c1", "a2", "claim", "")
	h.d.Changes()
	got, err := h.device(at(2*time.Second), "ana", "", "available", 0)
	require.NoError(t, err)
	require.Equal(t, []string{"page ana a1 tier 1", "page ana a2 tier 1"}, got, "the same status again still re-sends")
	require.Empty(t, h.d.Changes().Closed)
	got, err = h.device(at(3*time.Second), "ana", "web:1", "busy", 0)
	require.NoError(t, err)
	require.Equal(t, []string{"page ana a1 tier 1", "page ana a2 tier 1"}, got, "a second device gets them too")
	got, err = h.device(at(4*time.Second), "ana", "web:1", "break", 0)
	require.NoError(t, err)
	require.Empty(t, got, "break re-sends nothing")
	// After a decline the page is no longer his to re-send.
	h.cmd(at(5*time.Second), "ben", "c2", "a3", "release", "")
	got, err = h.device(at(6*time.Second), "ben", "", "available", 0)
	require.NoError(t, err)
	require.Empty(t, got)
	// Coming back from offline: paged (tier 2 alerts) once, not twice.
	h.tick(at(20 * time.Second)) // a1 to tier 2
	h.device(at(21*time.Second), "sue", "", "offline", 0)
	got, err = h.device(at(22*time.Second), "sue", "", "available", 0)
	require.NoError(t, err)
	require.Contains(t, got, "page sue a1 tier 2")
	require.Len(t, slices.DeleteFunc(got, func(s string) bool { return s != "page sue a1 tier 2" }), 1)
}
