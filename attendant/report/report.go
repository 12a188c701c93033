package report

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/sco-project/sco/attendant"
)

// Input is what a report is computed from: the bridge's history for a
// time range (attendant/bridge.History), or the records of a simulated
// store.
type Input struct {
	Store string
	// From and To bound the range the records were taken from (a record
	// counts by the time its alert closed, a checkout by its finish).
	From, To      time.Time
	Interventions []attendant.Intervention
	Checkouts     []attendant.Checkout
	// Names maps attendant ids to their names (the roster); an id
	// without one is shown as is.
	Names map[string]string
}

// Report is the store's intervention report. Times are in seconds.
type Report struct {
	Store string    `json:"store"`
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	// Total is the whole store: every lane, every kind.
	Total Row `json:"total"`
	// Kinds are the alert kinds, most interventions first.
	Kinds []Row `json:"kinds"`
	// Items are the ten items (by GTIN) with the most interventions,
	// then the most attendant time.
	Items []Row `json:"items"`
	// Lanes are the lanes, by id.
	Lanes []Row `json:"lanes"`
	// Attendants are those who claimed an alert, by id.
	Attendants []AttendantRow `json:"attendants"`
}

// TopItems is how many items the report lists.
const TopItems = 10

// Row is one line of the report: the store, a kind, an item or a lane.
type Row struct {
	// Key is the kind, the GTIN or the lane ("" for the total); Name is
	// the item's name.
	Key  string `json:"key"`
	Name string `json:"name,omitempty"`
	// Checkouts are the lane's (the store's) checkouts; 0 for a kind or
	// an item, whose checkouts are the store's.
	Checkouts int `json:"checkouts"`
	// Interventions counts the alerts (each alert is one intervention
	// record, whoever fixed it); Per100 is per 100 checkouts (of the
	// store for a kind or an item), 0 without checkouts.
	Interventions int     `json:"interventions"`
	Per100        float64 `json:"per_100_checkouts"`
	// Shares of the interventions: fixed by the shopper (cancelled by
	// the lane before anyone arrived), that needed an attendant
	// (resolved, or cancelled after an attendant arrived), and resolved
	// remotely (from the handheld, with no arrive). The first two add up
	// to 1.
	FixedByShopper float64 `json:"fixed_by_shopper"`
	NeededAction   float64 `json:"needed_action"`
	Remote         float64 `json:"resolved_remotely"`
	// From the alert being raised to the first claim, to the first
	// arrival at the lane, and to its resolution (resolved ones only).
	TimeToClaim   Stat `json:"time_to_claim"`
	TimeToArrive  Stat `json:"time_to_arrive"`
	TimeToResolve Stat `json:"time_to_resolve"`
	// MeanDepth is the mean escalation depth: the highest tier paged
	// (0 when nobody could be).
	MeanDepth float64 `json:"mean_escalation_depth"`
	// AttendantTime is the time attendants held these alerts: from each
	// claim to its end (resolved, released, expired or cancelled).
	AttendantTime float64 `json:"attendant_time"`
}

// Stat is a distribution of times in seconds: how many, the median and
// the 90th percentile (nearest rank); zero when N is 0.
type Stat struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
}

// AttendantRow is one attendant's part.
type AttendantRow struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Claims counts their claims (a claim given back and taken again
	// counts twice); Resolved the alerts they resolved, Remote those of
	// them resolved from the handheld.
	Claims   int `json:"claims"`
	Resolved int `json:"resolved"`
	Remote   int `json:"resolved_remotely"`
	// TimeToClaim runs from their page to their claim.
	TimeToClaim Stat `json:"time_to_claim"`
	// OnSite is the time at lanes: from arrive to the claim's end.
	OnSite float64 `json:"time_on_site"`
	// Held is the time they held alerts: from each claim to its end.
	Held float64 `json:"time_held"`
}

// Compute builds the report. It is pure: the same input gives the same
// report.
func Compute(in Input) Report {
	r := Report{Store: in.Store, From: in.From.UTC(), To: in.To.UTC(), Kinds: []Row{}, Items: []Row{}, Lanes: []Row{}, Attendants: []AttendantRow{}}
	r.Total = row("", "", len(in.Checkouts), in.Interventions)

	byKind := map[string][]attendant.Intervention{}
	byItem := map[string][]attendant.Intervention{}
	byLane := map[string][]attendant.Intervention{}
	names := map[string]string{}
	for _, x := range in.Interventions {
		byKind[string(x.Kind)] = append(byKind[string(x.Kind)], x)
		byLane[x.Lane] = append(byLane[x.Lane], x)
		if x.Item != nil && x.Item.GTIN != "" {
			byItem[x.Item.GTIN] = append(byItem[x.Item.GTIN], x)
			names[x.Item.GTIN] = x.Item.Name
		}
	}
	checkouts := map[string]int{}
	for _, c := range in.Checkouts {
		checkouts[c.Lane]++
	}
	for k, xs := range byKind {
		kr := row(k, "", 0, xs)
		kr.Per100 = per100(len(xs), len(in.Checkouts))
		r.Kinds = append(r.Kinds, kr)
	}
	slices.SortFunc(r.Kinds, func(a, b Row) int {
		return cmp.Or(-cmp.Compare(a.Interventions, b.Interventions), -cmp.Compare(a.AttendantTime, b.AttendantTime), cmp.Compare(a.Key, b.Key))
	})
	for g, xs := range byItem {
		ir := row(g, names[g], 0, xs)
		ir.Per100 = per100(len(xs), len(in.Checkouts))
		r.Items = append(r.Items, ir)
	}
	slices.SortFunc(r.Items, func(a, b Row) int {
		return cmp.Or(-cmp.Compare(a.Interventions, b.Interventions), -cmp.Compare(a.AttendantTime, b.AttendantTime), cmp.Compare(a.Key, b.Key))
	})
	r.Items = r.Items[:min(len(r.Items), TopItems)]
	lanes := map[string]bool{}
	for l := range byLane {
		lanes[l] = true
	}
	for l := range checkouts {
		lanes[l] = true
	}
	for l := range lanes {
		r.Lanes = append(r.Lanes, row(l, "", checkouts[l], byLane[l]))
	}
	slices.SortFunc(r.Lanes, func(a, b Row) int { return cmp.Compare(a.Key, b.Key) })
	r.Attendants = attendants(in.Interventions, in.Names)
	return r
}

// row summarises xs.
func row(key, name string, checkouts int, xs []attendant.Intervention) Row {
	r := Row{Key: key, Name: name, Checkouts: checkouts, Interventions: len(xs), Per100: per100(len(xs), checkouts)}
	var claim, arrive, resolve []time.Duration
	var shopper, remote, depth int
	var held time.Duration
	for _, x := range xs {
		switch x.Handling() {
		case attendant.HandledByShopper:
			shopper++
		case attendant.HandledRemotely:
			remote++
		}
		depth += x.Depth
		if len(x.Claims) > 0 {
			claim = append(claim, x.Claims[0].At.Sub(x.Raised))
		}
		for _, c := range x.Claims {
			if !c.Arrived.IsZero() {
				arrive = append(arrive, c.Arrived.Sub(x.Raised))
				break
			}
		}
		for _, c := range x.Claims {
			held += c.Ended.Sub(c.At)
		}
		if x.Outcome == attendant.OutcomeResolved {
			resolve = append(resolve, x.Closed.Sub(x.Raised))
		}
	}
	if n := len(xs); n > 0 {
		r.FixedByShopper = ratio(shopper, n)
		r.NeededAction = ratio(n-shopper, n)
		r.Remote = ratio(remote, n)
		r.MeanDepth = ratio(depth, n)
	}
	r.TimeToClaim, r.TimeToArrive, r.TimeToResolve = stat(claim), stat(arrive), stat(resolve)
	r.AttendantTime = seconds(held)
	return r
}

func attendants(xs []attendant.Intervention, names map[string]string) []AttendantRow {
	rows := map[string]*AttendantRow{}
	toClaim := map[string][]time.Duration{}
	get := func(id string) *AttendantRow {
		if rows[id] == nil {
			name := names[id]
			if name == "" {
				name = id
			}
			rows[id] = &AttendantRow{ID: id, Name: name}
		}
		return rows[id]
	}
	for _, x := range xs {
		for _, c := range x.Claims {
			a := get(c.By)
			a.Claims++
			if !c.Paged.IsZero() {
				toClaim[c.By] = append(toClaim[c.By], c.At.Sub(c.Paged))
			}
			if !c.Arrived.IsZero() {
				a.OnSite += seconds(c.Ended.Sub(c.Arrived))
			}
			a.Held += seconds(c.Ended.Sub(c.At))
		}
		if x.Outcome == attendant.OutcomeResolved && x.ResolvedBy != "" {
			a := get(x.ResolvedBy)
			a.Resolved++
			if x.Remote {
				a.Remote++
			}
		}
	}
	out := make([]AttendantRow, 0, len(rows))
	for id, a := range rows {
		a.TimeToClaim = stat(toClaim[id])
		a.OnSite, a.Held = round(a.OnSite), round(a.Held)
		out = append(out, *a)
	}
	slices.SortFunc(out, func(a, b AttendantRow) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// stat is the distribution of ds.
func stat(ds []time.Duration) Stat {
	if len(ds) == 0 {
		return Stat{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return Stat{N: len(s), P50: seconds(Percentile(s, 0.5)), P90: seconds(Percentile(s, 0.9))}
}

// Percentile is the nearest-rank percentile p (0.95 for p95) of sorted,
// which is sorted and not empty: a value that was measured, never one
// between two. kiosk-sim store's tables use it too.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	s := sorted
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(i, 0)]
}

func per100(n, checkouts int) float64 {
	if checkouts == 0 {
		return 0
	}
	return round(100 * float64(n) / float64(checkouts))
}

func ratio(n, of int) float64 { return math.Round(1000*float64(n)/float64(of)) / 1000 }

// seconds is d in seconds, to the millisecond.
func seconds(d time.Duration) float64 { return round(d.Seconds()) }

func round(x float64) float64 { return math.Round(x*1000) / 1000 }
