package attendant

import (
	"fmt"
	"testing"
	"time"

	"github.com/sco-project/sco/protocol"
)

// benchDispatcher is a started dispatcher with the test roster available.
// Its pagers send commands a thousand times faster than a person, so the
// per-pager rate limit is lifted, as kiosk-sim bench lifts it.
func benchDispatcher(b *testing.B) *Dispatcher {
	cfg := &Config{
		Store:  "s1",
		Limits: Limits{PagerCmdsPerS: 1e6, PagerCmdBurst: 1e6},
		Attendants: []Attendant{
			{ID: "ana", Name: "Ana", Zone: "front", Roles: []string{"attendant", "age_verifier"}},
			{ID: "ben", Name: "Ben", Zone: "back", Roles: []string{"attendant"}},
			{ID: "sue", Name: "Sue", Zone: "office", Roles: []string{"attendant", "age_verifier", "supervisor"}},
		},
	}
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	d := NewDispatcher(cfg)
	for _, a := range cfg.Attendants {
		if _, err := d.Presence(t0, a.ID, protocol.Presence{Status: protocol.PresenceAvailable, Zone: a.Zone}); err != nil {
			b.Fatal(err)
		}
	}
	d.Start(t0)
	return d
}

// laneAlert is lane 3's alert payload, as a lane publishes it.
func laneAlert(id string, kind protocol.Kind, status string) []byte {
	return protocol.Encode(protocol.Alert{ID: id, Store: "s1", Lane: "3", Zone: "front", Kind: kind, Severity: protocol.SeverityOf(kind), Status: status, Item: &protocol.ItemRef{GTIN: "05000112637922", Name: "Cola 330ml"}, TS: protocol.At(time.Now())})
}

// The bridge's hot path for one alert, as the bridge sees it (topic and
// payload, decoded by Handle): the lane's alert becomes a tier-1 page, the
// lane then cancels it.
func BenchmarkDispatchAlertToPage(b *testing.B) {
	d := benchDispatcher(b)
	topic := protocol.LaneAlertTopic("s1", "3")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		now := t0.Add(time.Duration(i) * time.Millisecond)
		id := fmt.Sprintf("a%d", i)
		fx, err := d.Handle(now, topic, laneAlert(id, protocol.KindUnknownItem, protocol.AlertOpen))
		if err != nil || len(fx.Pages) != 1 {
			b.Fatalf("alert %s: %v, %d pages", id, err, len(fx.Pages))
		}
		if _, err := d.Handle(now, topic, laneAlert(id, protocol.KindUnknownItem, protocol.AlertCancelled)); err != nil {
			b.Fatal(err)
		}
	}
}

// A whole alert through the dispatcher: raised and paged, claimed and
// resolved from the pager, the lane's command result closing it.
func BenchmarkDispatchCycle(b *testing.B) {
	d := benchDispatcher(b)
	s := "s1"
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		now := t0.Add(time.Duration(i) * time.Millisecond)
		id := fmt.Sprintf("a%d", i)
		fx, err := d.Handle(now, protocol.LaneAlertTopic(s, "3"), laneAlert(id, protocol.KindUnknownItem, protocol.AlertOpen))
		if err != nil || len(fx.Pages) != 1 {
			b.Fatalf("alert %s: %v", id, err)
		}
		who := fx.Pages[0].To
		claim := protocol.Encode(protocol.PagerCmd{ID: "c" + id, Alert: id, Action: protocol.PagerClaim, TS: protocol.At(now)})
		if _, err := d.Handle(now, protocol.PagerCmdTopic(s, who), claim); err != nil {
			b.Fatal(err)
		}
		resolve := protocol.Encode(protocol.PagerCmd{ID: "r" + id, Alert: id, Action: protocol.PagerResolve, Resolution: protocol.ActionClear, TS: protocol.At(now)})
		fx, err = d.Handle(now, protocol.PagerCmdTopic(s, who), resolve)
		if err != nil || len(fx.Commands) != 1 {
			b.Fatalf("resolve %s: %v, %d commands", id, err, len(fx.Commands))
		}
		res := protocol.Encode(protocol.CommandResult{ID: fx.Commands[0].Command.ID, OK: true, TS: protocol.At(now)})
		fx, err = d.Handle(now, protocol.LaneResultTopic(s, "3"), res)
		if err != nil || len(fx.Records) == 0 || fx.Records[len(fx.Records)-1].Record.Status != protocol.AlertResolved {
			b.Fatalf("result %s: %v, %+v", id, err, fx.Records)
		}
	}
}
