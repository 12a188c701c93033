package daemon

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sco-project/sco/kiosk"
	"github.com/sco-project/sco/kiosk/laneconfig"
)

// WeightsFile is the file in data_dir that keeps the weights the lane has
// learned: one JSON object (kiosk.Learned) per line; the last line of a
// GTIN wins.
const WeightsFile = "weights.jsonl"

// compactAfter is how many lines may be appended, beyond one per GTIN,
// before the file is rewritten with one line per GTIN.
const compactAfter = 10000

// ReadWeights reads the learned weights kept in dir, by GTIN. A missing
// file is an empty table. A last line cut short (the lane died while
// appending it) is left out; anything else that is not learned weights is
// an error naming the file and line.
func ReadWeights(dir string) ([]kiosk.Learned, error) {
	path := filepath.Join(dir, WeightsFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("learned weights: %w", err)
	}
	byGTIN, _, err := parseWeights(b, path)
	if err != nil {
		return nil, err
	}
	return sorted(byGTIN), nil
}

// parseWeights decodes the file's lines; n is how many it holds.
func parseWeights(b []byte, path string) (byGTIN map[string]kiosk.Learned, n int, err error) {
	byGTIN = map[string]kiosk.Learned{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for line := 1; sc.Scan(); line++ {
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		var l kiosk.Learned
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		err := dec.Decode(&l)
		if err == nil {
			err = validLearned(l)
		}
		if err != nil {
			if line == bytes.Count(b, []byte("\n"))+1 && !bytes.HasSuffix(b, []byte("\n")) {
				break // the last line, cut short by a crash
			}
			return nil, 0, fmt.Errorf("learned weights: %s:%d: %v", path, line, err)
		}
		byGTIN[l.GTIN] = l
		n++
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("learned weights: %s: %w", path, err)
	}
	return byGTIN, n, nil
}

func validLearned(l kiosk.Learned) error {
	finite := func(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
	switch {
	case l.GTIN == "":
		return errors.New("no gtin")
	case l.N < 0 || l.Obs < 0 || l.AltN < 0 || l.AltObs < 0 || l.Rejected < 0:
		return errors.New("negative count")
	case !finite(l.MeanG) || !finite(l.M2) || !finite(l.AltMeanG) || !finite(l.AltM2) || l.M2 < 0 || l.AltM2 < 0:
		return errors.New("bad mean or spread")
	}
	return nil
}

func sorted(byGTIN map[string]kiosk.Learned) []kiosk.Learned {
	out := make([]kiosk.Learned, 0, len(byGTIN))
	for _, l := range byGTIN {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b kiosk.Learned) int { return strings.Compare(a.GTIN, b.GTIN) })
	return out
}

// weightStore keeps the learned weights in data_dir: it appends each
// updated entry, and rewrites the file with one line per GTIN when it
// opens and when the appended lines pile up. It is used from the engine
// goroutine only. The file is not synced: after a power cut the last few
// samples may be missing, which costs nothing but a little learning.
// Learning is never a reason to stop a lane: a file that cannot be written
// is logged (once until it works again) and the lane goes on learning in
// memory.
type weightStore struct {
	path    string
	log     *slog.Logger
	now     func() time.Time
	f       *os.File // nil while the file cannot be written
	latest  map[string]kiosk.Learned
	lines   int  // lines in the file
	failing bool // the last write failed (and was logged)
}

// openWeights opens the learned weights in dir and returns them. Learned
// data that cannot be read is set aside (renamed to
// weights.jsonl.unreadable-<time>) with an error in the log, and the lane
// starts from the catalogue.
func openWeights(dir string, log *slog.Logger, now func() time.Time) (*weightStore, []kiosk.Learned) {
	s := &weightStore{path: filepath.Join(dir, WeightsFile), log: log, now: now, latest: map[string]kiosk.Learned{}}
	b, err := os.ReadFile(s.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		s.setAside(err)
	default:
		byGTIN, _, err := parseWeights(b, s.path)
		if err != nil {
			s.setAside(err)
		} else {
			s.latest = byGTIN
		}
	}
	s.report(s.compact())
	return s, sorted(s.latest)
}

// report logs a write error once, and when writing works again.
func (s *weightStore) report(err error) {
	switch {
	case err != nil && !s.failing:
		s.log.Error("learned weights cannot be written; learning goes on in memory", "file", s.path, "err", err)
	case err == nil && s.failing:
		s.log.Info("learned weights written again", "file", s.path)
	}
	s.failing = err != nil
}

// setAside renames unreadable learned data out of the way, so that it can
// be looked at, and says so.
func (s *weightStore) setAside(why error) {
	to := s.path + ".unreadable-" + s.now().UTC().Format("20060102-150405")
	if err := os.Rename(s.path, to); err != nil {
		s.log.Error("learned weights unreadable and could not be set aside; starting from the catalogue", "file", s.path, "err", why, "rename_err", err)
		return
	}
	s.log.Error("learned weights unreadable, set aside; starting from the catalogue", "file", s.path, "set_aside_as", to, "err", why)
}

// compact rewrites the file with one line per GTIN (atomically: a
// temporary file renamed over it) and opens it for appending.
func (s *weightStore) compact() error {
	if s.f != nil {
		_ = s.f.Close() // only appended to; what it held is rewritten below
		s.f = nil
	}
	var buf bytes.Buffer
	for _, l := range sorted(s.latest) {
		if err := appendLine(&buf, l); err != nil {
			return err
		}
	}
	tmp := s.path + ".tmp"
	if err := writeSynced(tmp, buf.Bytes()); err != nil {
		return fmt.Errorf("learned weights: %w", err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("learned weights: %w", err)
	}
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("learned weights: %w", err)
	}
	s.f, s.lines = f, len(s.latest)
	return nil
}

func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func appendLine(w io.Writer, l kiosk.Learned) error {
	b, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("learned weights: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// save appends the updated entries (Effects.Learned). A file that could
// not be written before is rewritten whole.
func (s *weightStore) save(entries []kiosk.Learned) {
	s.report(s.write(entries))
}

func (s *weightStore) write(entries []kiosk.Learned) error {
	var buf bytes.Buffer
	for _, l := range entries {
		s.latest[l.GTIN] = l
		if err := appendLine(&buf, l); err != nil {
			return err
		}
	}
	if s.f == nil {
		return s.compact()
	}
	if _, err := s.f.Write(buf.Bytes()); err != nil {
		_ = s.f.Close() // rewritten whole next time
		s.f = nil
		return fmt.Errorf("learned weights: %w", err)
	}
	s.lines += len(entries)
	if s.lines > len(s.latest)+compactAfter {
		return s.compact()
	}
	return nil
}

// Close closes the file. Safe to call twice.
func (s *weightStore) Close() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}

// WriteWeights prints the weights the lane of cfg has learned (kioskd
// -weights), one line per GTIN, next to the catalogue's, and says which
// one the lane uses. It reads data_dir while the lane runs, too.
func WriteWeights(w io.Writer, cfg *laneconfig.Config) error {
	table, err := ReadWeights(cfg.DataDir)
	if err != nil {
		return err
	}
	cat, err := kiosk.LoadCatalog(cfg.Catalog, cfg.Barcode.Layouts, cfg.Policy.DefaultToleranceG)
	if err != nil {
		return err
	}
	pol := cfg.Policy
	fmt.Fprintf(w, "lane %s (store %s): %d items learned in %s; a learned weight is used from %d samples on, where it is tighter than the catalogue's, the catalogue has none, or the catalogue's range does not hold it\n",
		cfg.Lane, cfg.Store, len(table), filepath.Join(cfg.DataDir, WeightsFile), pol.LearnMinSamples)
	if len(table) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GTIN\tNAME\tSAMPLES\tMEAN_G\tSPREAD_G\tTOL_G\tCATALOGUE_G\tIN USE\tREJECTED\tUPDATED")
	for _, l := range table {
		catalogue, use := "-", "no: not in the catalogue"
		if it, ok := cat.Item(l.GTIN); ok {
			g, tol, learned := l.Use(it, pol)
			switch {
			case it.NoBag:
				catalogue, use = "no_bag", "no: no_bag"
			case learned:
				catalogue, use = fmt.Sprintf("%d ±%d", it.WeightG, it.ToleranceG), fmt.Sprintf("learned %d ±%d", g, tol)
			case l.N < pol.LearnMinSamples:
				catalogue, use = fmt.Sprintf("%d ±%d", it.WeightG, it.ToleranceG), fmt.Sprintf("catalogue (%d/%d samples)", l.N, pol.LearnMinSamples)
			default:
				catalogue, use = fmt.Sprintf("%d ±%d", it.WeightG, it.ToleranceG), "catalogue (tighter)"
			}
			if it.WeightG == 0 && !it.NoBag {
				catalogue = "unknown"
			}
		}
		name := l.Name
		if name == "" {
			name = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%.1f\t%d\t%s\t%s\t%d\t%s\n", l.GTIN, name, l.N, l.MeanG, l.SpreadG(), l.ToleranceG(),
			catalogue, use, l.Rejected, l.Updated.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}
