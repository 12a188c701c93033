package testsupport

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metrics is one scrape of a /metrics endpoint, parsed with the
// Prometheus text parser.
type Metrics map[string]*dto.MetricFamily

// Scrape gets url (a /metrics endpoint) and parses it.
func Scrape(t testing.TB, url string) Metrics {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("testsupport: scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("testsupport: scrape %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("testsupport: scrape %s: %v", url, err)
	}
	return fams
}

// Series lists the samples of a family that are not zero as
// "name{label=value,...} value" (labels sorted, those in drop left out),
// sorted, for an exact comparison: what is not listed is zero. A
// histogram is listed by its count, as "name_count{...} n". A family
// that is not there lists nothing.
func (m Metrics) Series(name string, drop ...string) []string {
	f, ok := m[name]
	if !ok {
		return nil
	}
	var out []string
	for _, s := range f.GetMetric() {
		var labels []string
		for _, l := range s.GetLabel() {
			if !contains(drop, l.GetName()) {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
		}
		sort.Strings(labels)
		var v float64
		n := name
		switch f.GetType() {
		case dto.MetricType_COUNTER:
			v = s.GetCounter().GetValue()
		case dto.MetricType_GAUGE:
			v = s.GetGauge().GetValue()
		case dto.MetricType_HISTOGRAM:
			v, n = float64(s.GetHistogram().GetSampleCount()), name+"_count"
		default:
			v = s.GetUntyped().GetValue()
		}
		if v != 0 {
			out = append(out, fmt.Sprintf("%s{%s} %g", n, strings.Join(labels, ","), v))
		}
	}
	sort.Strings(out)
	return out
}

// Value is the value of the one sample of family name whose labels
// include every name=value pair given (a histogram's is its count); 0
// when there is none.
func (m Metrics) Value(name string, labels ...string) float64 {
	f, ok := m[name]
	if !ok {
		return 0
	}
	for _, s := range f.GetMetric() {
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range s.GetLabel() {
				if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
					found = true
				}
			}
			match = match && found
		}
		if !match {
			continue
		}
		switch f.GetType() {
		case dto.MetricType_COUNTER:
			return s.GetCounter().GetValue()
		case dto.MetricType_GAUGE:
			return s.GetGauge().GetValue()
		case dto.MetricType_HISTOGRAM:
			return float64(s.GetHistogram().GetSampleCount())
		}
		return s.GetUntyped().GetValue()
	}
	return 0
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// ScrapeUntil scrapes url until ok holds of a scrape, and returns that
// scrape; the test fails when timeout passes first. (An HTTP endpoint
// has nothing to wait on but its next answer: it is polled every 20ms.)
func ScrapeUntil(t testing.TB, url string, timeout time.Duration, ok func(Metrics) bool) Metrics {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		m := Scrape(t, url)
		if ok(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("testsupport: %s not as expected within %v", url, timeout)
		}
		<-time.After(20 * time.Millisecond)
	}
}
