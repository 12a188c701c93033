package vdev

import (
	"testing"
	"time"
)

// The realistic bagging scale of the quality run: each change settles in
// 200-900 ms, readings wander while moving, are whole divisions, sit
// within one division of the load at rest, and read exactly zero empty.
func TestRealisticPhysics(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	p := NewPhysics(PhysicsOpts{Settle: 200 * time.Millisecond, SettleMax: 900 * time.Millisecond, Noise: 30, Division: 2, StableNoise: 2, Seed: 7}, t0)
	now := t0
	minSettle, maxSettle := time.Hour, time.Duration(0)
	for i := range 300 {
		load := 0
		if i%3 != 0 {
			load = 50 + 37*i
		}
		p.Set(load, now)
		var settled time.Duration
		for el := time.Duration(0); el <= time.Second; el += 10 * time.Millisecond {
			s := p.Read(now.Add(el))
			if s.Gross%2 != 0 {
				t.Fatalf("reading %d g is not a whole division", s.Gross)
			}
			if !s.Motion {
				if settled == 0 {
					settled = el
				}
				if d := s.Gross - load; d < -3 || d > 3 { // one division, and the rounding to it
					t.Fatalf("at rest %d g for a load of %d g", s.Gross, load)
				}
				if load == 0 && (s.Gross != 0 || !s.AtZero) {
					t.Fatalf("empty reads %+v", s)
				}
			}
		}
		minSettle, maxSettle = min(minSettle, settled), max(maxSettle, settled)
		now = now.Add(2 * time.Second)
	}
	if minSettle < 200*time.Millisecond || minSettle > 260*time.Millisecond || maxSettle > 900*time.Millisecond || maxSettle < 840*time.Millisecond {
		t.Fatalf("settling took %v to %v, want about 200 to 900 ms", minSettle, maxSettle)
	}
	// While moving the reading wanders around the eased approach.
	p.Set(1000, now)
	spread := map[int]bool{}
	for range 50 {
		s := p.Read(now.Add(10 * time.Millisecond))
		spread[s.Gross] = true
	}
	if len(spread) < 10 {
		t.Fatalf("moving readings took only %d values", len(spread))
	}
}
