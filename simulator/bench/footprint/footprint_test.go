package footprint

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Run measures a real kioskd process and reports every measure; the busy
// shopper's items reach the basket.
func TestRunMeasuresKioskd(t *testing.T) {
	kioskd := filepath.Join(t.TempDir(), "kioskd")
	out, err := exec.Command("go", "build", "-o", kioskd, "github.com/sco-project/sco/cmd/kioskd").CombinedOutput()
	require.NoError(t, err, "build kioskd: %s", out)

	var report bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = Run(ctx, Opts{Kioskd: kioskd, Idle: 200 * time.Millisecond, Busy: 3 * time.Second, Every: 500 * time.Millisecond, Out: &report})
	require.NoError(t, err)
	for _, re := range []string{
		`(?m)^binary_bytes +[1-9]\d*$`,
		`(?m)^startup_to_ready +\S+$`,
		`(?m)^idle_rss_kb +[1-9]\d*$`,
		`(?m)^idle_cpu_percent +\d+\.\d\d \(of one core, over 200ms\)$`,
		`(?m)^busy_rss_kb +[1-9]\d*$`,
		`(?m)^busy_cpu_percent +\d+\.\d\d \(of one core, over 3s, one item every 500ms: [1-9]\d* scanned\)$`,
		`(?m)^peak_rss_kb +[1-9]\d*$`,
		`(?m)^threads +[1-9]\d*$`,
		`(?m)^final_state +\S+, [1-9]\d* items in the basket$`,
	} {
		require.Regexp(t, regexp.MustCompile(re), report.String())
	}
}

func TestRunNeedsKioskd(t *testing.T) {
	err := Run(context.Background(), Opts{})
	require.EqualError(t, err, "footprint: the kioskd binary is required")
	err = Run(context.Background(), Opts{Kioskd: "/nonexistent/kioskd"})
	require.ErrorContains(t, err, "footprint: fork/exec /nonexistent/kioskd")
}
