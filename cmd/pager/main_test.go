package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/cli"
	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/pagerclient/pagertest"
	"github.com/sco-project/sco/protocol"
)

func TestBadArguments(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{}, cli.ExitUsage, "pager: -store and -id are required\nusage: pager -store ID -id ID [flags]\n"},
		{[]string{"-store", "s1"}, cli.ExitUsage, "pager: -store and -id are required\n"},
		{[]string{"-store", "s1", "-id", "ana", "extra"}, cli.ExitUsage, `pager: unexpected argument "extra"`},
		{[]string{"-store", "s1", "-id", "Ana"}, cli.ExitError, `pager: pagerclient: id "Ana" must match [a-z0-9-]+` + "\n"},
		{[]string{"-store", "s1", "-id", "ana", "-broker", "http://x"}, cli.ExitError, "pager: "},
		{[]string{"-store", "s1", "-id", "ana", "-ca", "/nonexistent/ca.pem"}, cli.ExitError, "pager: "},
	} {
		var errs strings.Builder
		code := command().Execute(context.Background(), c.args, cli.Stdio{Out: io.Discard, Err: &errs})
		assert.Equal(t, c.code, code, "%v", c.args)
		assert.True(t, strings.HasPrefix(errs.String(), c.want), "%v: %q", c.args, errs.String())
		if c.code == cli.ExitError {
			assert.Equal(t, 1, strings.Count(errs.String(), "\n"), "one line: %q", errs.String())
		}
	}
	var errs strings.Builder
	command().Execute(context.Background(), []string{"-store", "s1", "-id", "ana", "-ca", "/nonexistent/ca.pem"}, cli.Stdio{Err: &errs})
	assert.Contains(t, errs.String(), "ca_file")
}

// TestBinaryHelp: the real binary's -h prints the usage on stdout and
// exits 0.
func TestBinaryHelp(t *testing.T) {
	out, err := exec.Command(testsupport.Binary(t, "."), "-h").Output()
	require.NoError(t, err)
	require.Contains(t, string(out), "usage: pager -store ID -id ID [flags]")
	require.Contains(t, string(out), "-password-file string")
}

// TestBinaryAgainstBroker runs the real pager binary: the test types on
// its stdin and plays the bridge over a real broker.
func TestBinaryAgainstBroker(t *testing.T) {
	b := testsupport.Mochi(t)
	br := pagertest.NewBridge(t, b.URL(), "s1")
	presence := br.Presence("ana")
	cmds := br.Commands("ana")

	cmd := exec.Command(testsupport.Binary(t, "."), "-broker", b.URL(), "-store", "s1", "-id", "ana", "-zone", "front")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
	})
	lines := make(chan string, 256)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	expect := func(want string) string {
		t.Helper()
		deadline := time.After(pagertest.Wait)
		for {
			select {
			case l, ok := <-lines:
				require.True(t, ok, "pager exited waiting for %q", want)
				if strings.Contains(l, want) {
					return l
				}
			case <-deadline:
				t.Fatalf("pager never said %q", want)
			}
		}
	}
	typ := func(s string) { _, err := fmt.Fprintln(stdin, s); require.NoError(t, err) }

	expect("connected as ana, presence available")
	p := br.NextPresence(presence, protocol.PresenceAvailable)
	assert.Equal(t, "front", p.Zone)

	br.Page("ana", protocol.Page{Alert: "a7", Lane: "2", Zone: "front", Kind: protocol.KindAgeCheck, Tier: 1})
	l := expect("[1] lane 2 (front): age_check")
	assert.Contains(t, l, "\a")
	typ("c 1")
	c := br.NextCommand(cmds)
	br.Answer("ana", protocol.PagerResult{ID: c.ID, OK: true})
	expect("[1] claimed")
	typ("r 1 age_ok")
	c = br.NextCommand(cmds)
	assert.Equal(t, protocol.ActionAgeOK, c.Resolution)
	br.Answer("ana", protocol.PagerResult{ID: c.ID, OK: true})
	expect("[1] resolved: age_ok")

	typ("q")
	select {
	case err := <-exited:
		require.NoError(t, err, "q exits 0")
	case <-time.After(pagertest.Wait):
		t.Fatal("pager did not exit on q")
	}
	br.NextPresence(presence, protocol.PresenceOffline)
}
