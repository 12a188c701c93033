package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// The report runs beside a running bridge, which holds bridge.db with an
// exclusive lock (bbolt's flock): a second process cannot open it, not
// even read-only, and must not (bbolt is one process's: a reader in
// another process could read pages the bridge is reusing). So a running
// bridge answers for its history on a Unix socket in data_dir
// (SocketName), from a read transaction of its own, and ReadHistory asks
// there first; when no bridge answers it opens bridge.db read-only
// itself. The socket is a file in data_dir, readable and writable by the
// bridge's user only (0600): who may read bridge.db may ask, nobody
// else, and nothing is exposed on the network.

// SocketName is the bridge's history socket in data_dir.
const SocketName = "bridge.sock"

// serveHistory answers GET /history?since=RFC3339 on data_dir's socket,
// until the returned stop is called. A socket that cannot be made (a
// data_dir path too long for a socket address) is logged: the report
// then cannot run beside this bridge.
func (b *Bridge) serveHistory() (stop func()) {
	path := filepath.Join(b.cfg.DataDir, SocketName)
	// The bridge holds bridge.db's lock, so no other bridge serves this
	// data_dir: a socket file left there is a dead one's.
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		b.log.Warn("history socket: old socket not removed", "path", path, "err", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		b.log.Warn("history socket not served: attendant-bridge report cannot run beside this bridge", "path", path, "err", err)
		return func() {}
	}
	if err := os.Chmod(path, 0o600); err != nil {
		b.log.Warn("history socket: chmod", "path", path, "err", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /history", func(w http.ResponseWriter, r *http.Request) {
		var since time.Time
		if s := r.URL.Query().Get("since"); s != "" {
			if since, err = time.Parse(time.RFC3339Nano, s); err != nil {
				http.Error(w, "since: "+err.Error(), http.StatusBadRequest)
				return
			}
		}
		h, err := b.store.History(since)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(h); err != nil {
			b.log.Warn("history socket: answer not sent", "err", err)
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			b.log.Warn("history socket stopped", "err", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			b.log.Warn("history socket: shutdown", "err", err)
		}
		<-done
		os.Remove(path) // Serve's listener removes it on close; a leftover is harmless
	}
}

// ReadHistory reads the history from since on (all of it for a zero
// since) of the bridge whose data_dir is dir, without changing anything:
// from the running bridge over its socket, or, when none answers there,
// from bridge.db opened read-only (waiting at most lockTimeout for a
// bridge that is starting or stopping to let go of it).
func ReadHistory(ctx context.Context, dir string, since time.Time, lockTimeout time.Duration) (History, error) {
	sock := filepath.Join(dir, SocketName)
	h, err := askBridge(ctx, sock, since)
	if err == nil {
		return h, nil
	}
	var dialErr *net.OpError
	if !errors.As(err, &dialErr) || dialErr.Op != "dial" {
		return History{}, fmt.Errorf("bridge: history from the running bridge (%s): %w", sock, err)
	}
	path := filepath.Join(dir, "bridge.db")
	if _, err := os.Stat(path); err != nil {
		return History{}, fmt.Errorf("bridge: no history: %w (has a bridge run with data_dir %s?)", err, dir)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockTimeout})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return History{}, fmt.Errorf("bridge: %s is held by a bridge that does not answer on %s (is it starting, or an older version?)", path, sock)
		}
		return History{}, fmt.Errorf("bridge: open %s read-only: %w", path, err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		var err error
		h, err = readHistory(tx, since)
		return err
	})
	if err != nil {
		return History{}, fmt.Errorf("bridge: read the history of %s: %w", path, err)
	}
	return h, nil
}

// askBridge gets the history from the bridge listening on sock.
func askBridge(ctx context.Context, sock string, since time.Time) (History, error) {
	c := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
	defer c.CloseIdleConnections()
	q := url.Values{}
	if !since.IsZero() {
		q.Set("since", since.UTC().Format(time.RFC3339Nano))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://bridge/history?"+q.Encode(), nil)
	if err != nil {
		return History{}, err
	}
	resp, err := c.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) {
			return History{}, op
		}
		return History{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var b [512]byte
		n, _ := resp.Body.Read(b[:])
		return History{}, fmt.Errorf("%s: %s", resp.Status, b[:n])
	}
	var h History
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		return History{}, fmt.Errorf("decode: %w", err)
	}
	return h, nil
}
