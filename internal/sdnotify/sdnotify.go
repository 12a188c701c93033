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

// Started is what a daemon calls once it has started (its state loaded,
// its ports open) and is about to run until ctx is done: it sends Ready
// to $NOTIFY_SOCKET now and Stopping when ctx is done; without
// $NOTIFY_SOCKET it sends nothing. A failure to tell systemd is logged
// as a warning (systemd then times the start out and says so) and does
// not stop the daemon.
func Started(ctx context.Context, log *slog.Logger) {
	socket := os.Getenv("NOTIFY_SOCKET")
	send := func(state string) {
		if err := notify(socket, state); err != nil && log != nil {
			log.Warn("systemd notify failed", "state", state, "err", err)
		}
	}
	send(Ready)
	context.AfterFunc(ctx, func() { send(Stopping) })
}

// notify sends state (one or more newline-separated assignments such as
// Ready) to the datagram socket; "" sends nothing.
func notify(socket, state string) error {
	if socket == "" {
		return nil
	}
	// A name starting with @ is in the abstract namespace.
	if socket[0] == '@' {
		socket = "\x00" + socket[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: socket, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("sdnotify: %w", err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(state)); err != nil {
		return fmt.Errorf("sdnotify: %w", err)
	}
	return nil
}
