package quality

import (
	"time"

	"github.com/sco-project/sco/kiosk"
	"github.com/sco-project/sco/protocol"
)

// bagMode is how a shopper with their own bag goes about it.
type bagMode int

const (
	bagNone      bagMode = iota
	bagAtIdle            // puts it down before the first scan
	bagAnnounced         // presses "own bag" mid-session, then puts it down
	bagPrompted          // puts it down mid-session, sees "unexpected item", presses "own bag"
)

// habits are one clean shopper's ways.
type habits struct {
	quick float64 // per item: puts it down and scans the next before the scale settled
	twos  float64 // per item: scans two and puts both down at once
	bag   bagMode
	// buttons: the lane has the own-bag and skip-bagging buttons
	// (false: the v1 screen; the shopper leaves heavy items in the trolley
	// and puts the bag down anyway).
	buttons bool
}

// Shopper timings.
const (
	minThink, maxThink = 1500 * time.Millisecond, 4 * time.Second // from one item to the next scan
	minPlace, maxPlace = 600 * time.Millisecond, 2 * time.Second  // from a scan to the item in the bag
	settleLimit        = 10 * time.Minute                         // a checkout stuck longer is reported
)

// checkoutResult is what one clean checkout did.
type checkoutResult struct {
	items  int
	alerts []protocol.Alert // raised, status open
	stuck  bool
}

// cleanCheckout runs a shopper who does everything right, in their own
// way: quick hands, two items at once, their own bag, heavy items left in
// the trolley (skip bagging), and a catalogue that has some weights
// wrong. Every alert it raises, but age_check, is a false alert.
func (l *lane) cleanCheckout(basket []*product, h habits) checkoutResult {
	l.decide = cleanResolution
	var bag *unit
	if h.bag != bagNone {
		bag = &unit{grams: 15 + l.rng.IntN(430), line: -1}
	}
	bagIn := false
	if h.bag == bagAtIdle {
		l.place(bag)
		bagIn = true
		l.wait(l.between(minThink, maxThink))
	}
	ok := true
	for i := 0; i < len(basket) && ok; i++ {
		if i > 0 && bag != nil && !l.has(bag) {
			// Remembers the bag after the first item.
			if h.bag == bagAnnounced && h.buttons {
				l.press(kiosk.EvOwnBag)
				l.wait(l.between(minPlace, maxPlace))
			}
			l.place(bag)
			bagIn = h.bag == bagAnnounced && h.buttons
			if ok = l.settle(bag, &bagIn, h.buttons); !ok {
				break
			}
			l.wait(l.between(minThink, maxThink))
		}
		a := l.unit(basket[i])
		var b *unit
		if i+1 < len(basket) && a.p.baggable() && basket[i+1].baggable() && l.chance(h.quick+h.twos) {
			b = l.unit(basket[i+1])
			i++
		}
		if !l.scanWhenCalm(a, bag, &bagIn, h.buttons) {
			ok = false
			break
		}
		switch {
		case b != nil && l.chance(h.twos/(h.quick+h.twos)):
			// Two at once: scan, scan, both into the bag together.
			l.wait(l.between(400*time.Millisecond, time.Second))
			l.scan(b) // held while a waits for its weight
			l.wait(l.between(minPlace, maxPlace))
			l.place(a)
			l.wait(l.between(0, 150*time.Millisecond))
			l.place(b)
		case b != nil:
			// Quick hands: puts a down, scans b straight away, puts b
			// down before the scale has settled.
			l.wait(l.between(minPlace, maxPlace))
			l.place(a)
			l.wait(l.between(250*time.Millisecond, 600*time.Millisecond))
			l.scan(b)
			l.wait(l.between(200*time.Millisecond, 500*time.Millisecond))
			l.place(b)
		case a.p.heavy:
			if h.buttons {
				l.wait(l.between(time.Second, 3*time.Second))
				l.press(kiosk.EvSkipBag)
			}
		case a.p.noBag:
		default:
			l.wait(l.between(minPlace, maxPlace))
			l.place(a)
		}
		ok = l.settle(bag, &bagIn, h.buttons)
		if i+1 < len(basket) {
			l.wait(l.between(minThink, maxThink))
		}
	}
	if ok {
		ok = l.finish(bag, &bagIn, h.buttons)
	}
	res := checkoutResult{items: len(l.scanned), alerts: l.raised, stuck: !ok}
	l.leave()
	return res
}

// leave: the shopper takes everything; the next one comes after a
// while.
func (l *lane) leave() {
	l.takeAll()
	l.wait(l.between(5*time.Second, 40*time.Second))
	l.begin()
}

// cleanResolution is what the attendant does for a shopper who did
// nothing wrong: accept what is there.
func cleanResolution(a protocol.Alert) protocol.Action {
	switch a.Kind {
	case protocol.KindAgeCheck:
		return protocol.ActionAgeOK
	case protocol.KindHelp, protocol.KindUnknownItem, protocol.KindDeviceFault:
		return protocol.ActionClear
	}
	return protocol.ActionApprove
}

// scanWhenCalm scans u once the screen says all is well (an attendant may
// be on the way).
func (l *lane) scanWhenCalm(u *unit, bag *unit, bagIn *bool, buttons bool) bool {
	for range 20 {
		if !l.settle(bag, bagIn, buttons) {
			return false
		}
		if l.scan(u) {
			return true
		}
	}
	return false
}

// finish pays, waiting for the attendant when the lane says so (an age
// check).
func (l *lane) finish(bag *unit, bagIn *bool, buttons bool) bool {
	for range 60 {
		if !l.settle(bag, bagIn, buttons) {
			return false
		}
		if l.press(kiosk.EvFinish) == "" {
			return true
		}
		l.wait(l.between(2*time.Second, 5*time.Second))
	}
	return false
}

// settle waits until the lane is calm, reacting as a shopper does to what
// the screen says, once they have read it: puts the scanned item down when
// it is not; when the weight does not match, takes off what does not
// belong yet (never their own bag) and puts the scanned item back; when
// the lane asks for an item that is already down, lifts it and puts it
// back once; announces their own bag when the lane calls it unexpected
// (or takes off the last thing put down); puts back what the lane says
// was removed; and while an attendant is called, waits. false: not calm
// after settleLimit.
func (l *lane) settle(bag *unit, bagIn *bool, buttons bool) bool {
	end := l.now.Add(settleLimit)
	retried := map[int]bool{}
	var seen screen
	var readAt time.Time
	for l.now.Before(end) {
		if l.calm() {
			return true
		}
		s := l.eng.Snapshot()
		c := l.screen(&s, retried)
		if c != seen {
			seen = c
			readAt = l.now.Add(l.between(c.read(), 2*c.read()))
		}
		if c.what != nothing && !l.now.Before(readAt) {
			l.react(c, &s, bag, bagIn, buttons, retried)
			seen = screen{}
		}
		l.wait(l.poll)
	}
	return l.calm()
}

// screen is what the lane asks of the shopper now.
type screen struct {
	what int
	line int
}

const (
	nothing    = iota // calm, or waiting for the attendant or the scale
	placeIt           // the scanned item is not down
	mismatch          // the weight does not match
	retry             // the lane asks for an item that is already down
	unexpected        // unexpected item in the bagging area
	removed           // item removed from the bagging area
)

// read is how long the shopper takes to notice and read it.
func (c screen) read() time.Duration {
	if c.what == placeIt {
		return 500 * time.Millisecond
	}
	return time.Second
}

func (l *lane) screen(s *kiosk.Snapshot, retried map[int]bool) screen {
	switch {
	case l.blocked():
	case s.Pending != nil:
		u := l.scanned[s.Pending.Line]
		switch {
		case s.Pending.Mismatch:
			return screen{mismatch, u.line}
		case !l.has(u):
			return screen{placeIt, u.line}
		case s.Pending.Prompts > 0 && !retried[u.line]:
			return screen{retry, u.line}
		}
	case s.Anomaly != nil && s.Anomaly.Alert == "" && s.Anomaly.Gain:
		return screen{unexpected, -1}
	case s.Anomaly != nil && s.Anomaly.Alert == "":
		return screen{removed, -1}
	}
	return screen{nothing, -1}
}

func (l *lane) react(c screen, s *kiosk.Snapshot, bag *unit, bagIn *bool, buttons bool, retried map[int]bool) {
	ownBag := bag != nil && !*bagIn && l.has(bag) && buttons
	switch c.what {
	case placeIt:
		if u := l.scanned[c.line]; !u.p.heavy { // nobody lifts a crate of water into the bagging area
			l.place(u)
		}
	case mismatch:
		if ownBag {
			l.press(kiosk.EvOwnBag)
			*bagIn = true
			return
		}
		for _, x := range l.loose(s, bag, *bagIn) {
			if x != bag { // nobody takes their own bag away
				l.lift(x)
			}
		}
		l.wait(l.between(500*time.Millisecond, 1500*time.Millisecond))
		if u := l.scanned[c.line]; !l.has(u) {
			l.place(u)
		}
	case retry:
		retried[c.line] = true
		u := l.scanned[c.line]
		l.lift(u)
		l.wait(l.between(800*time.Millisecond, 1500*time.Millisecond))
		l.place(u)
	case unexpected:
		if ownBag {
			l.press(kiosk.EvOwnBag)
			*bagIn = true
			return
		}
		loose := l.loose(s, bag, *bagIn)
		for i := len(loose) - 1; i >= 0; i-- {
			if loose[i] != bag {
				l.lift(loose[i])
				return
			}
		}
	case removed:
		for _, u := range l.scanned {
			if !l.has(u) && u.p.baggable() && l.accounted(s, u) {
				l.place(u)
				return
			}
		}
	}
}

// loose are the things in the bagging area the lane has not accepted:
// scanned items not yet bagged, and the bag before it was announced.
func (l *lane) loose(s *kiosk.Snapshot, bag *unit, bagIn bool) []*unit {
	var out []*unit
	for _, u := range l.onScale {
		if (u == bag && !bagIn) || (u != bag && !l.accounted(s, u)) {
			out = append(out, u)
		}
	}
	return out
}
