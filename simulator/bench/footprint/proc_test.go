package footprint

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseStatTicks(t *testing.T) {
	// utime 1234 and stime 56 are fields 14 and 15; the name holds a
	// space and a parenthesis.
	line := "4844 (kiosk d) x) S 4830 4844 4830 0 -1 1077936384 1500 0 0 0 1234 56 0 0 20 0 9 0 1234567 1300000000 3200 18446744073709551615\n"
	n, err := parseStatTicks(line)
	require.NoError(t, err)
	require.Equal(t, int64(1290), n)

	_, err = parseStatTicks("4844 (kioskd) S 1 2 3")
	require.ErrorContains(t, err, "4 fields after the command name")
	_, err = parseStatTicks("garbage")
	require.ErrorContains(t, err, "no command name")
	_, err = parseStatTicks("1 (k) S 1 2 3 4 5 6 7 8 9 10 x 56 0")
	require.ErrorContains(t, err, `parsing "x"`)
}

func TestField(t *testing.T) {
	status := "Name:\tkioskd\nVmHWM:\t   13572 kB\nVmRSS:\t   12688 kB\nThreads:\t9\n"
	require.Equal(t, 12688, field(status, "VmRSS:"))
	require.Equal(t, 13572, field(status, "VmHWM:"))
	require.Equal(t, 9, field(status, "Threads:"))
	require.Equal(t, 0, field(status, "VmSwap:"))
}
