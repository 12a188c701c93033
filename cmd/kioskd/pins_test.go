package main

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/sco-project/sco/devices/lanegpio"
	"github.com/sco-project/sco/internal/cli"
)

// -check-config is honest about GPIO pins: it looks them up where the
// machine has GPIO, and where it has none it says they were not checked,
// and why.
func TestCheckConfigGPIOPins(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "catalog.csv"), []byte("gtin,name,price_cents,weight_g,tolerance_g,flags\n5000112637922,Cola 330ml,89,355,15,\n"), 0o600))
	path := filepath.Join(dir, "lane.yaml")
	write := func(gpio string) {
		require.NoError(t, os.WriteFile(path, []byte("store: s1\nlane: \"3\"\nzone: front\ncatalog: catalog.csv\nscanner: {port: /dev/ttyUSB0}\nscale: {port: /dev/ttyUSB1}\n"+gpio), 0o600))
	}
	write("gpio: {light: {green: GPIO17, red: GPIO27}, help: GPIO22}\n")

	if err := lanegpio.CheckPin("gpio.help", "GPIO22"); errors.Is(err, lanegpio.ErrNoGPIO) {
		code, out, errs := run("-check-config", path)
		require.Equal(t, cli.ExitOK, code, errs)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		require.Len(t, lines, 2, out)
		require.True(t, strings.HasPrefix(lines[0], path+": ok ("), lines[0])
		require.Regexp(t, `^`+regexp.QuoteMeta(path)+`: note: gpio pins GPIO17, GPIO27, GPIO22 not checked: this machine has no GPIO \(drivers loaded: \[.*\]\); kioskd looks them up when it starts, and stops there if one is missing$`, lines[1])
	} else {
		t.Logf("this machine has GPIO: the no-GPIO note is not tested here")
	}

	// A machine with GPIO (pins registered as periph's drivers would).
	for _, n := range []string{"GPIO17", "GPIO22", "GPIO27"} {
		require.NoError(t, gpioreg.Register(&gpiotest.Pin{N: "TEST_" + n}))
	}
	write("gpio: {light: {green: TEST_GPIO17, red: TEST_GPIO27}, help: TEST_GPIO22}\n")
	code, out, errs := run("-check-config", path)
	require.Equal(t, cli.ExitOK, code, errs)
	require.NotContains(t, out, ": note:")

	write("gpio: {light: {green: TEST_GPIO17, yellow: GPIO99}, help: GPIO98}\n")
	code, out, errs = run("-check-config", path)
	require.Equal(t, cli.ExitError, code)
	require.Empty(t, out)
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	require.Len(t, lines, 2, errs)
	require.True(t, strings.HasPrefix(lines[0], `kioskd: lane.yaml: gpio.light.yellow: no GPIO pin "GPIO99" on this machine`), lines[0])
	require.True(t, strings.HasPrefix(lines[1], `kioskd: lane.yaml: gpio.help: no GPIO pin "GPIO98" on this machine`), lines[1])
}
