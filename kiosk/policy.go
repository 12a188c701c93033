package kiosk

import (
	"fmt"
	"time"
)

// WithDefaults returns p with every zero field taken from DefaultPolicy.
// Negative values are kept so that Validate can name them.
func (p Policy) WithDefaults() Policy {
	d := DefaultPolicy
	defInt(&p.UnknownItemAttempts, d.UnknownItemAttempts)
	defDur(&p.BagTimeout, d.BagTimeout)
	defInt(&p.BagPrompts, d.BagPrompts)
	defInt(&p.MismatchAttempts, d.MismatchAttempts)
	defInt(&p.DefaultToleranceG, d.DefaultToleranceG)
	defDur(&p.UnexpectedGrace, d.UnexpectedGrace)
	defDur(&p.RemovedGrace, d.RemovedGrace)
	defDur(&p.DeviceGrace, d.DeviceGrace)
	defInt(&p.SettleReadings, d.SettleReadings)
	defInt(&p.SettleToleranceG, d.SettleToleranceG)
	defInt(&p.OwnBagMaxG, d.OwnBagMaxG)
	defInt(&p.SkipBagLimit, d.SkipBagLimit)
	defInt(&p.LearnMinSamples, d.LearnMinSamples)
	defInt(&p.LearnApproveWeight, d.LearnApproveWeight)
	defDur(&p.HelpDebounce, d.HelpDebounce)
	return p
}

func defInt(v *int, d int) {
	if *v == 0 {
		*v = d
	}
}

func defDur(v *time.Duration, d time.Duration) {
	if *v == 0 {
		*v = d
	}
}

// Validate checks a policy after WithDefaults. Errors name the config key,
// for example "policy.bag_timeout: must be > 0".
func (p Policy) Validate() error {
	counts := []struct {
		key string
		v   int
		min int
	}{
		{"unknown_item_attempts", p.UnknownItemAttempts, 1},
		{"bag_prompts", p.BagPrompts, 1},
		{"mismatch_attempts", p.MismatchAttempts, 1},
		{"default_tolerance_g", p.DefaultToleranceG, 0},
		{"settle_readings", p.SettleReadings, 1},
		{"settle_tolerance_g", p.SettleToleranceG, 0},
		{"own_bag_max_g", p.OwnBagMaxG, 1},
		{"skip_bag_limit", p.SkipBagLimit, 1},
		{"learn_min_samples", p.LearnMinSamples, 1},
		{"learn_approve_weight", p.LearnApproveWeight, 1},
	}
	for _, c := range counts {
		if c.v < c.min {
			return fmt.Errorf("policy.%s: must be >= %d, got %d", c.key, c.min, c.v)
		}
	}
	durs := []struct {
		key string
		v   time.Duration
	}{
		{"bag_timeout", p.BagTimeout},
		{"unexpected_grace", p.UnexpectedGrace},
		{"removed_grace", p.RemovedGrace},
		{"device_grace", p.DeviceGrace},
		{"help_debounce", p.HelpDebounce},
	}
	for _, d := range durs {
		if d.v <= 0 {
			return fmt.Errorf("policy.%s: must be > 0, got %s", d.key, d.v)
		}
	}
	return nil
}
