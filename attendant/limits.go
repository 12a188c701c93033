package attendant

import "time"

// bucket is a token bucket: a pager's allowance of commands.
type bucket struct {
	tokens float64
	at     time.Time
}

// allow takes one of who's tokens (limits.pager_cmds_per_s, burst
// limits.pager_cmd_burst) at the event's time, and reports whether
// there was one. Ids not on the roster share one bucket, so that no
// number of them grows the dispatcher.
func (d *Dispatcher) allow(now time.Time, who string) bool {
	if _, ok := d.roster[who]; !ok {
		who = ""
	}
	l := d.cfg.Limits
	burst := float64(l.PagerCmdBurst)
	b := d.buckets[who]
	if b == nil {
		b = &bucket{tokens: burst, at: now}
		d.buckets[who] = b
	}
	if dt := now.Sub(b.at); dt > 0 {
		b.tokens = min(burst, b.tokens+dt.Seconds()*l.PagerCmdsPerS)
		b.at = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
