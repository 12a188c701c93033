package daemon

// End-to-end tests of what the lane does against a bad disk, a bad file
// and a hostile local client (issue 15): the real kioskd binary.

import (
	"context"
	"encoding/binary"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/sco-project/sco/internal/boltdb/boltdbtest"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/kiosk/outbox"
	"github.com/sco-project/sco/protocol"
)

// runKioskdToExit runs kioskd on r's config, expecting it to stop by
// itself, and returns its exit code and stderr.
func runKioskdToExit(t testing.TB, r *rig) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	cmd := exec.CommandContext(ctx, kioskdBin, "-config", r.path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	require.NoError(t, ctx.Err(), "kioskd did not exit by itself:\n%s", stderr.String())
	var ee *exec.ExitError
	if err != nil {
		require.ErrorAs(t, err, &ee)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// laneDB writes a journal with a session and a waiting message to r's
// data_dir and returns the path of lane.db.
func laneDB(t testing.TB, r *rig) string {
	t.Helper()
	dir := filepath.Join(r.dir, "data")
	o, err := outbox.Open(dir, nil)
	require.NoError(t, err)
	require.NoError(t, o.Commit(map[string]any{"version": 1, "lane": r.lane}, outbox.Msg{Topic: "t/x", Payload: []byte("x")}))
	require.NoError(t, o.Close())
	return filepath.Join(dir, "lane.db")
}

// A damaged lane.db (bbolt panicked on each of these) is one clear line
// naming the file and what to do, and exit status 1: no panic, no
// restart loop of panics.
func TestE2EDamagedJournal(t *testing.T) {
	for _, damage := range []boltdbtest.Damage{boltdbtest.FreelistPage, boltdbtest.PageID, boltdbtest.ElementCount, boltdbtest.Truncated} {
		t.Run(string(damage), func(t *testing.T) {
			r := newRig(t, "30", "tcp://127.0.0.1:1")
			db := laneDB(t, r)
			require.NoError(t, boltdbtest.Apply(db, damage))
			code, stderr := runKioskdToExit(t, r)
			require.Equal(t, 1, code, stderr)
			require.NotContains(t, stderr, "panic")
			require.NotContains(t, stderr, "goroutine")
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			last := lines[len(lines)-1]
			require.True(t, strings.HasPrefix(last, "kioskd: "), last)
			require.Contains(t, last, db+" is damaged (")
			require.Contains(t, last, "move it aside (mv "+db+" "+db+".damaged) and start again")
			require.Contains(t, last, "the open session")

			// Done as it says, the lane starts (afresh).
			require.NoError(t, os.Rename(db, db+".damaged"))
			p := startKioskd(t, r)
			require.Empty(t, p.state().Session)
			p.Term()
		})
	}
}

// A 0-byte lane.db (the disk filled up as it was created) starts afresh,
// and the log says so.
func TestE2EEmptyJournalStartsAfresh(t *testing.T) {
	r := newRig(t, "31", "tcp://127.0.0.1:1")
	db := filepath.Join(r.dir, "data", "lane.db")
	require.NoError(t, os.MkdirAll(filepath.Dir(db), 0o750))
	require.NoError(t, os.WriteFile(db, nil, 0o600))
	p := startKioskd(t, r)
	rec := p.WaitLog(func(m map[string]any) bool { return strings.Contains(m["msg"].(string), "empty (0 bytes)") })
	require.Equal(t, db, rec["file"])
	p.Term()
}

// Outbox entries that cannot be sent (a damaged record, a topic no broker
// takes) are set aside with one log line; the rest goes out in order, and
// SIGTERM still ends kioskd within its shutdown timeout. (Such an entry
// once kept the publisher in a loop: a full core, 163k lines a second,
// SIGTERM ignored.)
func TestE2EBadOutboxEntriesSetAside(t *testing.T) {
	const lane = "32"
	b := testsupport.Mochi(t)
	w := newWatcher(t, b.URL())
	r := newRig(t, lane, b.URL())
	dir := filepath.Join(r.dir, "data")
	o, err := outbox.Open(dir, nil)
	require.NoError(t, err)
	good := protocol.Root(testStore) + "/test/good"
	require.NoError(t, o.Commit(nil, outbox.Msg{Topic: good, Payload: []byte("1")}, outbox.Msg{Topic: "x"}, outbox.Msg{Topic: "x"},
		outbox.Msg{Topic: "x"}, outbox.Msg{Topic: good, Payload: []byte("2")}))
	require.NoError(t, o.Close())
	db, err := bolt.Open(filepath.Join(dir, "lane.db"), 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		out := tx.Bucket([]byte("outbox"))
		for k, v := range map[uint64]string{2: "{not json", 3: `{"topic":"sco/#"}`, 4: `{"topic":""}`} {
			if err := out.Put(binary.BigEndian.AppendUint64(nil, k), []byte(v)); err != nil {
				return err
			}
		}
		return nil
	}))
	require.NoError(t, db.Close())

	p := startKioskd(t, r)
	at := 0
	require.Equal(t, "1", string(w.next(&at, good, nil)))
	require.Equal(t, "2", string(w.next(&at, good, nil)))
	w.next(&at, protocol.LaneStateTopic(testStore, lane), stateWhere(func(s protocol.LaneState) bool { return s.Online }))
	rec := p.WaitLog(func(m map[string]any) bool { return m["msg"] == "outbox: entries that cannot be sent were set aside" })
	require.EqualValues(t, 3, rec["count"])
	require.Equal(t, 1, strings.Count(p.Log(), "set aside"), "one line for all of them")

	start := time.Now()
	p.Term()
	require.Less(t, time.Since(start), 3*time.Second+2*time.Second, "SIGTERM ends kioskd within its shutdown timeout")
	require.Less(t, strings.Count(p.Log(), "\n"), 40, "a handful of lines, not a flood:\n%s", p.Log())
}

// tmpfs mounts a small tmpfs on dir for the test, or skips the test when
// this machine does not let it (mounting needs root).
func tmpfs(t *testing.T, dir string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o750))
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("a full disk needs a small tmpfs, and mount failed here (not root?): %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
}

// fill writes dir/filler until the file system is full.
func fill(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	require.NoError(t, err)
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			require.ErrorContains(t, err, "no space left on device")
			return
		}
	}
}

// TestE2EFullDisk: the attack of issue 15.5 on the real kioskd. The disk
// under data_dir fills up while the shopper scans. The lane goes out of
// service with a device_fault alert naming the journal as soon as a write
// fails; every item the shopper saw survives kill -9, also a kill while
// the disk is still full; with space again the lane is back by itself.
func TestE2EFullDisk(t *testing.T) {
	const lane = "33"
	b := testsupport.Mochi(t)
	w := newWatcher(t, b.URL())
	r := newRig(t, lane, b.URL())
	data := filepath.Join(r.dir, "data")
	tmpfs(t, data)
	p := startKioskd(t, r)
	at := 0
	w.next(&at, protocol.LaneStateTopic(testStore, lane), stateWhere(func(s protocol.LaneState) bool { return s.Online }))
	r.scale.waitPolls(t, 4)

	// Scans until a write fails: the lane is out of service, having shown
	// the items it could journal.
	untilFault := func(from int) int {
		fill(t, data)
		for i := from + 1; ; i++ {
			require.Less(t, i, from+500, "the lane kept selling on a full disk")
			r.scan("0012345678905") // garden chair, no_bag
			st := pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == i || s.State == protocol.StateOutOfService })
			if st.State == protocol.StateOutOfService {
				return st.Items
			}
		}
	}
	alertTopic := protocol.LaneAlertTopic(testStore, lane)
	shown := untilFault(0)
	a := decodeAlert(t, w.next(&at, alertTopic, isKind(protocol.KindDeviceFault, protocol.AlertOpen)))
	require.Contains(t, a.Detail, "cannot write the journal "+filepath.Join(data, "lane.db"))
	require.Contains(t, a.Detail, "no space left on device")
	t.Logf("out of service after %d items", shown)

	// Refused while the disk is full.
	r.scan("0012345678905")
	var e map[string]string
	require.Equal(t, http.StatusConflict, api(t, "POST", p.base+"/api/finish", &e))
	require.Equal(t, shown, p.state().Items)

	// Space again: back in service by itself, and selling.
	require.NoError(t, os.Remove(filepath.Join(data, "filler")))
	require.Equal(t, protocol.AlertCancelled, decodeAlert(t, w.next(&at, alertTopic, isID(a.ID))).Status)
	pollState(t, p.base, func(s protocol.LaneState) bool { return s.State == protocol.StateShopping && len(s.Alerts) == 0 })
	r.scan("0012345678905")
	pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == shown+1 })

	// Full again, and killed while it is: restarted on the full disk,
	// the lane comes back with everything the shopper saw (in service if
	// its first write fits in the file's free pages, out of service if
	// not).
	shown = untilFault(shown + 1)
	p.Kill()
	p = startKioskd(t, r)
	require.Equal(t, shown, p.state().Items, "items the shopper saw were lost")
	require.NoError(t, os.Remove(filepath.Join(data, "filler")))
	pollState(t, p.base, func(s protocol.LaneState) bool { return s.State == protocol.StateShopping && len(s.Alerts) == 0 })
	p.Term()
}

// The local API against a hostile web page, on the real kioskd (issue
// 15.8): a cross-origin POST /api/finish once ended a session, and DNS
// rebinding could read the basket.
func TestE2ELocalAPIRefusesOtherOrigins(t *testing.T) {
	const lane = "34"
	_, r, p, _ := e2eLane(t, testsupport.Mochi(t).URL(), lane)
	r.scan("0012345678905")
	st := pollState(t, p.base, func(s protocol.LaneState) bool { return s.Items == 1 })

	code, _ := do(t, "POST", p.base+"/api/finish", nil, "Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site")
	require.Equal(t, http.StatusForbidden, code)
	code, body := do(t, "GET", p.base+"/api/state", nil, "Host", "evil.example:80")
	require.Equal(t, http.StatusMisdirectedRequest, code)
	require.NotContains(t, body, "Garden chair", "the basket stays on the lane")
	require.Equal(t, st.Session, p.state().Session, "the session goes on")
	require.Equal(t, http.StatusOK, api(t, "POST", p.base+"/api/finish", nil), "the lane's own request")
	p.Term()
}

// Off loopback the lane does not start without a token, and with one
// its state changes need it.
func TestE2ELocalAPIOffLoopbackNeedsAToken(t *testing.T) {
	const lane = "35"
	r := newRig(t, lane, testsupport.Mochi(t).URL())
	conf, err := os.ReadFile(r.path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(r.path, []byte(strings.Replace(string(conf), "listen: 127.0.0.1:0", "listen: 0.0.0.0:0", 1)), 0o600))
	code, stderr := runKioskdToExit(t, r)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "ui.token: is required when ui.listen (0.0.0.0:0) is not a loopback address")

	const token = "f00dfeedf00dfeedf00d"
	require.NoError(t, os.WriteFile(filepath.Join(r.dir, "ui.token"), []byte(token+"\n"), 0o600))
	conf, err = os.ReadFile(r.path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(r.path, []byte(strings.Replace(string(conf), "listen: 0.0.0.0:0\n", "listen: 0.0.0.0:0\n  token_file: ui.token\n", 1)), 0o600))
	p := startKioskd(t, r)
	_, port, err := net.SplitHostPort(strings.TrimPrefix(p.base, "http://"))
	require.NoError(t, err)
	base := "http://127.0.0.1:" + port
	code, _ = do(t, "POST", base+"/api/help", nil)
	require.Equal(t, http.StatusUnauthorized, code)
	code, _ = do(t, "POST", base+"/api/help", nil, "Authorization", "Bearer "+token)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, getBody(t, base+"/"), token, "the lane's own browser gets the token in the page")
	p.Term()
}

// -check-config is honest (issue 20.4): an explicit 0 is an error as the
// docs show it, not the default in disguise.
func TestE2ECheckConfigExplicitZero(t *testing.T) {
	r := newRig(t, "36", "tcp://127.0.0.1:1")
	conf, err := os.ReadFile(r.path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(r.path, []byte(strings.Replace(string(conf), "bag_prompts: 1", "bag_prompts: 0", 1)), 0o600))
	out, err := exec.Command(kioskdBin, "-check-config", r.path).CombinedOutput()
	require.Error(t, err)
	require.Equal(t, "kioskd: lane.yaml: policy.bag_prompts: must be >= 1, got 0\n", string(out))
}
