package store

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/sco-project/sco/attendant"
)

// Sweep runs shifts shifts of the floor at each staffing level under
// each routing rule, all with the same seeds (so with the same troubles):
// levels first, so the rules' lines for one level are side by side.
func Sweep(f *Floor, levels []int, routings []attendant.Routing, seed uint64, shifts int) ([]Result, error) {
	if len(routings) == 0 {
		routings = []attendant.Routing{attendant.RouteWalk}
	}
	out := make([]Result, 0, len(levels)*len(routings))
	for _, n := range levels {
		for _, rt := range routings {
			r, err := RunShifts(f, n, rt, seed, shifts)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// WriteTable prints one line per staffing level and routing rule.
func WriteTable(w io.Writer, rs []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "attendants\trouting\ttroubles\tclaim p50/p90/p95/max\tarrival p50/p90/p95/max\tresolved p50/p90/p95/max\twaited>60s\tunreached\ttier 2\ttier 3\tutilisation\t")
	for _, r := range rs {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%.0f%%\t\n", r.Attendants, r.Routing, r.Troubles, r.Claim, r.Arrival, r.Resolved,
			r.WaitedOver, r.Unreached, r.Tier2, r.Tier3, 100*r.Utilisation)
	}
	return tw.Flush()
}

// String is "p50/p90/p95/max" in whole seconds.
func (s Stats) String() string {
	if s.N == 0 {
		return "-"
	}
	sec := func(d time.Duration) int64 { return int64((d + time.Second/2) / time.Second) }
	return fmt.Sprintf("%d/%d/%d/%d s", sec(s.P50), sec(s.P90), sec(s.P95), sec(s.Max))
}

// jsonStats is Stats in seconds.
type jsonStats struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_s"`
	P90 float64 `json:"p90_s"`
	P95 float64 `json:"p95_s"`
	Max float64 `json:"max_s"`
}

func (s Stats) MarshalJSON() ([]byte, error) {
	return json.Marshal(jsonStats{s.N, s.P50.Seconds(), s.P90.Seconds(), s.P95.Seconds(), s.Max.Seconds()})
}

// WriteJSON prints the results as a JSON array.
func WriteJSON(w io.Writer, rs []Result) error {
	type row struct {
		Attendants  int     `json:"attendants"`
		Routing     string  `json:"routing"`
		Shifts      int     `json:"shifts"`
		Troubles    int     `json:"troubles"`
		Claim       Stats   `json:"trouble_to_claim"`
		Arrival     Stats   `json:"trouble_to_arrival"`
		Resolved    Stats   `json:"trouble_to_resolved"`
		WaitedOver  int     `json:"waited_over_60s"`
		Unreached   int     `json:"unreached"`
		Tier2       int     `json:"tier2"`
		Tier3       int     `json:"tier3"`
		Utilisation float64 `json:"utilisation"`
	}
	out := make([]row, 0, len(rs))
	for _, r := range rs {
		out = append(out, row{r.Attendants, r.Routing.String(), r.Shifts, r.Troubles, r.Claim, r.Arrival, r.Resolved, r.WaitedOver, r.Unreached, r.Tier2, r.Tier3, r.Utilisation})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
