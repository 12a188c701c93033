package protocol

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTimeFormat(t *testing.T) {
	ts := At(time.Date(2026, 11, 23, 10, 4, 5, 123456789, time.FixedZone("x", 3600)))
	b := Encode(struct {
		TS Time `json:"ts"`
		Z  Time `json:"z"`
	}{TS: ts})
	require.Equal(t, `{"ts":"2026-11-23T09:04:05.123Z","z":null}`, string(b))
}

func TestTopicsRoundTrip(t *testing.T) {
	cases := map[string]Topic{
		LaneStateTopic("s1", "3"):     {"s1", TLaneState, "3"},
		LaneAlertTopic("s1", "3"):     {"s1", TLaneAlert, "3"},
		LaneCommandTopic("s1", "3"):   {"s1", TLaneCommand, "3"},
		LaneResultTopic("s1", "3"):    {"s1", TLaneResult, "3"},
		LaneAssistTopic("s1", "3"):    {"s1", TLaneAssist, "3"},
		AlertTopic("s1", "a-1"):       {"s1", TAlert, "a-1"},
		PresenceTopic("s1", "ana"):    {"s1", TPresence, "ana"},
		PageTopic("s1", "ana"):        {"s1", TPage, "ana"},
		PagerCmdTopic("s1", "ana"):    {"s1", TPagerCmd, "ana"},
		PagerResultTopic("s1", "ana"): {"s1", TPagerResult, "ana"},
		BroadcastPageTopic("s1"):      {"s1", TBroadcastPage, ""},
		BridgeStateTopic("s1"):        {"s1", TBridgeState, ""},
	}
	for topic, want := range cases {
		got, err := ParseTopic(topic)
		require.NoError(t, err, topic)
		require.Equal(t, want, got, topic)
	}
	for _, bad := range []string{"", "sco/v2/s1/bridge/state", "sco/v1/s1/lane//state", "sco/v1/s1/lane/3/nope", "x/v1/s1/alert/1"} {
		_, err := ParseTopic(bad)
		require.Error(t, err, bad)
	}
}

func TestDecodeRejects(t *testing.T) {
	var a Alert
	err := Decode([]byte(`{"id":"x"`), &a)
	require.ErrorContains(t, err, "malformed JSON")

	err = Decode([]byte(`{"id":"a1","lane":"3","kind":"teleport","status":"open"}`), &a)
	require.ErrorContains(t, err, `unknown kind "teleport"`)

	big := `{"id":"` + strings.Repeat("x", MaxPayload) + `"}`
	err = Decode([]byte(big), &a)
	require.True(t, errors.Is(err, ErrTooLarge), "%v", err)

	err = Decode([]byte(`{"id":"a1","lane":"3","kind":"help","status":"open"} {}`), &a)
	require.ErrorContains(t, err, "trailing data")

	var c PagerCmd
	err = Decode([]byte(`{"id":"c1","alert":"a1","action":"resolve","resolution":"shrug"}`), &c)
	require.ErrorContains(t, err, `unknown resolution "shrug"`)
}

func TestDecodeAlert(t *testing.T) {
	var a Alert
	require.NoError(t, Decode([]byte(`{"id":"a1","store":"s1","lane":"3","zone":"front","kind":"age_check","severity":"high","status":"open","attempts":1,"detail":"","item":{"gtin":"05010477348678","name":"Red wine"},"ts":"2026-11-23T10:00:00.000Z"}`), &a))
	require.Equal(t, KindAgeCheck, a.Kind)
	require.Equal(t, "Red wine", a.Item.Name)
	require.Equal(t, 2026, a.TS.Year())
}

func TestDecodePresence(t *testing.T) {
	p, err := DecodePresence([]byte("offline"))
	require.NoError(t, err)
	require.Equal(t, PresenceOffline, p.Status)
	p, err = DecodePresence([]byte(`{"status":"available","zone":"front","seq":4,"ts":null}`))
	require.NoError(t, err)
	require.Equal(t, "front", p.Zone)
	_, err = DecodePresence([]byte(`{"status":"asleep"}`))
	require.ErrorContains(t, err, `unknown status "asleep"`)
}

func TestActionsFor(t *testing.T) {
	require.False(t, Allowed(KindHelp, ActionApprove), "no approve for a help call")
	require.True(t, Allowed(KindAgeCheck, ActionAgeOK))
	for _, k := range Kinds {
		require.True(t, Allowed(k, ActionOutOfService), k)
	}
}

func TestValidMsgID(t *testing.T) {
	for _, ok := range []string{"a", "3-20261123-100001-9f2c4a7e1b3d", "a1:ana:c-2", "A.b_c", strings.Repeat("x", MaxMsgID)} {
		require.True(t, ValidMsgID(ok), ok)
	}
	for _, bad := range []string{"", "a/1", "a+", "#", "a b", "é", "a\x00", strings.Repeat("x", MaxMsgID+1)} {
		require.False(t, ValidMsgID(bad), bad)
	}
}

func TestCommandRefusesBadIDs(t *testing.T) {
	for _, c := range []Command{
		{ID: strings.Repeat("x", 129), Alert: "a1", Action: ActionClear},
		{ID: "c/1", Alert: "a1", Action: ActionClear},
		{ID: "c1", Alert: "a 1", Action: ActionClear},
	} {
		require.ErrorContains(t, Decode(Encode(c), &Command{}), "bad", c.ID)
	}
	require.NoError(t, Decode(Encode(Command{ID: "a1:ana:c-1.2", Alert: "a1", Action: ActionClear}), &Command{}))
}
