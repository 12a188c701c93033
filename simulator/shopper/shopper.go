package shopper

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/sco-project/sco/protocol"
	"github.com/sco-project/sco/simulator/harness"
)

// Item is something on the shelf.
type Item struct {
	GTIN    string
	WeightG int // 0 for no_bag items
	Age     bool
}

// Shelf is what random shoppers pick from: the demo catalogue.
var Shelf = []Item{
	{GTIN: harness.GTINCola, WeightG: 355},
	{GTIN: harness.GTINPencils, WeightG: 180},
	{GTIN: harness.GTINBread, WeightG: 800},
	{GTIN: "5000159407236", WeightG: 50},
	{GTIN: "9780201379624", WeightG: 400},
	{GTIN: "5449000000996", WeightG: 1560},
	{GTIN: harness.GTINChair},
}

// Wine is the age-restricted item.
var Wine = Item{GTIN: harness.GTINWine, WeightG: 1250, Age: true}

// Rates are the chances of trouble, per item or per basket. The zero value
// is a perfect shopper; DefaultRates are what stores report.
type Rates struct {
	NoBag      float64 // per item: scanned but never bagged
	WrongItem  float64 // per item: bags something of another weight
	BadScan    float64 // per item: the barcode will not read
	Unexpected float64 // per item: a handbag lands in the bagging area
	Removed    float64 // per item: lifts a bagged item back out
	AgeItem    float64 // per basket: buys wine
	Help       float64 // per basket: presses help
	// SelfFix is the chance a shopper fixes an unexpected item or a
	// removed one before the attendant arrives.
	SelfFix float64
}

// DefaultRates: most items go through; about one basket in three needs a
// person, which is what busy stores see.
var DefaultRates = Rates{NoBag: 0.03, WrongItem: 0.02, BadScan: 0.02, Unexpected: 0.02, Removed: 0.015, AgeItem: 0.1, Help: 0.03, SelfFix: 0.5}

// Opts configures a shopper.
type Opts struct {
	Rates Rates
	// Items per basket, uniformly in [MinItems, MaxItems]; 0 means 3..8.
	MinItems, MaxItems int
	// Pace is the pause between a shopper's actions; 0 means 700 ms.
	Pace time.Duration
	// Patience bounds how long a shopper waits for help before walking
	// off (the basket is then abandoned on the lane); 0 means 2 minutes.
	Patience time.Duration
	// Log, if not nil, is told what the shopper does.
	Log func(format string, args ...any)
}

// Shopper is one random shopper at one lane.
type Shopper struct {
	lane *harness.Lane
	obs  *harness.Observer
	rng  *rand.Rand
	o    Opts
}

// New returns a shopper for lane, drawing from seed.
func New(s *harness.Store, lane *harness.Lane, seed uint64, o Opts) *Shopper {
	if o.MinItems == 0 && o.MaxItems == 0 {
		o.MinItems, o.MaxItems = 3, 8
	}
	if o.MaxItems < o.MinItems {
		o.MaxItems = o.MinItems
	}
	if o.Pace == 0 {
		o.Pace = 700 * time.Millisecond
	}
	if o.Patience == 0 {
		o.Patience = 2 * time.Minute
	}
	if o.Log == nil {
		o.Log = func(string, ...any) {}
	}
	return &Shopper{lane: lane, obs: s.Observer, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), o: o}
}

// Checkout runs one basket, from the first scan to paying. It returns when
// the shopper paid, walked off, or ctx ended.
func (sh *Shopper) Checkout(ctx context.Context) error {
	n := sh.o.MinItems + sh.rng.IntN(sh.o.MaxItems-sh.o.MinItems+1)
	basket := make([]Item, 0, n+1)
	for range n {
		basket = append(basket, Shelf[sh.rng.IntN(len(Shelf))])
	}
	if sh.chance(sh.o.Rates.AgeItem) {
		basket = append(basket, Wine)
	}
	var bagged []Item
	for i, it := range basket {
		if err := sh.pause(ctx); err != nil {
			return err
		}
		if sh.chance(sh.o.Rates.BadScan) {
			// A torn label: it fails, and fails again, until someone comes.
			for !sh.inAssist() {
				sh.o.Log("scans a torn label")
				if err := sh.lane.Scanner.Scan(tornLabel(it.GTIN), ""); err != nil {
					return err
				}
				if err := sh.pause(ctx); err != nil {
					return err
				}
			}
			if err := sh.waitServed(ctx); err != nil {
				return err
			}
			continue
		}
		if err := sh.lane.Scanner.Scan(it.GTIN, ""); err != nil {
			return err
		}
		if it.Age {
			sh.o.Log("scans wine")
		}
		if it.WeightG == 0 {
			continue
		}
		if err := sh.pause(ctx); err != nil {
			return err
		}
		switch {
		case sh.chance(sh.o.Rates.NoBag):
			sh.o.Log("forgets to bag item %d", i+1)
			if err := sh.waitServed(ctx); err != nil {
				return err
			}
			continue
		case sh.chance(sh.o.Rates.WrongItem):
			sh.o.Log("bags the wrong thing")
			sh.lane.Scale.Place(it.WeightG + 250 + sh.rng.IntN(500))
			if err := sh.waitServed(ctx); err != nil {
				return err
			}
			continue
		}
		sh.lane.Scale.Place(it.WeightG)
		if err := sh.waitAccepted(ctx); err != nil {
			return err
		}
		bagged = append(bagged, it)
		switch {
		case sh.chance(sh.o.Rates.Unexpected):
			sh.o.Log("puts a handbag in the bagging area")
			if err := sh.trouble(ctx, 900); err != nil {
				return err
			}
		case len(bagged) > 0 && sh.chance(sh.o.Rates.Removed):
			sh.o.Log("lifts an item back out")
			if err := sh.trouble(ctx, -bagged[len(bagged)-1].WeightG); err != nil {
				return err
			}
		}
	}
	if sh.chance(sh.o.Rates.Help) {
		sh.o.Log("presses help")
		if _, err := sh.lane.Post("help"); err != nil {
			return err
		}
		if err := sh.waitServed(ctx); err != nil {
			return err
		}
	}
	// Pay, waiting for the attendant if something is still open.
	deadline := time.Now().Add(sh.o.Patience)
	for time.Now().Before(deadline) {
		if err := sh.pause(ctx); err != nil {
			return err
		}
		code, err := sh.lane.Post("finish")
		if err != nil {
			return err
		}
		if code < 400 {
			sh.lane.Scale.Set(0) // takes the bags
			return nil
		}
		if err := sh.waitServed(ctx); err != nil {
			return err
		}
	}
	return fmt.Errorf("shopper: walked off lane %s after waiting %v", sh.lane.ID, sh.o.Patience)
}

// trouble puts (delta > 0) or lifts (delta < 0) weight in the bagging
// area, waits for the alert, then either fixes it or waits for help.
func (sh *Shopper) trouble(ctx context.Context, delta int) error {
	if delta > 0 {
		sh.lane.Scale.Place(delta)
	} else {
		sh.lane.Scale.Remove(-delta)
	}
	if !sh.chance(sh.o.Rates.SelfFix) {
		return sh.waitServed(ctx)
	}
	if err := sh.until(ctx, sh.inAssist); err != nil {
		return err
	}
	sh.o.Log("fixes it before anyone comes")
	if delta > 0 {
		sh.lane.Scale.Remove(delta)
	} else {
		sh.lane.Scale.Place(-delta)
	}
	return sh.waitCalm(ctx)
}

func tornLabel(gtin string) string {
	b := []byte(gtin)
	b[len(b)-1] = '0' + (b[len(b)-1]-'0'+1)%10 // wrong check digit
	return string(b)
}

func (sh *Shopper) chance(p float64) bool { return p > 0 && sh.rng.Float64() < p }

func (sh *Shopper) pause(ctx context.Context) error {
	// Shoppers are not metronomes: 50% to 150% of the pace.
	d := sh.o.Pace/2 + time.Duration(sh.rng.Int64N(int64(sh.o.Pace)+1))
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (sh *Shopper) state() protocol.LaneState {
	st, _ := sh.obs.LaneState(sh.lane.ID)
	return st
}

func (sh *Shopper) inAssist() bool { return sh.state().State == protocol.StateAssist }

func (sh *Shopper) until(ctx context.Context, cond func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, sh.o.Patience)
	defer cancel()
	return sh.obs.Until(ctx, cond)
}

// waitAccepted waits until the lane has weighed the item: it asks for
// the next one (or something went wrong and an attendant was called).
func (sh *Shopper) waitAccepted(ctx context.Context) error {
	return sh.until(ctx, func() bool {
		st := sh.state()
		return strings.Contains(st.Prompt, "next item") || st.State == protocol.StateAssist
	})
}

// waitCalm waits until the lane is back to plain shopping.
func (sh *Shopper) waitCalm(ctx context.Context) error {
	return sh.until(ctx, func() bool {
		st := sh.state()
		return st.State == protocol.StateShopping || st.State == protocol.StateIdle
	})
}

// waitServed waits until the lane is back to plain shopping: an attendant
// resolved what was open (or it was cancelled).
func (sh *Shopper) waitServed(ctx context.Context) error {
	if err := sh.until(ctx, func() bool {
		st := sh.state()
		return st.State == protocol.StateAssist
	}); err != nil {
		return err
	}
	return sh.until(ctx, func() bool {
		st := sh.state()
		return st.State == protocol.StateShopping || st.State == protocol.StateIdle
	})
}
