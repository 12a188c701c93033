package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/pagerclient/pagertest"
	"github.com/sco-project/sco/protocol"
)

func TestBadArguments(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-store", "s1"},
		{"-store", "s1", "-id", "Ana"},
		{"-store", "s1", "-id", "ana", "-broker", "http://x"},
		{"-store", "s1", "-id", "ana", "-ca", "/nonexistent/ca.pem"},
		{"-store", "s1", "-id", "ana", "extra"},
	} {
		err := mainImpl(args, strings.NewReader(""), io.Discard, io.Discard)
		assert.Error(t, err, "%v", args)
	}
	err := mainImpl([]string{"-store", "s1", "-id", "ana", "-ca", "/nonexistent/ca.pem"}, strings.NewReader(""), io.Discard, io.Discard)
	assert.ErrorContains(t, err, "ca_file")
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
