package attendant

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func testConfig(t *testing.T, extra ...Attendant) *Config {
	t.Helper()
	c := &Config{
		Store: "s1",
		Attendants: append([]Attendant{
			{ID: "ana", Name: "Ana", Zone: "front", Roles: []string{"attendant", "age_verifier"}},
			{ID: "ben", Name: "Ben", Zone: "back", Roles: []string{"attendant"}},
			{ID: "sue", Name: "Sue", Zone: "office", Roles: []string{"attendant", "age_verifier", "supervisor"}},
		}, extra...),
		Escalation: Escalation{AckTimeout: 20 * time.Second, ClaimTimeout: 3 * time.Minute, Repeat: 2},
		Zones:      map[string]map[string]time.Duration{"front": {"back": 40 * time.Second, "office": 60 * time.Second}},
	}
	require.NoError(t, c.Validate())
	return c
}

// fx renders effects as short lines, for exact comparisons.
func fxLines(fx Effects) []string {
	var out []string
	for _, r := range fx.Results {
		s := fmt.Sprintf("result %s %s ok=%v", r.To, r.Result.ID, r.Result.OK)
		if r.Result.Error != "" {
			s += " error=" + r.Result.Error
		}
		if r.Result.ClaimedBy != "" {
			s += " claimed_by=" + r.Result.ClaimedBy
		}
		out = append(out, s)
	}
	for _, p := range fx.Pages {
		if p.Page.Withdrawn {
			out = append(out, fmt.Sprintf("withdraw %s %s: %s", p.To, p.Page.Alert, p.Page.Reason))
		} else {
			out = append(out, fmt.Sprintf("page %s %s tier %d", p.To, p.Page.Alert, p.Page.Tier))
		}
	}
	for _, r := range fx.Records {
		s := fmt.Sprintf("record %s %s tier %d", r.Record.ID, r.Record.Status, r.Record.Tier)
		if r.Record.ClaimedBy != "" {
			s += " by " + r.Record.ClaimedBy
		}
		if r.Record.Resolution != "" {
			s += " " + r.Record.Resolution
		}
		if r.Closed {
			s += " closed"
		}
		out = append(out, s)
	}
	for _, a := range fx.Assists {
		if a.Assist == nil {
			out = append(out, "assist "+a.Lane+" clear")
			continue
		}
		out = append(out, fmt.Sprintf("assist %s %s tier %d %s", a.Lane, a.Assist.Status, a.Assist.Tier, a.Assist.Name))
	}
	for _, c := range fx.Commands {
		out = append(out, fmt.Sprintf("command %s %s %s by %s id %s", c.Lane, c.Command.Alert, c.Command.Action, c.Command.By, c.Command.ID))
	}
	return out
}

type harness struct {
	t *testing.T
	d *Dispatcher
}

func newHarness(t *testing.T, cfg *Config, present map[string]string) *harness {
	h := &harness{t: t, d: NewDispatcher(cfg)}
	for id, st := range present {
		_, err := h.d.Presence(t0, id, protocol.Presence{Status: st})
		require.NoError(t, err)
	}
	require.Empty(t, fxLines(h.d.Start(t0)))
	return h
}

func alertMsg(id, lane, zone string, kind protocol.Kind, status string) protocol.Alert {
	return protocol.Alert{ID: id, Store: "s1", Lane: lane, Zone: zone, Kind: kind, Status: status, TS: protocol.At(t0)}
}

func (h *harness) raise(now time.Time, id, zone string, kind protocol.Kind) []string {
	fx, err := h.d.LaneAlert(now, "3", alertMsg(id, "3", zone, kind, protocol.AlertOpen))
	require.NoError(h.t, err)
	return fxLines(fx)
}

func (h *harness) cancel(now time.Time, id string) []string {
	fx, err := h.d.LaneAlert(now, "3", alertMsg(id, "3", "front", protocol.KindHelp, protocol.AlertCancelled))
	require.NoError(h.t, err)
	return fxLines(fx)
}

func (h *harness) presence(now time.Time, id, st string) []string {
	fx, err := h.d.Presence(now, id, protocol.Presence{Status: st})
	require.NoError(h.t, err)
	return fxLines(fx)
}

func (h *harness) cmd(now time.Time, who, id, alert, action string, res protocol.Action) []string {
	fx, _ := h.d.PagerCmd(now, who, protocol.PagerCmd{ID: id, Alert: alert, Action: action, Resolution: res})
	return fxLines(fx)
}

func (h *harness) result(now time.Time, id string, ok bool, errText string) []string {
	fx, _ := h.d.LaneResult(now, "3", protocol.CommandResult{ID: id, OK: ok, Error: errText})
	return fxLines(fx)
}

func (h *harness) tick(now time.Time) []string { return fxLines(h.d.Tick(now)) }

var allAvailable = map[string]string{"ana": "available", "ben": "available", "sue": "available"}
