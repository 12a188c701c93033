package daemon

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/kiosk"
)

var weightsAt = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func openWeightsForTest(t *testing.T, dir string) (*weightStore, []kiosk.Learned, *bytes.Buffer) {
	t.Helper()
	var log bytes.Buffer
	s, table := openWeights(dir, slog.New(slog.NewTextHandler(&log, nil)), func() time.Time { return weightsAt })
	t.Cleanup(func() { s.Close() })
	return s, table, &log
}

func lines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// Learned weights survive a restart; the last entry of a GTIN wins, and
// the file is rewritten with one line per GTIN when the lane starts.
func TestWeightsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	s, table, log := openWeightsForTest(t, dir)
	require.Empty(t, table)
	cola := kiosk.Learned{GTIN: "05000112637922", Name: "Cola 330ml", N: 3, MeanG: 390, Updated: weightsAt}
	water := kiosk.Learned{GTIN: "05449000000996", Name: "Water", N: 1, MeanG: 1560, Updated: weightsAt}
	s.save([]kiosk.Learned{cola})
	cola.N, cola.MeanG, cola.M2 = 4, 390.25, 0.75
	s.save([]kiosk.Learned{cola, water})
	require.Len(t, lines(t, filepath.Join(dir, WeightsFile)), 3)
	got, err := ReadWeights(dir)
	require.NoError(t, err)
	require.Equal(t, []kiosk.Learned{cola, water}, got)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "twice")

	_, table, _ = openWeightsForTest(t, dir)
	require.Equal(t, []kiosk.Learned{cola, water}, table)
	require.Len(t, lines(t, filepath.Join(dir, WeightsFile)), 2, "compacted")
	require.Empty(t, log.String())
}

// A lane killed while appending leaves half a line: it is left out, the
// rest is kept.
func TestWeightsHalfLastLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, WeightsFile)
	good := `{"gtin":"05000112637922","n":3,"obs":1,"mean_g":390,"m2":0,"updated":"2026-11-23T10:00:00Z"}`
	require.NoError(t, os.WriteFile(path, []byte(good+"\n"+`{"gtin":"0544900`), 0o600))
	got, err := ReadWeights(dir)
	require.NoError(t, err)
	require.Len(t, got, 1)
	_, table, log := openWeightsForTest(t, dir)
	require.Len(t, table, 1)
	require.Empty(t, log.String())
	require.Equal(t, []string{good}, lines(t, path), "rewritten without the half line")
}

// Learned data that cannot be read is set aside with a log line, and the
// lane starts from the catalogue.
func TestWeightsUnreadableSetAside(t *testing.T) {
	for name, content := range map[string]string{
		"garbage":           "\x00\xffnot json at all\n",
		"a bad middle line": `{"gtin":"1","n":1,"mean_g":1,"m2":0}` + "\nnope\n" + `{"gtin":"2","n":1,"mean_g":1,"m2":0}` + "\n",
		"unknown field":     `{"gtin":"1","n":1,"mean_g":1,"grams":5}` + "\n",
		"no gtin":           `{"n":1,"mean_g":1}` + "\n",
		"negative":          `{"gtin":"1","n":-1,"mean_g":1}` + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, WeightsFile)
			require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
			_, err := ReadWeights(dir)
			require.ErrorContains(t, err, "learned weights: "+path+":")
			s, table, log := openWeightsForTest(t, dir)
			require.Empty(t, table)
			require.Contains(t, log.String(), "learned weights unreadable, set aside; starting from the catalogue")
			aside := path + ".unreadable-20261123-100000"
			require.Contains(t, log.String(), aside)
			b, err := os.ReadFile(aside)
			require.NoError(t, err)
			require.Equal(t, content, string(b), "kept for a look")
			s.save([]kiosk.Learned{{GTIN: "1", N: 1, MeanG: 100}})
			got, err := ReadWeights(dir)
			require.NoError(t, err)
			require.Len(t, got, 1, "a fresh file")
		})
	}
}

// A file that cannot be written does not stop the lane: the error is
// logged once, learning goes on in memory, and the file is written whole
// when it can be again.
func TestWeightsWriteFailure(t *testing.T) {
	dir := t.TempDir()
	tmp := filepath.Join(dir, WeightsFile+".tmp")
	require.NoError(t, os.Mkdir(tmp, 0o700)) // the rewrite cannot create its temporary file
	s, _, log := openWeightsForTest(t, dir)
	require.Equal(t, 1, strings.Count(log.String(), "cannot be written"))
	s.save([]kiosk.Learned{{GTIN: "1", N: 1, MeanG: 100}})
	s.save([]kiosk.Learned{{GTIN: "2", N: 1, MeanG: 200}})
	require.Equal(t, 1, strings.Count(log.String(), "cannot be written"), "logged once")
	require.NoError(t, os.Remove(tmp))
	s.save([]kiosk.Learned{{GTIN: "1", N: 2, MeanG: 101}})
	require.Contains(t, log.String(), "learned weights written again")
	got, err := ReadWeights(dir)
	require.NoError(t, err)
	require.Equal(t, []kiosk.Learned{{GTIN: "1", N: 2, MeanG: 101}, {GTIN: "2", N: 1, MeanG: 200}}, got)
}
