package attendant_test

import (
	"fmt"
	"log"
	"time"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/protocol"
)

// The dispatcher is pure: feed it events with their times, publish what
// it returns.
func ExampleDispatcher() {
	cfg := &attendant.Config{
		Store: "s1",
		Attendants: []attendant.Attendant{
			{ID: "ana", Name: "Ana", Zone: "front", Roles: []string{protocol.RoleAttendant}},
			{ID: "ben", Name: "Ben", Zone: "back", Roles: []string{protocol.RoleAttendant}},
		},
		Escalation: attendant.Escalation{AckTimeout: 20 * time.Second},
	}
	if err := cfg.Validate(); err != nil {
		log.Fatal(err)
	}
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	d := attendant.NewDispatcher(cfg)
	d.Presence(t0, "ana", protocol.Presence{Status: protocol.PresenceAvailable})
	d.Presence(t0, "ben", protocol.Presence{Status: protocol.PresenceAvailable})
	d.Start(t0)

	fx, _ := d.LaneAlert(t0, "3", protocol.Alert{ID: "a1", Lane: "3", Zone: "back", Kind: protocol.KindUnexpectedItem, Status: protocol.AlertOpen})
	for _, p := range fx.Pages {
		fmt.Printf("page %s: %s (tier %d)\n", p.To, p.Page.Text, p.Page.Tier)
	}
	next, _ := d.NextDeadline()
	fx = d.Tick(next)
	for _, p := range fx.Pages {
		fmt.Printf("page %s at +%v (tier %d)\n", p.To, next.Sub(t0), p.Page.Tier)
	}
	fx, _ = d.PagerCmd(next.Add(time.Second), "ana", protocol.PagerCmd{ID: "c1", Alert: "a1", Action: protocol.PagerClaim})
	for _, r := range fx.Results {
		fmt.Printf("result %s: ok=%v\n", r.To, r.Result.OK)
	}
	for _, p := range fx.Pages {
		fmt.Printf("withdraw %s: %s\n", p.To, p.Page.Reason)
	}
	fmt.Printf("assist: %s is on the way\n", fx.Assists[0].Assist.Name)
	// Output:
	// page ben: Lane 3: unexpected item in the bagging area (tier 1)
	// page ana at +20s (tier 2)
	// page ben at +20s (tier 2)
	// result ana: ok=true
	// withdraw ben: claimed by ana
	// assist: Ana is on the way
}
