package bench

import (
	"fmt"
	"slices"
	"time"
)

// Stats summarises a set of durations. Percentiles are nearest-rank.
type Stats struct {
	N    int           `json:"n"`
	Min  time.Duration `json:"min_ns"`
	P50  time.Duration `json:"p50_ns"`
	P95  time.Duration `json:"p95_ns"`
	P99  time.Duration `json:"p99_ns"`
	Max  time.Duration `json:"max_ns"`
	Mean time.Duration `json:"mean_ns"`
}

// Summarise computes Stats over d (which it sorts).
func Summarise(d []time.Duration) Stats {
	if len(d) == 0 {
		return Stats{}
	}
	slices.Sort(d)
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return Stats{
		N: len(d), Min: d[0], Max: d[len(d)-1], Mean: sum / time.Duration(len(d)),
		P50: rank(d, 50), P95: rank(d, 95), P99: rank(d, 99),
	}
}

// rank is the nearest-rank p-th percentile of sorted d.
func rank(d []time.Duration, p int) time.Duration {
	i := (p*len(d) + 99) / 100 // ceil(p/100 * n)
	if i < 1 {
		i = 1
	}
	return d[i-1]
}

func (s Stats) String() string {
	if s.N == 0 {
		return "no samples"
	}
	return fmt.Sprintf("n=%-6d p50=%-9s p95=%-9s p99=%-9s max=%-9s", s.N, ms(s.P50), ms(s.P95), ms(s.P99), ms(s.Max))
}

// ms prints a duration in milliseconds with microsecond precision.
func ms(d time.Duration) string { return fmt.Sprintf("%.3fms", float64(d)/float64(time.Millisecond)) }
