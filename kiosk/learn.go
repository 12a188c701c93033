package kiosk

import (
	"math"
	"slices"
	"strings"
	"time"
)

// Learned is what the lane has learned of one GTIN's weight on its
// bagging area: the running mean and spread (Welford) of the gains it
// accepted for the item. The engine gets the table in (SetLearned),
// updates it on every accepted placement and hands each updated entry out
// in Effects.Learned; the daemon keeps it in data_dir.
type Learned struct {
	GTIN string `json:"gtin"`
	Name string `json:"name,omitempty"` // as the catalogue named it, for people
	// N counts the samples: an accepted placement is one, an attendant's
	// approve Policy.LearnApproveWeight. Obs counts the weighings they
	// came from (an approve is one): the spread is estimated from those.
	N     int     `json:"n"`
	Obs   int     `json:"obs"`
	MeanG float64 `json:"mean_g"`
	// M2 is the sum of squared deviations from the mean, weighted.
	M2 float64 `json:"m2"`
	// Rejected counts the samples rejected as outliers.
	Rejected int `json:"rejected,omitempty"`
	// AltN, AltMeanG and AltM2 learn the outliers rejected in a row on
	// their own: when they reach LearnMinSamples and agree with each
	// other, the product has changed and they replace the entry. An
	// accepted sample clears them.
	AltN     int       `json:"alt_n,omitempty"`
	AltObs   int       `json:"alt_obs,omitempty"`
	AltMeanG float64   `json:"alt_mean_g,omitempty"`
	AltM2    float64   `json:"alt_m2,omitempty"`
	Updated  time.Time `json:"updated"`
}

// Learning constants: a learned tolerance is LearnSpreads spreads, at
// least LearnMinToleranceG (a 2 g division scale is off by a division on
// each of the two weights a gain is the difference of, and a handful of
// weighings says little about the spread); a sample farther from a
// learned mean than twice its tolerance is an outlier (before the entry
// is learned: farther from the catalogue weight than 3 tolerances and a
// quarter of the weight).
const (
	LearnSpreads       = 4
	LearnMinToleranceG = 8
)

// SpreadG is the standard deviation of the weighings, in grams: the
// weighted variance, corrected for the number of weighings (an approve
// counts several samples but is one weighing).
func (l Learned) SpreadG() float64 { return spread(l.N, l.Obs, l.M2) }

func spread(n, obs int, m2 float64) float64 {
	if n < 2 || obs < 2 {
		return 0
	}
	return math.Sqrt(m2 / float64(n) * float64(obs) / float64(obs-1))
}

func learnedTolerance(n, obs int, m2 float64) int {
	return max(int(math.Ceil(LearnSpreads*spread(n, obs, m2)*spreadBound(obs))), LearnMinToleranceG)
}

// spreadBound is how much larger the true spread may be than the one
// measured from obs weighings (the upper 95% confidence bound of a
// standard deviation, with the Wilson-Hilferty approximation of the
// chi-square quantile), at most 2.5: a few weighings that happen to
// agree must not make a tolerance too tight for the next one.
func spreadBound(obs int) float64 {
	if obs < 2 {
		return 1
	}
	k := float64(obs - 1)
	const z = -1.6449 // the 5% quantile of the normal distribution
	q := k * math.Pow(1-2/(9*k)+z*math.Sqrt(2/(9*k)), 3)
	if q <= 0 {
		return 2.5
	}
	return min(math.Sqrt(k/q), 2.5)
}

// ToleranceG is the tolerance the learned samples give: LearnSpreads
// spreads, the spread taken at the upper bound of what the weighings so
// far allow (spreadBound), at least LearnMinToleranceG.
func (l Learned) ToleranceG() int { return learnedTolerance(l.N, l.Obs, l.M2) }

// WeightG is the learned mean, rounded.
func (l Learned) WeightG() int { return int(math.Round(l.MeanG)) }

// Use returns the weight and tolerance the lane expects for it given this
// entry: the learned ones once the entry has LearnMinSamples samples and
// they are tighter than the catalogue's, or the catalogue has no weight,
// or the catalogue's range does not even hold the learned mean (its
// weight is simply wrong) — unless the learned range reaches down to
// DefaultToleranceG, where it cannot be told from no change; else the
// catalogue's (with DefaultToleranceG
// for a tolerance of 0). learned says which. Variable-measure items
// (their weight is in the barcode) and no_bag items never use learned
// weights.
func (l Learned) Use(it Item, p Policy) (g, tol int, learned bool) {
	g, tol = it.WeightG, it.ToleranceG
	if tol == 0 {
		tol = p.DefaultToleranceG
	}
	if it.Variable || it.NoBag || l.GTIN != it.GTIN || l.N < p.LearnMinSamples {
		return g, tol, false
	}
	lw, lt := l.WeightG(), l.ToleranceG()
	if lw-lt <= p.DefaultToleranceG {
		return g, tol, false // a range that reaches "no change" tells nothing
	}
	if g == 0 || lt < tol || math.Abs(l.MeanG-float64(g)) > float64(tol) {
		return lw, lt, true
	}
	return g, tol, false
}

// welford adds w samples of x (one weighing) to a running count,
// weighings, mean and M2.
func welford(n, obs int, mean, m2, x float64, w int) (int, int, float64, float64) {
	for range w {
		n++
		d := x - mean
		mean += d / float64(n)
		m2 += d * (x - mean)
	}
	return n, obs + 1, mean, m2
}

// add learns w samples of the gain x for an item whose catalogue entry
// is it; an outlier (see LearnSpreads) goes to Alt instead.
func (l *Learned) add(it Item, x float64, w int, p Policy) {
	if l.outlier(it, x, p) {
		l.Rejected += w
		l.AltN, l.AltObs, l.AltMeanG, l.AltM2 = welford(l.AltN, l.AltObs, l.AltMeanG, l.AltM2, x, w)
		if l.N >= p.LearnMinSamples && l.AltN >= p.LearnMinSamples &&
			learnedTolerance(l.AltN, l.AltObs, l.AltM2) <= 2*l.ToleranceG() {
			// The outliers agree with each other: the item changed.
			l.N, l.Obs, l.MeanG, l.M2 = l.AltN, l.AltObs, l.AltMeanG, l.AltM2
			l.AltN, l.AltObs, l.AltMeanG, l.AltM2 = 0, 0, 0, 0
		}
		return
	}
	l.N, l.Obs, l.MeanG, l.M2 = welford(l.N, l.Obs, l.MeanG, l.M2, x, w)
	l.AltN, l.AltObs, l.AltMeanG, l.AltM2 = 0, 0, 0, 0
}

// outlier reports whether x is too far from what is known of the item:
// its learned mean once learned; before, its catalogue weight, or for an
// item of unknown weight the mean of the samples so far (anything goes
// for the first).
func (l *Learned) outlier(it Item, x float64, p Policy) bool {
	switch {
	case l.N >= p.LearnMinSamples:
		return math.Abs(x-l.MeanG) > float64(2*l.ToleranceG())
	case it.WeightG > 0:
		tol := it.ToleranceG
		if tol == 0 {
			tol = p.DefaultToleranceG
		}
		return math.Abs(x-float64(it.WeightG)) > float64(max(3*tol, it.WeightG/4))
	case l.N > 0:
		return math.Abs(x-l.MeanG) > max(3*LearnMinToleranceG, l.MeanG/2)
	}
	return false
}

// SetLearned gives the engine the learned weights (from data_dir); it
// replaces what the engine had. Entries without a GTIN are ignored.
func (e *Engine) SetLearned(table []Learned) {
	e.learned = make(map[string]Learned, len(table))
	for _, l := range table {
		if l.GTIN != "" {
			e.learned[l.GTIN] = l
		}
	}
}

// Learned returns the learned weights, by GTIN.
func (e *Engine) Learned() []Learned {
	out := make([]Learned, 0, len(e.learned))
	for _, l := range e.learned {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b Learned) int { return strings.Compare(a.GTIN, b.GTIN) })
	return out
}

// learn takes w samples of the gain g accepted for it (one for a
// placement, LearnApproveWeight for an attendant's approve) and hands the
// updated entry out in Effects.Learned. Variable-measure and no_bag
// items, and gains the bagging area cannot tell from no change, teach
// nothing.
func (e *Engine) learn(it Item, g, w int) {
	if it.Variable || it.NoBag || it.GTIN == "" || g <= e.pol.DefaultToleranceG || w <= 0 {
		return
	}
	if e.learned == nil {
		e.learned = map[string]Learned{}
	}
	l := e.learned[it.GTIN]
	l.GTIN, l.Name = it.GTIN, it.Name
	l.add(it, float64(g), w, e.pol)
	l.Updated = e.at
	e.learned[it.GTIN] = l
	e.eff.Learned = append(e.eff.Learned, l)
}
