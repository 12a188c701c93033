package webtest

import (
	"context"
	"net"
	"testing"

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
