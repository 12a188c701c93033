package kiosk_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/kiosk"
)

// A shopper scans a cola and never bags it: two nudges, then an alert;
// placing the item cancels the alert.
func ExampleEngine() {
	cat, err := kiosk.ParseCatalog(strings.NewReader(
		"gtin,name,price_cents,weight_g,tolerance_g,flags\n5000112637922,Cola 330ml,89,355,15,\n"),
		"catalog.csv", nil, 20)
	if err != nil {
		panic(err)
	}
	n := 0
	e := kiosk.NewEngine(kiosk.EngineConfig{Store: "s1", Lane: "3", Zone: "front",
		NewID: func() string { n++; return fmt.Sprint("id", n) }}, cat)
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	show := func(s float64, eff kiosk.Effects) {
		st := e.State()
		fmt.Printf("%4.1fs %-9s %-12s %q\n", s, st.State, st.Light, st.Prompt)
		for _, a := range eff.Alerts {
			fmt.Printf("      alert %s %s %s\n", a.ID, a.Kind, a.Status)
		}
	}
	weigh := func(s float64, g int) {
		var eff kiosk.Effects
		for i := range 3 {
			r := devices.Reading{Status: devices.StatusStable, Grams: g}
			eff = e.Handle(kiosk.Event{Kind: kiosk.EvReading, At: at(s + 0.1*float64(i)), Reading: r})
		}
		show(s, eff)
	}
	weigh(0, 0)
	show(1, e.Handle(kiosk.Event{Kind: kiosk.EvScan, At: at(1), Scan: devices.Scan{Data: "5000112637922", AIM: "]E0"}}))
	for d := e.NextDeadline(); !d.IsZero(); d = e.NextDeadline() {
		show(d.Sub(t0).Seconds(), e.Handle(kiosk.Event{Kind: kiosk.EvTick, At: d}))
	}
	weigh(40, 356)
	// Output:
	//  0.0s idle      green        "Welcome. Please scan your first item."
	//  1.0s shopping  green        "Please place the item in the bagging area."
	// 11.0s attention yellow       "Please place the item in the bagging area."
	// 21.0s attention yellow       "Please place the item in the bagging area."
	// 31.0s assist    yellow_flash "Please place the item in the bagging area. An attendant has been called."
	//       alert id2 bag_timeout open
	// 40.0s shopping  green        "Please scan your next item, or press finish to pay."
	//       alert id2 bag_timeout cancelled
}
