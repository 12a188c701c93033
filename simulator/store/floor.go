package store

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/protocol"
)

// Floor is a store floor for the simulation. Zero fields take the
// defaults noted; Validate applies them.
type Floor struct {
	// Zones are the walks between zones, both ways (as the bridge's
	// zones:); a pair not listed takes the longest walk listed.
	Zones map[string]map[string]time.Duration `yaml:"zones"`
	// Lanes is how many lanes each zone has; lanes are numbered 1, 2, ...
	// in zone name order.
	Lanes map[string]int `yaml:"lanes"`
	// Attendants is the roster, in the order a sweep takes them: a run
	// with n attendants staffs the first n.
	Attendants []attendant.Attendant `yaml:"attendants"`
	// ShoppersPerLaneHour is how many checkouts each lane has an hour.
	ShoppersPerLaneHour float64 `yaml:"shoppers_per_lane_hour"`
	// Trouble is the chance per checkout of each kind of alert.
	Trouble map[protocol.Kind]float64 `yaml:"trouble"`
	// Notice is how long an attendant takes to notice a page and claim it
	// (default 5s).
	Notice time.Duration `yaml:"notice"`
	// Resolve is how long each kind takes once the attendant is there
	// (default 20s for a kind not listed).
	Resolve map[protocol.Kind]time.Duration `yaml:"resolve"`
	// Remote lists the kinds resolved from the handheld without walking.
	Remote []protocol.Kind `yaml:"remote"`
	// Hours is the length of the shift simulated (default 8).
	Hours float64 `yaml:"hours"`
	// Escalation is the bridge's ladder (the bridge's defaults when zero).
	Escalation attendant.Escalation `yaml:"escalation"`
}

// LoadFloor reads a floor file.
func LoadFloor(path string) (*Floor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return ParseFloor(path, b)
}

// ParseFloor parses and validates a floor; name says where it came from
// in errors.
func ParseFloor(name string, b []byte) (*Floor, error) {
	var f Floor
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("store: %s: %w", name, err)
	}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", name, err)
	}
	return &f, nil
}

// Validate checks the floor and applies the defaults.
func (f *Floor) Validate() error {
	if len(f.Lanes) == 0 {
		return errors.New("lanes: at least one zone with lanes is required")
	}
	if len(f.Attendants) == 0 {
		return errors.New("attendants: at least one is required")
	}
	if f.ShoppersPerLaneHour <= 0 {
		return errors.New("shoppers_per_lane_hour: must be above 0")
	}
	for k, p := range f.Trouble {
		if !k.Valid() {
			return fmt.Errorf("trouble: unknown kind %q", k)
		}
		if p < 0 || p > 1 {
			return fmt.Errorf("trouble: %s: %v is not a chance between 0 and 1", k, p)
		}
	}
	if f.Notice == 0 {
		f.Notice = 5 * time.Second
	}
	if f.Hours == 0 {
		f.Hours = 8
	}
	_, err := f.config(len(f.Attendants))
	return err
}

// config is the bridge's config for the first n attendants.
func (f *Floor) config(n int) (*attendant.Config, error) {
	c := &attendant.Config{Store: "sim", Attendants: slices.Clone(f.Attendants[:n]), Zones: f.Zones, Escalation: f.Escalation}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// lanes lists the lanes as (id, zone), numbered in zone name order.
func (f *Floor) lanes() [][2]string {
	zones := make([]string, 0, len(f.Lanes))
	for z := range f.Lanes {
		zones = append(zones, z)
	}
	sort.Strings(zones)
	var out [][2]string
	for _, z := range zones {
		for range f.Lanes[z] {
			out = append(out, [2]string{fmt.Sprint(len(out) + 1), z})
		}
	}
	return out
}

func (f *Floor) resolve(k protocol.Kind) time.Duration {
	if d, ok := f.Resolve[k]; ok {
		return d
	}
	return 20 * time.Second
}
