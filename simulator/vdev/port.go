package vdev

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/creack/pty"

	"github.com/sco-project/sco/internal/rawtty"
)

// ErrUnplugged is returned when a device is asked to send while it is
// unplugged.
var ErrUnplugged = errors.New("vdev: device is unplugged")

// ErrClosed is returned by a device after Close.
var ErrClosed = errors.New("vdev: device is closed")

// port is the pty side every virtual device shares: the master it plays
// the device on, the slave it keeps open so the line does not hang up
// between driver opens, and the stable symlink the driver opens.
type port struct {
	kind   string // "scanner" or "scale", for errors and String
	link   string // the stable path
	tmpDir string // removed on close when the port created it
	onData func([]byte)

	mu      sync.Mutex
	master  *os.File
	slave   *os.File
	pts     string
	readers sync.WaitGroup
	closed  bool
}

// newPort creates the directory (a fresh temporary one when dir is "").
// The port starts unplugged: the device assigns it, then calls plugIn.
func newPort(kind, dir, name string, onData func([]byte)) (*port, error) {
	p := &port{kind: kind, onData: onData}
	if name == "" {
		name = kind
	}
	if filepath.Base(name) != name {
		return nil, fmt.Errorf("vdev: %s name %q must be a plain file name", kind, name)
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "sco-vdev-")
		if err != nil {
			return nil, fmt.Errorf("vdev: %s: %w", kind, err)
		}
		dir, p.tmpDir = d, d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("vdev: %s: %w", kind, err)
	}
	p.link = filepath.Join(dir, name)
	return p, nil
}

// plugIn plugs a new device in for the first time; on failure the port
// is closed.
func (p *port) plugIn() error {
	if err := p.Replug(); err != nil {
		p.Close()
		return err
	}
	return nil
}

// Path is the stable path of the device (a symlink to the current pty
// slave); open it as you would open /dev/ttyUSB0.
func (p *port) Path() string { return p.link }

// TTY is the /dev/pts/N the device is plugged into now, or "" while it is
// unplugged.
func (p *port) TTY() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pts
}

// Plugged reports whether the device is plugged in.
func (p *port) Plugged() bool { return p.TTY() != "" }

// Replug plugs the device in: a fresh pty, in raw mode, with Path pointing
// at it. Replugging a plugged device is a no-op.
func (p *port) Replug() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	if p.master != nil {
		return nil
	}
	master, slave, err := pty.Open()
	if err != nil {
		return fmt.Errorf("vdev: %s: open pty: %w", p.kind, err)
	}
	if master, err = rawtty.Pollable(master); err != nil {
		slave.Close()
		return fmt.Errorf("vdev: %s: pty master: %w", p.kind, err)
	}
	if err := rawtty.MakeRaw(slave); err != nil {
		master.Close()
		slave.Close()
		return fmt.Errorf("vdev: %s: raw pty: %w", p.kind, err)
	}
	// Swap the link atomically so a driver never sees a missing path
	// while the device is plugged.
	tmp := p.link + ".new"
	_ = os.Remove(tmp)
	if err := os.Symlink(slave.Name(), tmp); err != nil {
		master.Close()
		slave.Close()
		return fmt.Errorf("vdev: %s: %w", p.kind, err)
	}
	if err := os.Rename(tmp, p.link); err != nil {
		_ = os.Remove(tmp)
		master.Close()
		slave.Close()
		return fmt.Errorf("vdev: %s: %w", p.kind, err)
	}
	p.master, p.slave, p.pts = master, slave, slave.Name()
	p.readers.Add(1)
	go p.read(master)
	return nil
}

// Unplug pulls the device out: the driver reading the port sees a hang-up
// (EIO), and Path disappears until Replug. Unplugging an unplugged device
// is a no-op.
func (p *port) Unplug() error {
	p.mu.Lock()
	master, slave := p.master, p.slave
	p.master, p.slave, p.pts = nil, nil, ""
	if master != nil {
		_ = os.Remove(p.link)
	}
	p.mu.Unlock()
	if master == nil {
		return nil
	}
	err := master.Close()
	p.readers.Wait()
	if serr := slave.Close(); err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("vdev: %s: unplug: %w", p.kind, err)
	}
	return nil
}

// read delivers what the host writes until the master is closed.
func (p *port) read(master *os.File) {
	defer p.readers.Done()
	buf := make([]byte, 256)
	for {
		n, err := master.Read(buf)
		if n > 0 {
			p.onData(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// write sends b to the host in one write.
func (p *port) write(b []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	if p.master == nil {
		return ErrUnplugged
	}
	if _, err := p.master.Write(b); err != nil {
		return fmt.Errorf("vdev: %s: write: %w", p.kind, err)
	}
	return nil
}

// Garbage sends bytes no device protocol produces (line noise, a wrong
// baud rate, a device in the wrong mode); nil sends a default burst of
// junk with framing bytes inside it, the worst case for a frame decoder,
// ending in CR LF so that a decoder can resynchronise.
func (p *port) Garbage(b []byte) error {
	if b == nil {
		b = defaultGarbage
	}
	return p.write(b)
}

var defaultGarbage = []byte("\xff\x00\x7f#@!\x1b[0m\x02\x03\xfe\xaa\r\n")

// Close unplugs the device for good and removes the link (and the
// directory, when the device created it). Safe to call twice.
func (p *port) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true // Replug refuses from now on
	p.mu.Unlock()
	err := p.Unplug()
	if p.tmpDir != "" {
		if rerr := os.RemoveAll(p.tmpDir); err == nil && rerr != nil {
			err = fmt.Errorf("vdev: %s: %w", p.kind, rerr)
		}
	}
	return err
}

func (p *port) String() string { return p.kind + "@" + p.link }
