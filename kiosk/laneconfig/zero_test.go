package laneconfig

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// An explicit 0 where 0 would become the default is an error, as
// docs/lane.md shows it; the key left out takes the default.
func TestExplicitZeroIsAnError(t *testing.T) {
	for yaml, want := range map[string]string{
		"policy: {bag_prompts: 0}\n":           "lane.yaml: policy.bag_prompts: must be >= 1, got 0",
		"policy: {settle_tolerance_g: 0}\n":    "lane.yaml: policy.settle_tolerance_g: must be >= 1, got 0",
		"policy: {default_tolerance_g: 0}\n":   "lane.yaml: policy.default_tolerance_g: must be >= 1, got 0",
		"policy: {unknown_item_attempts: 0}\n": "lane.yaml: policy.unknown_item_attempts: must be >= 1, got 0",
		"policy: {mismatch_attempts: 0}\n":     "lane.yaml: policy.mismatch_attempts: must be >= 1, got 0",
		"policy: {settle_readings: 0}\n":       "lane.yaml: policy.settle_readings: must be >= 1, got 0",
		"policy: {bag_timeout: 0s}\n":          "lane.yaml: policy.bag_timeout: must be > 0, got 0s",
		"policy: {unexpected_grace: 0s}\n":     "lane.yaml: policy.unexpected_grace: must be > 0, got 0s",
		"policy: {removed_grace: 0ms}\n":       "lane.yaml: policy.removed_grace: must be > 0, got 0ms",
		"policy: {device_grace: 0s}\n":         "lane.yaml: policy.device_grace: must be > 0, got 0s",
		"gpio: {debounce: 0s}\n":               "lane.yaml: gpio.debounce: must be > 0 (at most 1s), got 0s",
	} {
		_, err := Parse([]byte(uiBase+yaml), "/etc/sco/lane.yaml")
		require.EqualError(t, err, want, yaml)
	}
	for block, want := range map[string]string{
		"scanner: {port: p, baud: 0}":      "lane.yaml: scanner.baud: must be a baud rate (>= 50), got 0",
		"scanner: {port: p, data_bits: 0}": "lane.yaml: scanner.data_bits: must be 5, 6, 7 or 8, got 0",
		"scanner: {port: p, stop_bits: 0}": "lane.yaml: scanner.stop_bits: must be 1 or 2, got 0",
	} {
		_, err := Parse([]byte(strings.Replace(uiBase, "scanner: {port: p}", block, 1)), "/etc/sco/lane.yaml")
		require.EqualError(t, err, want, block)
	}
	for block, want := range map[string]string{
		"scale: {port: q, baud: 0}":           "lane.yaml: scale.baud: must be a baud rate (>= 50), got 0",
		"scale: {port: q, data_bits: 0}":      "lane.yaml: scale.data_bits: must be 5, 6, 7 or 8, got 0",
		"scale: {port: q, stop_bits: 0}":      "lane.yaml: scale.stop_bits: must be 1 or 2, got 0",
		"scale: {port: q, poll_interval: 0s}": "lane.yaml: scale.poll_interval: must be >= 20ms, got 0s",
	} {
		_, err := Parse([]byte(strings.Replace(uiBase, "scale: {port: q}", block, 1)), "/etc/sco/lane.yaml")
		require.EqualError(t, err, want, block)
	}

	// Several at once: every one, one line each.
	_, err := Parse([]byte(uiBase+"policy:\n  bag_prompts: 0\n  bag_timeout: 0s\n  settle_tolerance_g: 1\n"), "/etc/sco/lane.yaml")
	require.EqualError(t, err, "lane.yaml: policy.bag_timeout: must be > 0, got 0s\nlane.yaml: policy.bag_prompts: must be >= 1, got 0")
	c, err := Parse([]byte(uiBase+"policy: {bag_timeout: 4s}\n"), "/etc/sco/lane.yaml")
	require.NoError(t, err)
	require.Equal(t, 2, c.Policy.BagPrompts, "absent: the default")
}
