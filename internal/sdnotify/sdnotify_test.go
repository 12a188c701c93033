package sdnotify

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// listen stands for systemd: a datagram socket that receives what
// Notify sends.
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

func TestNotify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	c := listen(t, path)
	t.Setenv("NOTIFY_SOCKET", path)
	sent, err := Notify(Ready)
	require.NoError(t, err)
	require.True(t, sent)
	require.Equal(t, "READY=1", receive(t, c))
}

func TestNotifyAbstract(t *testing.T) {
	name := "sco-sdnotify-test-" + filepath.Base(t.TempDir())
	c := listen(t, "\x00"+name)
	sent, err := notify("@"+name, Stopping)
	require.NoError(t, err)
	require.True(t, sent)
	require.Equal(t, "STOPPING=1", receive(t, c))
}

func TestNotifyWithoutSystemd(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	sent, err := Notify(Ready)
	require.NoError(t, err)
	require.False(t, sent, "nothing to tell without NOTIFY_SOCKET")
}

func TestNotifyNoListener(t *testing.T) {
	sent, err := notify(filepath.Join(t.TempDir(), "gone"), Ready)
	require.ErrorContains(t, err, "sdnotify: ")
	require.False(t, sent)
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
