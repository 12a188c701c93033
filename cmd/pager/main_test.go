package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // where the device name goes
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{}, cli.ExitUsage, "pager: -id is required\nusage: pager -id ID [-store ID] [flags]\n"},
		{[]string{"-store", "s1"}, cli.ExitUsage, "pager: -id is required\n"},
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
	require.Contains(t, string(out), "usage: pager -id ID [-store ID] [flags]")
	require.Contains(t, string(out), "-password-file string")
}

// proc is the real pager binary, with the test at its keyboard.
type proc struct {
	*pagertest.Screen
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	exited chan error
}

// startPager runs the pager binary with args; its config dir (where it
// keeps the device name) is config.
func startPager(t *testing.T, config string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(testsupport.Binary(t, "."), args...)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+config, "HOME="+config)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	p := &proc{Screen: pagertest.ReadScreen(t, stdout), t: t, cmd: cmd, stdin: stdin, exited: make(chan error, 1)}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return p
}

func (p *proc) typ(s string) { _, err := fmt.Fprintln(p.stdin, s); require.NoError(p.t, err) }

func (p *proc) quit() {
	p.t.Helper()
	p.typ("q")
	select {
	case err := <-p.exited:
		require.NoError(p.t, err, "q exits 0")
	case <-time.After(pagertest.Wait):
		p.t.Fatal("pager did not exit on q")
	}
}

// TestBinaryAgainstBroker runs the real pager binary: the test types on
// its stdin and plays the bridge over a real broker.
func TestBinaryAgainstBroker(t *testing.T) {
	b := testsupport.Mochi(t)
	br := pagertest.NewBridge(t, b.URL(), "s1")
	presence := br.Presence("ana")
	cmds := br.Commands("ana")
	br.Profile(protocol.Profile{ID: "ana", Name: "Ana", Zone: "front", Roles: []string{"attendant", "age_verifier"}, Store: "s1",
		Resolutions: map[protocol.Kind][]protocol.Action{protocol.KindAgeCheck: {protocol.ActionAgeOK, protocol.ActionAgeRefused, protocol.ActionOutOfService}}})
	config := t.TempDir()

	p := startPager(t, config, "-broker", b.URL(), "-store", "s1", "-id", "ana", "-zone", "front")
	l := p.Expect("connecting to " + b.URL() + " as ana (device ")
	p.ExpectAll("on the roster of store s1 as Ana (ana), zone front, roles attendant, age_verifier", "connected as ana, presence available")
	first := br.NextPresence(presence, protocol.PresenceAvailable)
	assert.Equal(t, "front", first.Zone)
	name, err := os.ReadFile(filepath.Join(config, "sco", "pager-device"))
	require.NoError(t, err, "the device name is kept in the user's config dir")
	assert.Equal(t, strings.TrimSpace(string(name)), first.Device)
	assert.Contains(t, l, "(device "+first.Device+")")

	br.Page("ana", protocol.Page{Alert: "a7", Lane: "2", Zone: "front", Kind: protocol.KindAgeCheck, Tier: 1,
		Resolutions: []protocol.Action{protocol.ActionAgeOK, protocol.ActionAgeRefused, protocol.ActionOutOfService}})
	l = p.Expect("[1] lane 2 (front): age_check")
	assert.Contains(t, l, "\a")
	p.typ("c 1")
	c := br.NextCommand(cmds)
	br.Answer("ana", protocol.PagerResult{ID: c.ID, OK: true})
	p.Expect("[1] claimed: lane 2 is yours; resolve with r 1 <age_ok|age_refused|out_of_service>")
	p.typ("r 1 age_ok")
	c = br.NextCommand(cmds)
	assert.Equal(t, protocol.ActionAgeOK, c.Resolution)
	br.Answer("ana", protocol.PagerResult{ID: c.ID, OK: true})
	p.Expect("[1] resolved: age_ok")
	p.quit()
	off := br.NextPresence(presence, protocol.PresenceOffline)
	assert.Equal(t, first.Device, off.Device)

	// Started again on the same install: the same device, a higher seq.
	p = startPager(t, config, "-broker", b.URL(), "-store", "s1", "-id", "ana")
	p.Expect("connected as ana")
	again := br.NextPresence(presence, protocol.PresenceAvailable)
	assert.Equal(t, first.Device, again.Device)
	assert.Greater(t, again.Seq, off.Seq)
	p.quit()
	br.NextPresence(presence, protocol.PresenceOffline)

	// -device names it; without -store, the store is the one whose
	// bridge has a profile of ana.
	p = startPager(t, config, "-broker", b.URL(), "-id", "ana", "-device", "tc52")
	p.Expect("looking for the store of ana on " + b.URL())
	p.Expect("as ana (device tc52) in store s1")
	assert.Equal(t, "tc52", br.NextPresence(presence, protocol.PresenceAvailable).Device)
	p.quit()
}
