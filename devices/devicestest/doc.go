// Package devicestest holds test doubles for the devices interfaces:
// channel-fed fakes of Scanner, Scale, Light and Button for the lane
// engine's tests, and Line, a real pseudo-terminal behind a stable
// symlink for driving the real serial drivers, unplug and replug
// included. Prefer the real drivers over a Line where a test can.
package devicestest
