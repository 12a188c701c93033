package pagerclient_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/pagerclient"
	"github.com/sco-project/sco/pagerclient/pagertest"
	"github.com/sco-project/sco/protocol"
)

// terminal is the attendant's side of the pager: what it types and what
// the screen says.
type terminal struct {
	t     *testing.T
	in    *io.PipeWriter
	lines chan string
}

func (term *terminal) typ(line string) {
	term.t.Helper()
	_, err := fmt.Fprintln(term.in, line)
	require.NoError(term.t, err)
}

// expect waits for a screen line containing want and returns it.
func (term *terminal) expect(want string) string {
	term.t.Helper()
	deadline := time.After(pagertest.Wait)
	var seen []string
	for {
		select {
		case l, ok := <-term.lines:
			require.True(term.t, ok, "screen closed waiting for %q; saw %q", want, seen)
			if strings.Contains(l, want) {
				return l
			}
			seen = append(seen, l)
		case <-deadline:
			term.t.Fatalf("screen never said %q; saw %q", want, seen)
		}
	}
}

func startUI(t *testing.T, c *pagerclient.Client) (*terminal, <-chan error) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	term := &terminal{t: t, in: inW, lines: make(chan string, 256)}
	go func() {
		defer close(term.lines)
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			term.lines <- sc.Text()
		}
	}()
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
	c := dial(t, b.URL(), "ana")
	term, done := startUI(t, c)

	term.expect("pager ana: type h for help")
	term.expect("connected as ana, presence available")
	br.NextPresence(presence, protocol.PresenceAvailable)

	term.typ("b")
	term.expect("presence: busy")
	br.NextPresence(presence, protocol.PresenceBusy)
	term.typ("a")
	br.NextPresence(presence, protocol.PresenceAvailable)

	br.Page("ana", protocol.Page{Alert: "a1", Lane: "3", Zone: "front", Kind: protocol.KindBagTimeout, Severity: protocol.SeverityMedium, Text: "Cola 330ml", Tier: 1})
	l := term.expect("[1] lane 3 (front): bag_timeout")
	assert.True(t, strings.HasPrefix(l, "\a"), "a new page rings the bell: %q", l)
	br.Page("ana", protocol.Page{Alert: "a2", Lane: "5", Kind: protocol.KindHelp, Tier: 2})
	term.expect("[2] lane 5: help, tier 2")

	term.typ("c 1")
	term.expect("[1] claim sent")
	cmd := br.NextCommand(cmds)
	assert.Equal(t, protocol.PagerClaim, cmd.Action)
	assert.Equal(t, "a1", cmd.Alert)
	br.Answer("ana", protocol.PagerResult{ID: cmd.ID, OK: true, ClaimedBy: "ana"})
	term.expect("[1] claimed: lane 3 is yours")

	term.typ("r 1 clear")
	term.expect("error: clear does not resolve bag_timeout; use one of approve|void|out_of_service")
	term.typ("r 1 approve")
	cmd = br.NextCommand(cmds)
	assert.Equal(t, protocol.PagerResolve, cmd.Action)
	assert.Equal(t, protocol.ActionApprove, cmd.Resolution)
	br.Answer("ana", protocol.PagerResult{ID: cmd.ID, OK: true})
	term.expect("[1] resolved: approve")

	term.typ("c 2")
	cmd = br.NextCommand(cmds)
	br.Answer("ana", protocol.PagerResult{ID: cmd.ID, OK: false, Error: "already claimed", ClaimedBy: "ben"})
	term.expect("[2] ben claimed it first")
	br.Withdraw("ana", "a2", "claimed")
	term.expect("[2] withdrawn: claimed")

	term.typ("ls")
	term.expect("ana: online, presence available")
	term.expect("no pages")
	term.typ("c 2")
	term.expect("error: no page 2")
	term.typ("x")
	term.expect(`error: "x": unknown command`)

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
