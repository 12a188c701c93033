package deploy_test

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/testsupport"
)

var units = []string{"kioskd.service", "attendant-bridge.service"}

// unitKeys reads a unit file into its assignments, key -> values in
// order (a key may be given more than once).
func unitKeys(t *testing.T, path string) map[string][]string {
	t.Helper()
	keys := map[string][]string{}
	sc := bufio.NewScanner(strings.NewReader(read(t, path)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		require.True(t, ok, "%s: %q is not key=value", path, line)
		keys[k] = append(keys[k], v)
	}
	return keys
}

// TestUnitsVerify runs systemd-analyze verify on the shipped units, with
// their /usr/bin programs moved to a temporary root (verify checks that
// they exist), and wants no word from it; and systemd-analyze security
// (offline) rates each unit's exposure as OK or better.
func TestUnitsVerify(t *testing.T) {
	sa := tool(t, "systemd-analyze", "systemd")
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "usr/bin"), 0o755))
	for _, b := range []string{"kioskd", "attendant-bridge"} {
		require.NoError(t, os.WriteFile(filepath.Join(root, "usr/bin", b), []byte("#!/bin/sh\n"), 0o755))
	}
	exposure := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`)
	for _, u := range units {
		t.Run(u, func(t *testing.T) {
			text := strings.ReplaceAll(read(t, filepath.Join("systemd", u)), "/usr/bin/", root+"/usr/bin/")
			path := filepath.Join(root, u)
			require.NoError(t, os.WriteFile(path, []byte(text), 0o644))

			out, err := exec.Command(sa, "verify", path).CombinedOutput()
			require.NoError(t, err, "systemd-analyze verify %s:\n%s", u, out)
			assert.Empty(t, strings.TrimSpace(string(out)), "systemd-analyze verify has something to say")

			out, err = exec.Command(sa, "security", "--offline=true", path).CombinedOutput()
			require.NoError(t, err, "systemd-analyze security %s:\n%s", u, out)
			m := exposure.FindStringSubmatch(string(out))
			require.NotNil(t, m, "no exposure level in:\n%s", out)
			level, err := strconv.ParseFloat(m[1], 64)
			require.NoError(t, err)
			assert.LessOrEqual(t, level, 2.0, "exposure of %s (systemd-analyze security):\n%s", u, out)
		})
	}
}

// TestUnitsHardening checks the directives docs/deploy.md promises.
func TestUnitsHardening(t *testing.T) {
	want := map[string]string{
		"Type":                    "notify",
		"User":                    "sco",
		"NoNewPrivileges":         "yes",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"ReadWritePaths":          "/var/lib/sco",
		"DevicePolicy":            "closed",
		"Restart":                 "on-failure",
		"StartLimitIntervalSec":   "5min",
		"StartLimitBurst":         "10",
		"CapabilityBoundingSet":   "",
		"SystemCallArchitectures": "native",
	}
	configs := map[string]string{"kioskd.service": "/usr/bin/kioskd -check-config /etc/sco/lane.yaml",
		"attendant-bridge.service": "/usr/bin/attendant-bridge -check-config /etc/sco/bridge.yaml"}
	for _, u := range units {
		k := unitKeys(t, filepath.Join("systemd", u))
		for key, v := range want {
			assert.Equal(t, []string{v}, k[key], "%s: %s", u, key)
		}
		assert.Equal(t, []string{configs[u]}, k["ExecStartPre"], "%s checks its config before it starts", u)
		assert.Equal(t, []string{strings.Replace(configs[u], "-check-config", "-config", 1) + " -log-format json"}, k["ExecStart"], u)
	}
	k := unitKeys(t, "systemd/kioskd.service")
	assert.Equal(t, []string{"dialout"}, k["SupplementaryGroups"])
	for _, dev := range []string{"char-ttyUSB rw", "char-ttyACM rw", "/dev/sco-scanner rw", "/dev/sco-scale rw", "char-gpiochip rw"} {
		assert.Contains(t, k["DeviceAllow"], dev, "kioskd may use %s", dev)
	}
	assert.Empty(t, unitKeys(t, "systemd/attendant-bridge.service")["DeviceAllow"], "the bridge uses no device")
}

// TestDaemonsNotifyReady runs kioskd and attendant-bridge as systemd
// runs a Type=notify unit: each says READY=1 on $NOTIFY_SOCKET once it
// has started, and STOPPING=1 on SIGTERM, then exits 0. The configs are
// the shipped examples with a temporary data dir, free ports, no GPIO
// (this machine has none) and a broker that is not there (the daemons
// start all the same, and keep trying).
func TestDaemonsNotifyReady(t *testing.T) {
	dir := t.TempDir()
	lane := read(t, "lane/lane.yaml")
	lane = regexp.MustCompile(`(?ms)^gpio:.*?\n\n`).ReplaceAllString(lane, "")
	require.NotContains(t, lane, "gpio:")
	lane = replaceOnce(t, lane, "data_dir: /var/lib/sco/lane", "data_dir: "+filepath.Join(dir, "lane"))
	lane = replaceOnce(t, lane, "listen: 127.0.0.1:8090", "listen: 127.0.0.1:0")
	lane = replaceOnce(t, lane, "broker: tcp://127.0.0.1:1883", "broker: tcp://127.0.0.1:"+closedPort(t))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "lane.yaml"), []byte(lane), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "catalog.csv"), []byte(read(t, "lane/catalog.csv")), 0o644))

	bridge := read(t, "store/bridge.yaml")
	bridge = replaceOnce(t, bridge, "data_dir: /var/lib/sco/bridge", "data_dir: "+filepath.Join(dir, "bridge"))
	bridge = replaceOnce(t, bridge, "metrics_listen: 127.0.0.1:9101", "metrics_listen: 127.0.0.1:0")
	bridge = replaceOnce(t, bridge, "broker: tcp://127.0.0.1:1883", "broker: tcp://127.0.0.1:"+closedPort(t))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bridge.yaml"), []byte(bridge), 0o644))

	for _, d := range []struct{ pkg, config string }{
		{"github.com/sco-project/sco/cmd/kioskd", "lane.yaml"},
		{"github.com/sco-project/sco/cmd/attendant-bridge", "bridge.yaml"},
	} {
		t.Run(filepath.Base(d.pkg), func(t *testing.T) {
			bin := testsupport.Binary(t, d.pkg)
			sock := filepath.Join(t.TempDir(), "notify")
			systemd, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
			require.NoError(t, err)
			defer systemd.Close()

			cmd := exec.Command(bin, "-config", filepath.Join(dir, d.config))
			cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock)
			var log testsupport.SyncBuffer
			cmd.Stdout, cmd.Stderr = &log, &log
			require.NoError(t, cmd.Start())
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			defer func() {
				if cmd.ProcessState == nil {
					_ = cmd.Process.Kill()
					<-exited
				}
			}()

			require.Equal(t, "READY=1", notification(t, systemd, exited, &log))
			require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
			require.Equal(t, "STOPPING=1", notification(t, systemd, exited, &log))
			select {
			case err := <-exited:
				require.NoError(t, err, "log:\n%s", log.String())
			case <-time.After(20 * time.Second):
				t.Fatalf("no exit 20 s after SIGTERM; log:\n%s", log.String())
			}
		})
	}
}

// notification waits for the next datagram on the notify socket.
func notification(t *testing.T, c *net.UnixConn, exited <-chan error, log *testsupport.SyncBuffer) string {
	t.Helper()
	got := make(chan string, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() {
		buf := make([]byte, 256)
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		n, err := c.Read(buf)
		if err == nil {
			got <- string(buf[:n])
		}
	}()
	select {
	case s := <-got:
		return s
	case err := <-exited:
		t.Fatalf("exited (%v) before notifying; log:\n%s", err, log.String())
	case <-ctx.Done():
		t.Fatalf("no notification within 30 s; log:\n%s", log.String())
	}
	return ""
}

func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	require.Equal(t, 1, strings.Count(s, old), "%q once in the example", old)
	return strings.Replace(s, old, new, 1)
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	return strconv.Itoa(testsupport.FreePort(t))
}
