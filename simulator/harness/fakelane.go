package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sco-project/sco/devices/devicestest"
	"github.com/sco-project/sco/kiosk/daemon"
	"github.com/sco-project/sco/kiosk/laneconfig"
)

// FakeLane is a lane on the real daemon code whose scanner and scale are
// in-process fakes (devices/devicestest) instead of drivers on ptys. It
// is for stores too large for one process's serial ports: go.bug.st/serial
// waits with select(2), which cannot watch a file descriptor of 1024 or
// more, so a process fits some tens of pty lanes, not hundreds. The serial
// path is left out; everything from the driver's output on is real.
type FakeLane struct {
	*Lane
	FakeScanner *devicestest.Scanner
	FakeScale   *devicestest.Scale
}

// AddFakeLane starts one more lane with fake devices; it is added to
// s.Lanes and stopped by Close. It does not wait for the lane to come
// online (WaitOnline does). Do not call it concurrently with itself or
// Close.
func (s *Store) AddFakeLane(spec LaneSpec) (*FakeLane, error) {
	l := &Lane{ID: spec.ID, Zone: spec.Zone}
	if l.ID == "" {
		l.ID = fmt.Sprint(len(s.Lanes) + 1)
	}
	if l.Zone == "" {
		l.Zone = "front"
	}
	dir := filepath.Join(s.Dir, "lane-"+l.ID)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	login, err := s.Login("lane-" + l.ID)
	if err != nil {
		return nil, err
	}
	mqtt := map[string]string{"broker": s.BrokerURL}
	for k, v := range map[string]string{"username": login.Username, "password": login.Password, "ca_file": login.CAFile} {
		if v != "" {
			mqtt[k] = v
		}
	}
	cfg := map[string]any{
		"store": s.ID, "lane": l.ID, "zone": l.Zone,
		"data_dir": filepath.Join(dir, "data"), "catalog": filepath.Join(s.Dir, "catalog.csv"),
		"mqtt":    mqtt,
		"scanner": map[string]string{"port": "fake-scanner"},
		"scale":   map[string]string{"port": "fake-scale", "protocol": "nci"},
		"ui":      map[string]string{"listen": "127.0.0.1:0"},
	}
	if len(spec.Policy) > 0 {
		// Values are YAML scalars as written ("3", "2s"), not strings.
		pol := map[string]any{}
		for k, v := range spec.Policy {
			var x any
			if err := yaml.Unmarshal([]byte(v), &x); err != nil {
				return nil, fmt.Errorf("harness: lane %s: policy %s: %w", l.ID, k, err)
			}
			pol[k] = x
		}
		cfg["policy"] = pol
	}
	yml, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("harness: lane %s: %w", l.ID, err)
	}
	cfgPath := filepath.Join(dir, "lane.yaml")
	if err := os.WriteFile(cfgPath, yml, 0o640); err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	if l.Config, err = laneconfig.Parse(yml, cfgPath); err != nil {
		return nil, fmt.Errorf("harness: lane %s: %w", l.ID, err)
	}
	fl := &FakeLane{Lane: l, FakeScanner: devicestest.NewScanner(nil), FakeScale: devicestest.NewScale(nil)}
	d, err := daemon.New(l.Config, &daemon.Opts{
		Logger: s.log.With("component", "lane", "lane", l.ID), ShutdownTimeout: time.Second,
		Scanner: fl.FakeScanner, Scale: fl.FakeScale,
	})
	if err != nil {
		return nil, fmt.Errorf("harness: lane %s: %w", l.ID, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.d, l.cancel, l.done = d, cancel, make(chan error, 1)
	l.URL = "http://" + d.Addr() + "/"
	go func() { l.done <- d.Run(ctx) }()
	s.Lanes = append(s.Lanes, l)
	return fl, nil
}

// WaitOnline waits until every lane of the store has published an online
// state, or ctx ends.
func (s *Store) WaitOnline(ctx context.Context) error {
	err := s.Observer.Until(ctx, func() bool {
		for _, l := range s.Lanes {
			if st, ok := s.Observer.LaneState(l.ID); !ok || !st.Online {
				return false
			}
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("harness: lanes did not come online: %w", err)
	}
	return nil
}
