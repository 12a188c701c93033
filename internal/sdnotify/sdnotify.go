package sdnotify

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
)

// Messages of sd_notify(3) that the daemons here send.
const (
	Ready    = "READY=1"
	Stopping = "STOPPING=1"
)

// Notify sends state (one or more newline-separated assignments such as
// Ready) to $NOTIFY_SOCKET. It reports whether it was sent: false, with
// a nil error, when $NOTIFY_SOCKET is not set.
func Notify(state string) (bool, error) {
	return notify(os.Getenv("NOTIFY_SOCKET"), state)
}

// Started is what a daemon calls once it has started (its state loaded,
// its ports open) and is about to run until ctx is done: it sends Ready
// now and Stopping when ctx is done. A failure to tell systemd is logged
// as a warning (systemd then times the start out and says so) and does
// not stop the daemon.
func Started(ctx context.Context, log *slog.Logger) {
	send := func(state string) {
		if _, err := Notify(state); err != nil && log != nil {
			log.Warn("systemd notify failed", "state", state, "err", err)
		}
	}
	send(Ready)
	context.AfterFunc(ctx, func() { send(Stopping) })
}

func notify(socket, state string) (bool, error) {
	if socket == "" {
		return false, nil
	}
	// A name starting with @ is in the abstract namespace.
	if socket[0] == '@' {
		socket = "\x00" + socket[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: socket, Net: "unixgram"})
	if err != nil {
		return false, fmt.Errorf("sdnotify: %w", err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(state)); err != nil {
		return false, fmt.Errorf("sdnotify: %w", err)
	}
	return true, nil
}
