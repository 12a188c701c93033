package mosquittoproc_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/mosquittoproc"
	"github.com/sco-project/sco/internal/testsupport"
)

func needMosquitto(t *testing.T) string {
	t.Helper()
	bin := mosquittoproc.Find("mosquitto")
	if bin == "" {
		if testsupport.RequireMosquitto() {
			t.Fatal("mosquitto not found and SCO_REQUIRE_MOSQUITTO=1")
		}
		t.Skip("mosquitto not installed")
	}
	return bin
}

func anonymous(port int) (string, error) {
	return fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n", port), nil
}

// gone reports whether no process has pid.
func gone(pid int) bool { return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }

func TestFind(t *testing.T) {
	require.NotEmpty(t, mosquittoproc.Find("sh"), "on PATH")
	require.Empty(t, mosquittoproc.Find("no-such-program-here"))
}

// A broker started accepts connections at Addr; Stop ends it by its pid
// (SIGTERM is enough for Mosquitto, so no error), and again is a no-op.
func TestStartStop(t *testing.T) {
	bin := needMosquitto(t)
	var out testsupport.SyncBuffer
	b, err := mosquittoproc.Start(context.Background(), mosquittoproc.Opts{Bin: bin, Dir: t.TempDir(), Conf: anonymous, Out: &out})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Stop() })
	require.Equal(t, "tcp://"+b.Addr, b.URL())
	c, err := net.Dial("tcp", b.Addr)
	require.NoError(t, err)
	c.Close()
	require.NoError(t, b.Stop())
	<-b.Done()
	require.True(t, gone(b.Pid), "pid %d still runs", b.Pid)
	require.NoError(t, b.Stop(), "twice")
	require.NoError(t, b.Err(), "mosquitto exits 0 on SIGTERM")
	require.Contains(t, out.String(), "mosquitto version", "its log went to Out")
}

// A broker that dies by itself says how (Err, once Done is closed), and
// Stop reports it.
func TestErrAfterItDied(t *testing.T) {
	bin := needMosquitto(t)
	b, err := mosquittoproc.Start(context.Background(), mosquittoproc.Opts{Bin: bin, Dir: t.TempDir(), Conf: anonymous})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Stop() })
	require.NoError(t, b.Err(), "while it runs")
	require.NoError(t, syscall.Kill(b.Pid, syscall.SIGKILL))
	<-b.Done()
	require.ErrorContains(t, b.Err(), "killed")
	require.ErrorContains(t, b.Stop(), "had exited")
}

// A config Mosquitto refuses fails Start with what Mosquitto said; so do
// a missing binary and missing options.
func TestStartFailsWithItsOutput(t *testing.T) {
	bin := needMosquitto(t)
	bad := func(port int) (string, error) {
		c, _ := anonymous(port)
		return c + "no_such_option true\n", nil
	}
	_, err := mosquittoproc.Start(context.Background(), mosquittoproc.Opts{Bin: bin, Dir: t.TempDir(), Conf: bad})
	require.ErrorContains(t, err, "mosquitto did not start")
	require.ErrorContains(t, err, "no_such_option")

	_, err = mosquittoproc.Start(context.Background(), mosquittoproc.Opts{Bin: "/nonexistent/mosquitto", Dir: t.TempDir(), Conf: anonymous})
	require.ErrorContains(t, err, "start /nonexistent/mosquitto")
	_, err = mosquittoproc.Start(context.Background(), mosquittoproc.Opts{Bin: bin})
	require.ErrorContains(t, err, "Opts.Dir and Opts.Conf are required")
}
