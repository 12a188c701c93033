package daemon

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/devices/devicestest"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/protocol"
)

// A lane restarted after being down does not count the downtime as
// prompting (issue 20.6): the restored bag timer starts afresh from the
// restart, on the daemon's clock. (The rig: bag_timeout 400ms,
// bag_prompts 1.)
func TestRestartRebasesTheShoppersTimers(t *testing.T) {
	const lane = "57"
	b := testsupport.Mochi(t)
	w := newWatcher(t, b.URL())
	cfg := newRig(t, lane, b.URL()).config(t)
	clock := testsupport.NewClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	opts := func() Opts {
		return Opts{Now: clock.Now, Scanner: devicestest.NewScanner(clock.Now), Scale: devicestest.NewScale(clock.Now)}
	}
	// finish is refused while the item waits; its reason says whether an
	// alert is open. It is handled at the clock's time, timers first.
	// (The refusal itself prompts the shopper: the state says attention.)
	finish := func(p *inProc) (string, protocol.LaneState) {
		t.Helper()
		var e map[string]string
		require.Equal(t, http.StatusConflict, api(t, "POST", p.base+"/api/finish", &e))
		return e["error"], p.d.State()
	}
	const waiting, alerted = "the last item is not in the bagging area yet", "an alert is waiting for the attendant"

	o := opts()
	p := startInProcOpts(t, cfg, o)
	o.Scanner.(*devicestest.Scanner).Scan("5000112637922", "") // cola, 355 g
	pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == 1 })
	clock.Advance(500 * time.Millisecond)
	why, _ := finish(p)
	require.Equal(t, waiting, why, "prompted once")
	p.stop(t)

	clock.Advance(70 * time.Second) // down for 70 s
	p = startInProcOpts(t, cfg, opts())
	why, st := finish(p)
	require.Equal(t, waiting, why, "no bag_timeout for the downtime")
	require.Empty(t, st.Alerts)

	clock.Advance(500 * time.Millisecond) // past the first new deadline: a prompt
	why, _ = finish(p)
	require.Equal(t, waiting, why)
	clock.Advance(400 * time.Millisecond) // past the second: bag_prompts 1
	why, _ = finish(p)
	require.Equal(t, alerted, why)
	at := 0
	a := decodeAlert(t, w.next(&at, protocol.LaneAlertTopic(testStore, lane), isKind(protocol.KindBagTimeout, protocol.AlertOpen)))
	require.Equal(t, "no stable gain of 355g on the bagging area after 1 prompts", a.Detail)
	require.Equal(t, protocol.At(clock.Now()), a.TS, "raised after the re-based deadlines, not before")
}
