package daemon

import (
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/devices/devicestest"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/protocol"
)

// A lane that cannot journal stops selling: the step whose write failed
// is not shown, the lane goes out of service with a device_fault alert
// naming the journal, refuses scans and finish, and comes back by itself
// once writes succeed; what the shopper saw survives a restart.
func TestJournalFaultStopsSelling(t *testing.T) {
	const lane = "40"
	b := testsupport.Mochi(t)
	w := newWatcher(t, b.URL())
	cfg := newRig(t, lane, b.URL()).config(t)
	var full atomic.Bool
	scanner := devicestest.NewScanner(nil)
	p := startInProcOpts(t, cfg, Opts{
		Scanner: scanner, Scale: devicestest.NewScale(nil),
		writeError: func() error {
			if full.Load() {
				return errors.New("no space left on device")
			}
			return nil
		},
	})
	stateTopic, alertTopic := protocol.LaneStateTopic(testStore, lane), protocol.LaneAlertTopic(testStore, lane)
	at := 0
	w.next(&at, stateTopic, stateWhere(func(s protocol.LaneState) bool { return s.Online }))
	const chair = "0012345678905" // no_bag
	for i := 1; i <= 2; i++ {
		scanner.Scan(chair, "")
		pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == i })
	}

	full.Store(true)
	scanner.Scan(chair, "")
	fault := decodeAlert(t, w.next(&at, alertTopic, isKind(protocol.KindDeviceFault, protocol.AlertOpen)))
	require.Contains(t, fault.Detail, "cannot write the journal "+cfg.DataDir+"/lane.db: no space left on device")
	st := decodeState(t, w.next(&at, stateTopic, stateWhere(func(s protocol.LaneState) bool { return s.State == protocol.StateOutOfService })))
	require.Equal(t, 2, st.Items, "the scan whose write failed was rolled back")
	require.Equal(t, []string{fault.ID}, st.Alerts)
	require.Equal(t, "red_flash", st.Light)
	got := pollState(t, p.base, func(s protocol.LaneState) bool { return s.State == protocol.StateOutOfService })
	require.Equal(t, 2, got.Items, "and never shown")

	var e map[string]string
	require.Equal(t, http.StatusConflict, api(t, "POST", p.base+"/api/finish", &e))
	require.Equal(t, "the lane is out of service", e["error"])
	require.Equal(t, http.StatusConflict, api(t, "POST", p.base+"/api/help", &e))
	require.Contains(t, e["error"], "cannot write its journal")
	scanner.Scan(chair, "")
	res := command(t, w, lane, "cmd-while-full", fault.ID, protocol.ActionClear)
	require.False(t, res.OK)
	require.Contains(t, res.Error, "cannot write its journal")
	require.Equal(t, 2, p.d.State().Items, "scans are refused")

	// Space again: the lane is back by itself, the alert cancelled.
	full.Store(false)
	require.Equal(t, protocol.AlertCancelled, decodeAlert(t, w.next(&at, alertTopic, isID(fault.ID))).Status)
	pollState(t, p.base, func(s protocol.LaneState) bool { return s.State == protocol.StateShopping && len(s.Alerts) == 0 })
	scanner.Scan(chair, "")
	pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == 3 })
	session := p.d.State().Session
	p.stop(t)

	p2 := startInProc(t, cfg)
	st = p2.d.State()
	require.Equal(t, session, st.Session)
	require.Equal(t, 3, st.Items, "what was shown was journaled")
	require.Empty(t, st.Alerts)
}

// A new alert whose step cannot be journaled may have gone out before
// the write: the lane takes it back (cancelled) and the fault replaces
// it; the shopper's request is refused (409).
func TestJournalFaultTakesBackAnEarlyAlert(t *testing.T) {
	const lane = "41"
	b := testsupport.Mochi(t)
	w := newWatcher(t, b.URL())
	var full atomic.Bool
	p := startInProcOpts(t, newRig(t, lane, b.URL()).config(t), Opts{
		Scanner: devicestest.NewScanner(nil), Scale: devicestest.NewScale(nil),
		writeError: func() error {
			if full.Load() {
				return errors.New("input/output error")
			}
			return nil
		},
	})
	alertTopic := protocol.LaneAlertTopic(testStore, lane)
	at := 0
	w.next(&at, protocol.LaneStateTopic(testStore, lane), stateWhere(func(s protocol.LaneState) bool { return s.Online }))
	full.Store(true)
	var e map[string]string
	require.Equal(t, http.StatusConflict, api(t, "POST", p.base+"/api/help", &e))
	help := decodeAlert(t, w.next(&at, alertTopic, isKind(protocol.KindHelp, protocol.AlertOpen)))
	require.Equal(t, protocol.AlertCancelled, decodeAlert(t, w.next(&at, alertTopic, isID(help.ID))).Status)
	w.next(&at, alertTopic, isKind(protocol.KindDeviceFault, protocol.AlertOpen))
	st := pollState(t, p.base, func(s protocol.LaneState) bool { return s.State == protocol.StateOutOfService })
	require.Len(t, st.Alerts, 1)
	require.NotEqual(t, help.ID, st.Alerts[0], "the help step was rolled back")
	require.False(t, strings.Contains(st.Prompt, "You asked for help"))
	full.Store(false)
	pollState(t, p.base, func(s protocol.LaneState) bool { return s.State == protocol.StateIdle })
}
