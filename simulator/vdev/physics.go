package vdev

import (
	"math"
	"math/rand/v2"
	"time"
)

// PhysicsOpts configures the scale's physics. The zero value is a 30 kg
// scale with a 1 g division that settles 400 ms after a change, jitters
// by up to 3 g while moving, settles within 1 g of the true load, and
// zeroes within ±2% of its capacity around the power-up zero.
//
// A realistic bagging scale (the quality run's): Settle 200 ms,
// SettleMax 900 ms, Noise 30, Division 2, StableNoise 2 (one division).
type PhysicsOpts struct {
	// Settle is how long the weight moves after a change; 0 means 400 ms.
	Settle time.Duration
	// SettleMax, when above Settle, draws each change's settling time
	// uniformly from [Settle, SettleMax]: a light item dropped in a bag
	// settles sooner than a bottle that rocks.
	SettleMax time.Duration
	// Division is the scale's display step in grams: every reading is a
	// whole number of divisions; 0 means 1 g.
	Division int
	// Noise is the jitter in grams while moving; 0 means 3, negative
	// means none.
	Noise int
	// StableNoise bounds the offset in grams of a settled reading from
	// the true load, drawn once per change (a real scale does not flicker
	// once stable); 0 means 1, negative means none. An empty platter
	// always settles at exactly zero (zero tracking).
	StableNoise int
	// Capacity in grams; 0 means 30000.
	Capacity int
	// ZeroRange is how far in grams from the power-up zero the scale may
	// be zeroed; 0 means 2% of Capacity.
	ZeroRange int
	// Seed seeds the noise, so a run can be replayed.
	Seed uint64
}

// Physics is the pure model of what sits on the platter and what the load
// cell reports at a given moment. It does no I/O and never reads the
// clock: every call takes now. It is not safe for concurrent use.
type Physics struct {
	o   PhysicsOpts
	rng *rand.Rand

	load      int           // true gross load in grams
	from      float64       // displayed gross when the last change began
	changedAt time.Time     // when the last change began
	settle    time.Duration // how long the last change moves
	offset    int           // settled offset from load, drawn per change
	zero      int           // gross that reads as zero
	tare      int           // tare in grams, subtracted after zero
}

// Sample is what the load cell says at one moment.
type Sample struct {
	Net    int  // grams: gross minus zero minus tare, noise included
	Gross  int  // grams on the platter as displayed, noise included
	Motion bool // still settling
	Over   bool // gross above capacity
	Under  bool // net below zero
	AtZero bool // settled at exactly zero net
	Tared  bool // a tare is active
}

// NewPhysics returns an empty scale, settled and zeroed at now.
func NewPhysics(o PhysicsOpts, now time.Time) *Physics {
	if o.Settle == 0 {
		o.Settle = 400 * time.Millisecond
	}
	if o.Noise == 0 {
		o.Noise = 3
	}
	if o.StableNoise == 0 {
		o.StableNoise = 1
	}
	if o.Capacity == 0 {
		o.Capacity = 30000
	}
	if o.ZeroRange == 0 {
		o.ZeroRange = o.Capacity / 50
	}
	if o.SettleMax < o.Settle {
		o.SettleMax = o.Settle
	}
	if o.Division <= 0 {
		o.Division = 1
	}
	return &Physics{o: o, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x5ca1e)), changedAt: now.Add(-o.Settle), settle: o.Settle}
}

// Opts returns the options with defaults applied.
func (p *Physics) Opts() PhysicsOpts { return p.o }

// Load is the true gross load in grams.
func (p *Physics) Load() int { return p.load }

// Place puts grams on the platter.
func (p *Physics) Place(grams int, now time.Time) { p.Set(p.load+grams, now) }

// Remove takes grams off the platter.
func (p *Physics) Remove(grams int, now time.Time) { p.Set(p.load-grams, now) }

// Set makes the gross load grams (negative loads are clamped to 0): the
// reading moves from where it is towards grams for Settle, then settles.
func (p *Physics) Set(grams int, now time.Time) {
	if grams < 0 {
		grams = 0
	}
	p.from = p.displayed(now)
	p.load = grams
	p.changedAt = now
	p.settle = p.o.Settle
	if p.o.SettleMax > p.o.Settle {
		p.settle += time.Duration(p.rng.Int64N(int64(p.o.SettleMax-p.o.Settle) + 1))
	}
	p.offset = 0
	if p.o.StableNoise > 0 && grams != p.zero+p.tare && grams != 0 {
		p.offset = p.rng.IntN(2*p.o.StableNoise+1) - p.o.StableNoise
	}
}

// RestsAt is when the last change stops moving.
func (p *Physics) RestsAt() time.Time { return p.changedAt.Add(p.settle) }

// Moving reports whether the reading is still settling at now.
func (p *Physics) Moving(now time.Time) bool { return now.Sub(p.changedAt) < p.settle }

// displayed is the gross reading without jitter: an eased approach from
// the previous reading to the new load, then the load plus its offset.
func (p *Physics) displayed(now time.Time) float64 {
	settled := float64(p.load + p.offset)
	el := now.Sub(p.changedAt)
	if el >= p.settle {
		return settled
	}
	left := 1 - float64(el)/float64(p.settle)
	return settled + (p.from-settled)*left*left
}

// Read samples the load cell at now.
func (p *Physics) Read(now time.Time) Sample {
	moving := p.Moving(now)
	g := p.displayed(now)
	if moving && p.o.Noise > 0 {
		g += float64(p.rng.IntN(2*p.o.Noise+1) - p.o.Noise)
	}
	div := float64(p.o.Division)
	gross := int(math.Round(g/div)) * p.o.Division
	net := gross - p.zero - p.tare
	return Sample{
		Net:    net,
		Gross:  gross,
		Motion: moving,
		Over:   gross > p.o.Capacity,
		Under:  net < 0,
		AtZero: !moving && net == 0,
		Tared:  p.tare != 0,
	}
}

// ZeroResult says what a zero command did.
type ZeroResult int

// Zero results.
const (
	ZeroDone       ZeroResult = iota
	ZeroMoving                // not executed: the weight is moving
	ZeroAboveRange            // not executed: too much on the platter
	ZeroBelowRange            // not executed: less than the power-up zero
)

// Zero makes the present settled gross read as zero, when the scale is
// still and the load is within ZeroRange of the power-up zero. It clears
// the tare.
func (p *Physics) Zero(now time.Time) ZeroResult {
	if p.Moving(now) {
		return ZeroMoving
	}
	g := p.load + p.offset
	switch {
	case g > p.o.ZeroRange:
		return ZeroAboveRange
	case g < -p.o.ZeroRange:
		return ZeroBelowRange
	}
	p.zero, p.tare = g, 0
	return ZeroDone
}

// Tare subtracts the present settled net from every later reading and
// returns it; ok is false while moving or when the net is not positive.
func (p *Physics) Tare(now time.Time) (grams int, ok bool) {
	if p.Moving(now) {
		return 0, false
	}
	net := p.load + p.offset - p.zero - p.tare
	if net <= 0 {
		return 0, false
	}
	p.tare += net
	return p.tare, true
}

// ClearTare removes the tare.
func (p *Physics) ClearTare() { p.tare = 0 }
