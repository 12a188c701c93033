package sdnotify

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// listen stands for systemd: a datagram socket that receives what
// notify sends.
func listen(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func receive(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	buf := make([]byte, 256)
	n, err := c.Read(buf)
	require.NoError(t, err)
	return string(buf[:n])
}

func TestNotifyAbstract(t *testing.T) {
	name := "sco-sdnotify-test-" + filepath.Base(t.TempDir())
	c := listen(t, "\x00"+name)
	require.NoError(t, notify("@"+name, Stopping))
	require.Equal(t, "STOPPING=1", receive(t, c))
}

func TestNotifyWithoutSystemd(t *testing.T) {
	require.NoError(t, notify("", Ready), "nothing to tell without NOTIFY_SOCKET")
}

func TestNotifyNoListener(t *testing.T) {
	require.ErrorContains(t, notify(filepath.Join(t.TempDir(), "gone"), Ready), "sdnotify: ")
}

func TestStarted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	c := listen(t, path)
	t.Setenv("NOTIFY_SOCKET", path)
	ctx, cancel := context.WithCancel(context.Background())
	Started(ctx, nil)
	require.Equal(t, "READY=1", receive(t, c))
	cancel()
	require.Equal(t, "STOPPING=1", receive(t, c), "told when ctx is done")
}

// A socket nobody listens on is a warning in the daemon's log, not an
// error that stops it.
func TestStartedWarnsWhenSystemdIsGone(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "gone"))
	var log bytes.Buffer
	Started(context.Background(), slog.New(slog.NewTextHandler(&log, nil)))
	require.Contains(t, log.String(), `msg="systemd notify failed" state="READY=1" err="sdnotify: `)
}
