package webtest

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/sco-project/sco/attendant/web"
	"github.com/sco-project/sco/protocol"
)

// PINs of the test roster.
const (
	AnaPIN = "1111"
	BenPIN = "2222"
	SuePIN = "3333"
)

// Roster is a small store's roster: Ana (attendant, age verifier, front),
// Ben (attendant, back) and Sue (supervisor, office).
func Roster() []web.Attendant {
	return []web.Attendant{
		{ID: "ana", Name: "Ana", Zone: "front", Roles: []string{protocol.RoleAttendant, protocol.RoleAgeVerifier}, PinHash: Hash(AnaPIN)},
		{ID: "ben", Name: "Ben", Zone: "back", Roles: []string{protocol.RoleAttendant}, PinHash: Hash(BenPIN)},
		{ID: "sue", Name: "Sue", Zone: "office", Roles: []string{protocol.RoleAttendant, protocol.RoleAgeVerifier, protocol.RoleSupervisor}, PinHash: Hash(SuePIN)},
	}
}

// LaneState is an online lane in a state.
func LaneState(lane, zone, state string, items int, total int64) protocol.LaneState {
	light := map[string]string{protocol.StateIdle: "green", protocol.StateShopping: "green", protocol.StateAttention: "yellow", protocol.StateAssist: "red_flash", protocol.StateOutOfService: "red"}[state]
	return protocol.LaneState{Store: "s1", Lane: lane, Zone: zone, Online: state != protocol.StateOffline, State: state, Light: light, Items: items, TotalCents: total, Alerts: []string{}}
}

// Demo fills the fake with a store at mid-morning: eight lanes in every
// state and three open alerts (one paged to Ana, one claimed by Ben, one
// age check at tier 2).
func Demo(f *Fake, now time.Time) {
	f.SetLane(LaneState("1", "front", protocol.StateShopping, 7, 2345))
	f.SetLane(LaneState("2", "front", protocol.StateIdle, 0, 0))
	f.SetLane(LaneState("3", "front", protocol.StateShopping, 3, 1197))
	f.SetLane(LaneState("4", "front", protocol.StateShopping, 12, 5630))
	f.SetLane(LaneState("5", "back", protocol.StateAttention, 2, 399))
	f.SetLane(LaneState("6", "back", protocol.StateOutOfService, 0, 0))
	off := LaneState("7", "back", protocol.StateOffline, 0, 0)
	f.SetLane(off)
	f.SetLane(LaneState("8", "back", protocol.StateShopping, 5, 1780))
	f.Raise(protocol.Alert{ID: "a-3-1", Lane: "3", Zone: "front", Kind: protocol.KindBagTimeout, Item: &protocol.ItemRef{GTIN: "05000112637922", Name: "Cola 330ml"}}, now.Add(-42*time.Second), 1, "ana")
	f.Raise(protocol.Alert{ID: "a-4-1", Lane: "4", Zone: "front", Kind: protocol.KindAgeCheck, Item: &protocol.ItemRef{GTIN: "05010477348678", Name: "Red wine 75cl"}}, now.Add(-95*time.Second), 2, "ana", "sue")
	f.Raise(protocol.Alert{ID: "a-8-1", Lane: "8", Zone: "back", Kind: protocol.KindHelp}, now.Add(-130*time.Second), 1, "ben")
	ctx := context.Background()
	_, _ = f.Command(ctx, "ben", protocol.PagerCmd{ID: "demo-1", Alert: "a-8-1", Action: protocol.PagerClaim})
}

// Start serves the app on a free loopback port with the fake as its
// bridge until the test ends, and returns its base URL.
func Start(t testing.TB, f *Fake, cfg web.Config, o *web.Opts) (*web.Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen == "" {
		cfg.Listen = ln.Addr().String()
	}
	s, err := web.New(cfg, f, f.Roster(), o)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("web server: %v", err)
		}
	})
	scheme := "http"
	if cfg.TLS() {
		scheme = "https"
	}
	return s, scheme + "://" + ln.Addr().String()
}
