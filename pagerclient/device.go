package pagerclient

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sco-project/sco/protocol"
)

// DeviceFile is the file under a config directory that keeps a pager's
// device name.
const DeviceFile = "pager-device"

// DeviceName is this install's device name, kept in dir/DeviceFile: read
// when the file exists, else made once from the host name and a random
// suffix ("till-pc-3fa2c1") and written there, so the name is the same
// on every start of the pager on this machine. The bridge counts each
// device's presence on its own (Opts.Device).
func DeviceName(dir string) (string, error) {
	path := filepath.Join(dir, DeviceFile)
	b, err := os.ReadFile(path)
	if err == nil {
		name := strings.TrimSpace(string(b))
		if !protocol.ValidMsgID(name) {
			return "", fmt.Errorf("pagerclient: %s: device name %q must be 1 to %d bytes of [A-Za-z0-9._:-]", path, name, protocol.MaxMsgID)
		}
		return name, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("pagerclient: device name: %w", err)
	}
	name, err := newDeviceName()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("pagerclient: device name: %w", err)
	}
	if err := os.WriteFile(path, []byte(name+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("pagerclient: device name: %w", err)
	}
	return name, nil
}

func newDeviceName() (string, error) {
	var r [3]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", fmt.Errorf("pagerclient: device name: %w", err)
	}
	host, _ := os.Hostname()
	host = strings.Map(func(c rune) rune {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-':
			return c
		case 'A' <= c && c <= 'Z':
			return c + 'a' - 'A'
		}
		return -1
	}, host)
	if len(host) > 32 {
		host = host[:32]
	}
	if host == "" {
		host = "pager"
	}
	return host + "-" + hex.EncodeToString(r[:]), nil
}
