package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Formats the report is written in.
const (
	FormatText = "text"
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// Write writes r in format: text (for a person), csv (one table, for a
// spreadsheet) or json (Report as is).
func Write(w io.Writer, r Report, format string) error {
	switch format {
	case FormatText:
		return WriteText(w, r)
	case FormatCSV:
		return WriteCSV(w, r)
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return fmt.Errorf("report: unknown format %q (text, csv, json)", format)
}

// WriteText writes the report as aligned tables.
func WriteText(w io.Writer, r Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Interventions at store %s, %s to %s\n\n", r.Store, r.From.Format(time.RFC3339), r.To.Format(time.RFC3339))
	t := r.Total
	fmt.Fprintf(&b, "%s, %s: %s per 100 checkouts.\n", plural(t.Checkouts, "checkout"), plural(t.Interventions, "intervention"), num(t.Per100))
	fmt.Fprintf(&b, "%s fixed by the shopper, %s needed an attendant, %s resolved remotely.\n", pct(t.FixedByShopper), pct(t.NeededAction), pct(t.Remote))
	fmt.Fprintf(&b, "Attendant time: %s. Time to claim: median %s, p90 %s.\n", dur(t.AttendantTime), statDur(t.TimeToClaim, t.TimeToClaim.P50), statDur(t.TimeToClaim, t.TimeToClaim.P90))
	b.WriteString("\nshopper: fixed by the shopper; action: needed an attendant; remote: resolved from the handheld;\n" +
		"claim, arrive, resolve: time from the alert to the first claim, the first arrival, the resolution;\n" +
		"depth: mean highest tier paged; attendant time: from each claim to its end.\n")

	header := "\tcount\tper 100\tshopper\taction\tremote\tclaim p50\tclaim p90\tarrive p50\tarrive p90\tresolve p50\tresolve p90\tdepth\tattendant time"
	line := func(tw io.Writer, label string, x Row) {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", label, x.Interventions, num(x.Per100),
			pct(x.FixedByShopper), pct(x.NeededAction), pct(x.Remote),
			statDur(x.TimeToClaim, x.TimeToClaim.P50), statDur(x.TimeToClaim, x.TimeToClaim.P90),
			statDur(x.TimeToArrive, x.TimeToArrive.P50), statDur(x.TimeToArrive, x.TimeToArrive.P90),
			statDur(x.TimeToResolve, x.TimeToResolve.P50), statDur(x.TimeToResolve, x.TimeToResolve.P90),
			num(x.MeanDepth), dur(x.AttendantTime))
	}
	table := func(title, first string, rows []Row, label func(Row) string) {
		fmt.Fprintf(&b, "\n%s\n", title)
		if len(rows) == 0 {
			b.WriteString("(none)\n")
			return
		}
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, first+header)
		for _, x := range rows {
			line(tw, label(x), x)
		}
		tw.Flush()
	}
	table("By kind", "kind", r.Kinds, func(x Row) string { return x.Key })
	table(fmt.Sprintf("Items causing the most interventions (top %d)", TopItems), "item", r.Items, func(x Row) string { return x.Name + " (" + x.Key + ")" })

	fmt.Fprintf(&b, "\nBy lane\n")
	if len(r.Lanes) == 0 {
		b.WriteString("(none)\n")
	} else {
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "lane\tcheckouts\t"+strings.TrimPrefix(header, "\t"))
		for _, x := range r.Lanes {
			line(tw, x.Key+"\t"+strconv.Itoa(x.Checkouts), x)
		}
		tw.Flush()
	}

	fmt.Fprintf(&b, "\nBy attendant\n")
	if len(r.Attendants) == 0 {
		b.WriteString("(none)\n")
	} else {
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "attendant\tclaims\tresolved\tremote\tclaim p50\tclaim p90\ton site\theld")
		for _, a := range r.Attendants {
			fmt.Fprintf(tw, "%s (%s)\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n", a.Name, a.ID, a.Claims, a.Resolved, a.Remote,
				statDur(a.TimeToClaim, a.TimeToClaim.P50), statDur(a.TimeToClaim, a.TimeToClaim.P90), dur(a.OnSite), dur(a.Held))
		}
		tw.Flush()
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// csvHeader is the one table the CSV holds: a row per section and key,
// the columns that do not apply to a section left empty.
var csvHeader = []string{"section", "key", "name", "checkouts", "interventions", "per_100_checkouts",
	"fixed_by_shopper", "needed_action", "resolved_remotely",
	"time_to_claim_p50_s", "time_to_claim_p90_s", "time_to_arrive_p50_s", "time_to_arrive_p90_s",
	"time_to_resolve_p50_s", "time_to_resolve_p90_s", "mean_escalation_depth", "attendant_time_s",
	"claims", "resolved", "time_on_site_s"}

// WriteCSV writes the report as one table (csvHeader): sections total,
// kind, item, lane and attendant.
func WriteCSV(w io.Writer, r Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	rec := func(section string, x Row) []string {
		checkouts := ""
		if section == "total" || section == "lane" {
			checkouts = strconv.Itoa(x.Checkouts)
		}
		return []string{section, x.Key, x.Name, checkouts, strconv.Itoa(x.Interventions), f(x.Per100),
			f(x.FixedByShopper), f(x.NeededAction), f(x.Remote),
			statF(x.TimeToClaim, x.TimeToClaim.P50), statF(x.TimeToClaim, x.TimeToClaim.P90),
			statF(x.TimeToArrive, x.TimeToArrive.P50), statF(x.TimeToArrive, x.TimeToArrive.P90),
			statF(x.TimeToResolve, x.TimeToResolve.P50), statF(x.TimeToResolve, x.TimeToResolve.P90),
			f(x.MeanDepth), f(x.AttendantTime), "", "", ""}
	}
	rows := [][]string{rec("total", r.Total)}
	for _, x := range r.Kinds {
		rows = append(rows, rec("kind", x))
	}
	for _, x := range r.Items {
		rows = append(rows, rec("item", x))
	}
	for _, x := range r.Lanes {
		rows = append(rows, rec("lane", x))
	}
	for _, a := range r.Attendants {
		row := make([]string, len(csvHeader))
		row[0], row[1], row[2] = "attendant", a.ID, a.Name
		row[8] = ratioF(a.Remote, a.Resolved)
		row[9], row[10] = statF(a.TimeToClaim, a.TimeToClaim.P50), statF(a.TimeToClaim, a.TimeToClaim.P90)
		row[16] = f(a.Held)
		row[17], row[18], row[19] = strconv.Itoa(a.Claims), strconv.Itoa(a.Resolved), f(a.OnSite)
		rows = append(rows, row)
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	return nil
}

// f is a number for the CSV: up to three decimals, no trailing zeros.
func f(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// statF is a percentile of s for the CSV, empty when s has none.
func statF(s Stat, v float64) string {
	if s.N == 0 {
		return ""
	}
	return f(v)
}

func ratioF(n, of int) string {
	if of == 0 {
		return ""
	}
	return f(ratio(n, of))
}

// num is a number for the text: one decimal.
func num(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }

// pct is a share for the text.
func pct(x float64) string { return strconv.FormatFloat(100*x, 'f', 0, 64) + "%" }

// statDur is a percentile of s for the text, "-" when s has none.
func statDur(s Stat, v float64) string {
	if s.N == 0 {
		return "-"
	}
	return dur(v)
}

// dur is a time in seconds for the text: 12.3s, 4m05s, 2h10m.
func dur(s float64) string {
	switch {
	case s < 60:
		return strconv.FormatFloat(s, 'f', 1, 64) + "s"
	case s < 3600:
		n := int(math.Round(s))
		return fmt.Sprintf("%dm%02ds", n/60, n%60)
	}
	n := int(math.Round(s / 60))
	return fmt.Sprintf("%dh%02dm", n/60, n%60)
}

// plural is n things: "1 checkout", "2 checkouts".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}
