package harness

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/testsupport"
	"github.com/sco-project/sco/protocol"
	"github.com/sco-project/sco/simulator/vpager"
)

// A whole store in one process: a shopper who never bags the cola gets a
// bag_timeout alert, Ana is paged, claims, approves from her handheld, and
// the lane applies it; the store's report counts it.
func TestStoreBagTimeoutIsPagedClaimedAndResolved(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	began := time.Now()
	s, err := Start(ctx, Opts{Lanes: []LaneSpec{{Policy: map[string]string{"bag_timeout": "300ms", "bag_prompts": "1"}, ScaleSettle: 50 * time.Millisecond}}})
	require.NoError(t, err)
	defer s.Close()
	events := make(chan vpager.Event, 64)
	_, err = s.StartPager("ana", "", vpager.Behaviour{Resolve: protocol.ActionApprove}, func(e vpager.Event) { events <- e })
	require.NoError(t, err)

	from := s.Observer.Len()
	lane := s.Lanes[0]
	require.NoError(t, lane.Scanner.Scan(GTINCola, ""))

	_, alert, err := s.Observer.Find(ctx, from, nil, func(e Event) bool {
		return e.Alert != nil && e.Alert.Kind == protocol.KindBagTimeout && e.Alert.Status == protocol.AlertOpen
	})
	require.NoError(t, err)
	_, page, err := s.Observer.Find(ctx, from, nil, func(e Event) bool {
		return e.Page != nil && e.Topic.ID == "ana" && e.Page.Alert == alert.Alert.ID && !e.Page.Withdrawn
	})
	require.NoError(t, err)
	require.Equal(t, protocol.KindBagTimeout, page.Page.Kind)
	_, res, err := s.Observer.Find(ctx, from, nil, func(e Event) bool {
		return e.Result != nil && e.Topic.ID == lane.ID
	})
	require.NoError(t, err)
	require.True(t, res.Result.OK, "lane applied the approve: %+v", res.Result)
	require.NoError(t, s.Observer.Until(ctx, func() bool {
		st, ok := s.Observer.LaneState(lane.ID)
		return ok && st.State == protocol.StateShopping && len(st.Alerts) == 0 && st.Items == 1
	}))
	require.Empty(t, s.Observer.Malformed())

	// The bridge kept the alert's record, and the store's report counts
	// it, read from bridge.db once the bridge has stopped.
	require.NoError(t, s.StopBridge())
	h, err := s.History(ctx, began)
	require.NoError(t, err)
	require.Len(t, h.Interventions, 1)
	require.Equal(t, alert.Alert.ID, h.Interventions[0].Alert)
	r := s.Report(h, began, time.Now())
	require.Equal(t, "s1", r.Store)
	require.Equal(t, 1, r.Total.Interventions)
	require.Len(t, r.Kinds, 1)
	require.Equal(t, string(protocol.KindBagTimeout), r.Kinds[0].Key)
	require.Equal(t, 1.0, r.Kinds[0].NeededAction)
	require.Equal(t, 1, r.Kinds[0].TimeToClaim.N)
	require.Equal(t, 1, r.Kinds[0].TimeToResolve.N)
	require.Len(t, r.Attendants, 1)
	require.Equal(t, "Ana", r.Attendants[0].Name)
	require.Equal(t, 1, r.Attendants[0].Resolved)
}

// With the bridge down, a stuck shopper still reaches a person: the lane
// pages every handheld on broadcast/page. When the bridge comes back the
// lane re-publishes its open alert and the bridge pages it properly.
func TestBridgeDownLaneBroadcastsThenBridgePages(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := Start(ctx, Opts{})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.StartPager("ana", "", vpager.Behaviour{Ignore: true}, nil)
	require.NoError(t, err)
	from := s.Observer.Len()
	require.NoError(t, s.StopBridge())
	_, _, err = s.Observer.Find(ctx, from, nil, func(e Event) bool { return e.Bridge != nil && !e.Bridge.Online })
	require.NoError(t, err, "the bridge says it is offline")

	lane := s.Lanes[0]
	code, err := lane.Post("help")
	require.NoError(t, err)
	require.Equal(t, 200, code)
	_, bc, err := s.Observer.Find(ctx, from, nil, func(e Event) bool {
		return e.Topic.Kind == protocol.TBroadcastPage && e.Page != nil && e.Page.Kind == protocol.KindHelp
	})
	require.NoError(t, err, "broadcast page while the bridge is down")
	require.Equal(t, lane.ID, bc.Page.Lane)

	require.NoError(t, s.StartBridge())
	_, page, err := s.Observer.Find(ctx, from, nil, func(e Event) bool {
		return e.Topic.Kind == protocol.TPage && e.Topic.ID == "ana" && e.Page != nil && !e.Page.Withdrawn
	})
	require.NoError(t, err, "the restarted bridge pages the alert the lane re-published")
	require.Equal(t, bc.Page.Alert, page.Page.Alert)
}

// The store's logger reaches every component it runs in process, at
// debug: the broker, the bridge, the lane and the virtual pagers, each
// line naming its component once.
func TestLoggerReachesEveryComponent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var buf testsupport.SyncBuffer
	s, err := Start(ctx, Opts{Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.NoError(t, err)
	defer s.Close()
	connected := make(chan struct{}, 1)
	_, err = s.StartPager("ana", "", vpager.Behaviour{}, func(e vpager.Event) {
		if e.Kind == vpager.Connected {
			select {
			case connected <- struct{}{}:
			default:
			}
		}
	})
	require.NoError(t, err)
	select {
	case <-connected:
	case <-ctx.Done():
		t.Fatal("pager did not connect")
	}
	s.Close()
	logs := buf.String()
	for _, want := range []string{
		`level=DEBUG msg="mqtt: connected" component=bridge `,
		`level=DEBUG msg="mqtt: connected" component=lane store=s1 lane=1 `,
		`level=DEBUG msg=pager component=pager attendant=ana event=connected`,
		`component=broker`,
	} {
		require.Contains(t, logs, want)
	}
	require.NotRegexp(t, `lane=1 .*lane=1`, logs, "the lane is named once")
}

// docs/simulator.md names the demo's roster as it is: each attendant's
// zone and roles.
func TestDocsRoster(t *testing.T) {
	b, err := os.ReadFile("../../docs/simulator.md")
	require.NoError(t, err)
	doc := strings.Join(strings.Fields(string(b)), " ")
	for _, a := range DefaultRoster {
		roles := strings.ReplaceAll(strings.Join(a.Roles, ", "), "_", " ")
		require.Contains(t, doc, fmt.Sprintf("%s (%s; %s)", a.Name, a.Zone, roles))
	}
}

// With Opts.Logins every part logs in as itself, with its own password;
// a part without a login does not start, and a second pager of the same
// attendant (the same username: it would push the first off) is refused.
func TestLogins(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err := Start(ctx, Opts{Logins: map[string]string{"bridge": "pb", ObserverLogin: "po"}})
	require.ErrorContains(t, err, "harness: no broker login for lane-1 in Opts.Logins")

	logins := map[string]string{"bridge": "pb", "lane-1": "p1", ObserverLogin: "po", "ana": "pa"}
	s, err := Start(ctx, Opts{Logins: logins})
	require.NoError(t, err)
	defer s.Close()
	for user, pw := range logins {
		c, err := s.Login(user)
		require.NoError(t, err)
		require.Equal(t, [3]string{s.BrokerURL, user, pw}, [3]string{c.Broker, c.Username, c.Password})
	}
	require.Equal(t, "lane-1", s.Lanes[0].Config.MQTT.Username)
	require.Equal(t, "p1", s.Lanes[0].Config.MQTT.Password)
	require.Equal(t, "bridge", s.bcfg.MQTT.Username)
	_, err = s.StartPager("ben", "", vpager.Behaviour{}, nil)
	require.ErrorContains(t, err, "no broker login for ben")
	_, err = s.StartPager("ana", "", vpager.Behaviour{}, nil)
	require.NoError(t, err)
	_, err = s.StartPager("ana", "", vpager.Behaviour{}, nil)
	require.ErrorContains(t, err, "harness: pager ana: one is on shift already, logged in as ana")
}
