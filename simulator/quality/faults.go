package quality

import (
	"time"

	"github.com/sco-project/sco/kiosk"
	"github.com/sco-project/sco/protocol"
)

// Fault is a planted fault: what a shopper does wrong, and the alert that
// must catch it.
type Fault struct {
	Name string
	Want protocol.Kind
}

// Faults are the planted faults of the quality run.
var Faults = []Fault{
	{"item bagged without a scan", protocol.KindUnexpectedItem},
	{"cheaper item scanned, dearer one bagged", protocol.KindWeightMismatch},
	{"item taken back out", protocol.KindItemRemoved},
	{"item scanned, never bagged", protocol.KindBagTimeout},
	{"third item skipped from bagging", protocol.KindSkipBag},
}

// watchLimit is how long after planting a fault the run waits for an
// alert.
const watchLimit = 2 * time.Minute

// faultCheckout runs a shopper who shops cleanly for a while, then does
// fault f and waits, neither fixing it nor going on: the lane must raise
// f.Want. It returns the first alert raised after the fault (nil: none).
// The attendant answers alerts before the fault, not after it.
func (l *lane) faultCheckout(basket []*product, f int, s *shelfIndex) *protocol.Alert {
	l.decide = cleanResolution
	k := len(basket) / 2
	if f == 2 && k == 0 {
		k = 1 // something must be in the bag to take out
	}
	bagIn := false
	ok := true
	for i := 0; i < k && ok; i++ {
		u := l.unit(basket[i])
		if ok = l.scanWhenCalm(u, nil, &bagIn, true); !ok {
			break
		}
		if u.p.baggable() {
			l.wait(l.between(minPlace, maxPlace))
			l.place(u)
		} else if u.p.heavy {
			l.press(kiosk.EvSkipBag)
		}
		ok = l.settle(nil, &bagIn, true)
		l.wait(l.between(minThink, maxThink))
	}
	if !ok {
		l.leave()
		return nil
	}
	l.away, l.attendAt = true, time.Time{}
	from := len(l.raised)
	var react func()
	switch f {
	case 0: // an item goes into the bag unscanned
		l.place(l.unit(s.pick(l, s.plain)))
	case 1: // scans the cheap one, bags the dear one
		pair := s.swaps[l.rng.IntN(len(s.swaps))]
		cheap, dear := l.unit(pair[0]), l.unit(pair[1])
		l.scan(cheap)
		l.wait(l.between(minPlace, maxPlace))
		l.place(dear)
		replaced := false
		react = func() {
			if p := l.eng.Snapshot().Pending; p != nil && p.Mismatch && !replaced {
				// "The weight does not match": lifts it and puts it back.
				replaced = true
				l.wait(l.between(time.Second, 2*time.Second))
				l.lift(dear)
				l.wait(l.between(500*time.Millisecond, 1500*time.Millisecond))
				l.place(dear)
			}
		}
	case 2: // takes a bagged item back out
		s0 := l.eng.Snapshot()
		var bagged []*unit
		for _, u := range l.onScale {
			if u.p != nil && l.accounted(&s0, u) {
				bagged = append(bagged, u)
			}
		}
		if len(bagged) == 0 {
			l.leave()
			return nil
		}
		l.lift(bagged[l.rng.IntN(len(bagged))])
	case 3: // scans an item and keeps it
		l.scan(l.unit(s.pick(l, s.plain)))
	case 4: // skips bagging three items
		for n := range 3 {
			u := l.unit(s.pick(l, s.plain))
			l.scan(u)
			l.wait(l.between(time.Second, 2*time.Second))
			l.press(kiosk.EvSkipBag)
			if n < 2 {
				l.wait(l.between(minThink, maxThink))
			}
		}
	}
	var got *protocol.Alert
	for end := l.now.Add(watchLimit); l.now.Before(end) && got == nil; {
		if react != nil {
			react()
		}
		l.wait(l.poll)
		for _, a := range l.raisedSince(from) {
			if a.Kind != protocol.KindAgeCheck {
				got = &a
				break
			}
		}
	}
	l.leave()
	return got
}

// shelfIndex sorts the shelf for the shoppers.
type shelfIndex struct {
	all   []*product
	off   map[string]bool // GTIN-14 of the products with a wrong catalogue weight
	plain []*product      // baggable, known weight, not age-restricted: for faults
	swaps [][2]*product   // cheaper, dearer: weights far enough apart for any scale
	heavy []*product
}

func indexShelf(ps []*product, pol kiosk.Policy) *shelfIndex {
	s := &shelfIndex{all: ps, off: map[string]bool{}}
	for _, p := range ps {
		if p.off() {
			s.off["0"+p.gtin] = true
		}
		switch {
		case p.heavy:
			s.heavy = append(s.heavy, p)
		case p.baggable() && p.catWeight > 0 && !p.age && p.mean > float64(pol.DefaultToleranceG):
			s.plain = append(s.plain, p)
		}
	}
	// A swap a scale can see: the weights differ by more than both
	// tolerances together (a same-weight swap is invisible to any scale).
	for _, a := range s.plain {
		for _, b := range s.plain {
			ta, tb := tolOf(a, pol), tolOf(b, pol)
			if a.price < b.price && abs(a.mean-b.mean) > float64(2*(ta+tb)) {
				s.swaps = append(s.swaps, [2]*product{a, b})
			}
		}
	}
	return s
}

func tolOf(p *product, pol kiosk.Policy) int {
	if p.catTol > 0 {
		return p.catTol
	}
	return pol.DefaultToleranceG
}

func (s *shelfIndex) pick(l *lane, from []*product) *product { return from[l.rng.IntN(len(from))] }
