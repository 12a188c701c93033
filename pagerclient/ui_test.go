package pagerclient_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/pagerclient"
	"github.com/sco-project/sco/pagerclient/pagertest"
	"github.com/sco-project/sco/protocol"
)

// terminal is the attendant's side of the pager: what it types and what
// the screen says.
type terminal struct {
	*pagertest.Screen
	t  *testing.T
	in *io.PipeWriter
}

func (term *terminal) typ(line string) {
	term.t.Helper()
	_, err := fmt.Fprintln(term.in, line)
	require.NoError(term.t, err)
}

func startUI(t *testing.T, c *pagerclient.Client) (*terminal, <-chan error) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	term := &terminal{Screen: pagertest.ReadScreen(t, outR), t: t, in: inW}
	done := make(chan error, 1)
	go func() {
		done <- pagerclient.Run(context.Background(), c, inR, outW)
		outW.Close()
	}()
	t.Cleanup(func() { inW.Close(); outR.Close() })
	return term, done
}

func TestTerminalPager(t *testing.T) {
	b := testsupport.Mochi(t)
	br := pagertest.NewBridge(t, b.URL(), "s1")
	presence := br.Presence("ana")
	cmds := br.Commands("ana")
	br.Profile(protocol.Profile{ID: "ana", Name: "Ana", Zone: "front", Roles: []string{"attendant"}, Store: "s1",
		Resolutions: map[protocol.Kind][]protocol.Action{protocol.KindHelp: {protocol.ActionClear, protocol.ActionOutOfService}}})
	c := dial(t, b.URL(), "ana")
	term, done := startUI(t, c)

	term.Expect("pager ana: type h for help")
	term.ExpectAll("on the roster of store s1 as Ana (ana), zone front, roles attendant", "may resolve: help clear|out_of_service",
		"connected as ana, presence available")
	br.NextPresence(presence, protocol.PresenceAvailable)

	term.typ("b")
	term.Expect("presence: busy")
	br.NextPresence(presence, protocol.PresenceBusy)
	term.typ("a")
	br.NextPresence(presence, protocol.PresenceAvailable)

	br.Page("ana", protocol.Page{Alert: "a1", Lane: "3", Zone: "front", Kind: protocol.KindBagTimeout, Severity: protocol.SeverityMedium, Text: "Cola 330ml", Tier: 1,
		Resolutions: []protocol.Action{protocol.ActionApprove, protocol.ActionVoid, protocol.ActionOutOfService}})
	l := term.Expect("[1] lane 3 (front): bag_timeout")
	assert.True(t, strings.HasPrefix(l, "\a"), "a new page rings the bell: %q", l)
	br.Page("ana", protocol.Page{Alert: "a2", Lane: "5", Kind: protocol.KindHelp, Tier: 2})
	term.Expect("[2] lane 5: help, tier 2")

	term.typ("c 1")
	term.Expect("[1] claim sent")
	cmd := br.NextCommand(cmds)
	assert.Equal(t, protocol.PagerClaim, cmd.Action)
	assert.Equal(t, "a1", cmd.Alert)
	br.Answer("ana", protocol.PagerResult{ID: cmd.ID, OK: true, ClaimedBy: "ana"})
	term.Expect("[1] claimed: lane 3 is yours")

	term.typ("r 1 clear")
	term.Expect("error: page 1 offers approve|void|out_of_service, not clear")
	term.typ("r 1 approve")
	cmd = br.NextCommand(cmds)
	assert.Equal(t, protocol.PagerResolve, cmd.Action)
	assert.Equal(t, protocol.ActionApprove, cmd.Resolution)
	br.Answer("ana", protocol.PagerResult{ID: cmd.ID, OK: true})
	term.Expect("[1] resolved: approve")

	term.typ("c 2")
	cmd = br.NextCommand(cmds)
	br.Answer("ana", protocol.PagerResult{ID: cmd.ID, OK: false, Error: "already claimed", ClaimedBy: "ben"})
	term.Expect("[2] ben claimed it first")
	br.Withdraw("ana", "a2", "claimed")
	term.Expect("[2] withdrawn: claimed")

	term.typ("ls")
	term.Expect("ana: online, presence available")
	term.Expect("no pages")
	term.typ("c 2")
	term.Expect("error: no page 2")
	term.typ("x")
	term.Expect(`error: "x": unknown command`)

	term.typ("q")
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(pagertest.Wait):
		t.Fatal("q did not quit")
	}
	require.NoError(t, c.Close())
	br.NextPresence(presence, protocol.PresenceOffline)
}

// A pager the bridge has no profile for says so, plainly, after a short
// wait, and keeps saying it in the list.
func TestTerminalPagerNotOnRoster(t *testing.T) {
	b := testsupport.Mochi(t)
	c := dialOpts(t, pagerclient.Opts{MQTT: mqttc.Config{Broker: b.URL()}, ID: "zoe", SyncWait: 50 * time.Millisecond})
	term, _ := startUI(t, c)
	term.Expect("connected as zoe")
	l := term.Expect("NOT ON THE ROSTER of store s1: the bridge has no profile for zoe, so zoe is never paged and every command is refused — ask store IT")
	assert.True(t, strings.HasPrefix(l, "\a"), "it rings: %q", l)
	term.typ("ls")
	term.Expect("zoe: online, presence available, NOT ON THE ROSTER")
	term.typ("me")
	term.Expect("NOT ON THE ROSTER")
}
