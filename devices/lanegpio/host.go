package lanegpio

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"
)

var (
	hostOnce  sync.Once
	hostNotes string
	hostErr   error
)

// initHost runs host.Init once. A machine without GPIO loads no drivers
// and that is not an error; failed drivers are remembered for the error
// message of a pin that cannot be found.
func initHost() error {
	hostOnce.Do(func() {
		st, err := host.Init()
		if err != nil {
			hostErr = fmt.Errorf("lanegpio: host init: %w", err)
			return
		}
		var loaded, failed []string
		for _, d := range st.Loaded {
			loaded = append(loaded, d.String())
		}
		for _, f := range st.Failed {
			failed = append(failed, f.String())
		}
		hostNotes = fmt.Sprintf("drivers loaded: [%s]", strings.Join(loaded, ", "))
		if len(failed) > 0 {
			hostNotes += fmt.Sprintf(", failed: [%s]", strings.Join(failed, "; "))
		}
	})
	return hostErr
}

// lookup returns the pin called name; key is the config key, for the
// error.
func lookup(key, name string) (gpio.PinIO, error) {
	if err := initHost(); err != nil {
		return nil, err
	}
	p := gpioreg.ByName(name)
	if p == nil {
		return nil, fmt.Errorf("lanegpio: %s: no GPIO pin %q on this machine (%s)", key, name, hostNotes)
	}
	return p, nil
}

// ErrNoGPIO says this machine has no GPIO pin at all (no GPIO driver
// loaded: a laptop, a container, a virtual machine), so a pin name cannot
// be checked on it.
var ErrNoGPIO = errors.New("lanegpio: this machine has no GPIO")

// CheckPin looks the pin called name up as OpenLight and OpenButton do,
// without using it; key is the config key, for the error. On a machine
// with no GPIO at all it returns an error wrapping ErrNoGPIO that says
// which drivers loaded: the name can only be checked on the lane.
func CheckPin(key, name string) error {
	if err := initHost(); err != nil {
		return err
	}
	if len(gpioreg.All()) == 0 {
		return fmt.Errorf("%w (%s)", ErrNoGPIO, hostNotes)
	}
	_, err := lookup(key, name)
	return err
}
