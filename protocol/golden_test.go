package protocol

import (
	"bytes"
	"encoding/json"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol/schema"
)

var update = flag.Bool("update", false, "rewrite protocol/testdata/*.json from the Go values in golden_test.go")

// payloadOf is the type of the payload on each topic kind.
var payloadOf = map[string]reflect.Type{
	TLaneState:     reflect.TypeFor[LaneState](),
	TLaneAlert:     reflect.TypeFor[Alert](),
	TLaneCommand:   reflect.TypeFor[Command](),
	TLaneResult:    reflect.TypeFor[CommandResult](),
	TLaneAssist:    reflect.TypeFor[Assist](),
	TLaneCheckout:  reflect.TypeFor[Checkout](),
	TAlert:         reflect.TypeFor[AlertRecord](),
	TPresence:      reflect.TypeFor[Presence](),
	TProfile:       reflect.TypeFor[Profile](),
	TPage:          reflect.TypeFor[Page](),
	TPagerCmd:      reflect.TypeFor[PagerCmd](),
	TPagerResult:   reflect.TypeFor[PagerResult](),
	TBroadcastPage: reflect.TypeFor[Page](),
	TBridgeState:   reflect.TypeFor[BridgeState](),
}

// decodeStrict parses payload into a new value of type t the way every
// daemon does (Decode: size limit, no trailing data, Validate) and, on
// top, refuses fields the type does not have, so that an example or a
// golden file cannot carry a field the contract lost or misspells.
func decodeStrict(payload []byte, t reflect.Type) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(reflect.New(t).Interface()); err != nil {
		return nil, err
	}
	v := reflect.New(t)
	if err := Decode(payload, v.Interface()); err != nil {
		return nil, err
	}
	return v.Elem().Interface(), nil
}

// golden is one file under testdata/: a payload exactly as the package
// encodes it, indented.
type golden struct {
	file  string
	topic string // the topic it travels on, for the reader: sco/v1/s1/...
	value any
}

func goldens() []golden {
	at := func(sec, ms int) Time {
		return At(time.Date(2026, 11, 23, 10, 0, sec, ms*int(time.Millisecond), time.UTC))
	}
	const alertID = "3-20261123-100001-9f2c4a7e1b3d"
	alert := Alert{
		ID: alertID, Store: "s1", Lane: "3", Zone: "front",
		Kind: KindBagTimeout, Severity: SeverityOf(KindBagTimeout), Status: AlertOpen, Attempts: 2,
		Detail: "no stable gain of 355g on the bagging area after 2 prompts",
		Item:   &ItemRef{GTIN: "05000112637922", Name: "Cola 330ml"},
		TS:     at(1, 200),
	}
	eta, assistTS := 40, at(5, 10)
	state := LaneState{
		Store: "s1", Lane: "3", Zone: "front", Online: true, State: StateAssist, Light: "yellow_flash",
		Prompt:  "Please place the item in the bagging area. An attendant has been called.",
		Session: "3-20261123-095812-4e8a0c6f2d17", Items: 2, TotalCents: 988,
		Alerts: []string{alertID},
		Assist: &AssistInfo{Alert: alertID, Attendant: "ana", Name: "Ana", Status: AlertClaimed, EtaS: &eta, TS: &assistTS},
		Seq:    7, TS: at(5, 30),
	}
	api := state
	api.Basket = []BasketItem{
		{GTIN: "05010477348678", Name: "Red wine 75cl", PriceCents: 899},
		{GTIN: "05000112637922", Name: "Cola 330ml", PriceCents: 89},
	}
	return []golden{
		{"lane_state.json", LaneStateTopic("s1", "3"), state},
		{"lane_state_will.json", LaneStateTopic("s1", "3"), LaneState{Store: "s1", Lane: "3", Zone: "front", State: StateOffline, Light: "off", Alerts: []string{}}},
		{"api_state.json", "GET /api/state", api},
		{"alert.json", LaneAlertTopic("s1", "3"), alert},
		{"command.json", LaneCommandTopic("s1", "3"), Command{ID: alertID + ":ana:ana-19a7e3c5d1f-2", Alert: alertID, Action: ActionApprove, By: "ana", TS: at(40, 0)}},
		{"command_result.json", LaneResultTopic("s1", "3"), CommandResult{ID: alertID + ":ana:ana-19a7e3c5d1f-2", OK: true, TS: at(40, 15)}},
		{"checkout.json", LaneCheckoutTopic("s1", "3"), Checkout{Session: state.Session, Items: 2, TotalCents: 988, Started: At(time.Date(2026, 11, 23, 9, 58, 12, 300*int(time.Millisecond), time.UTC)), Finished: at(58, 400), Alerts: 1, TS: at(58, 400)}},
		{"assist.json", LaneAssistTopic("s1", "3"), Assist{Alert: alertID, Status: AlertClaimed, Attendant: "ana", Name: "Ana", Tier: 1, EtaS: &eta, TS: at(5, 10)}},
		{"alert_record.json", AlertTopic("s1", alertID), AlertRecord{ID: alertID, Lane: "3", Kind: KindBagTimeout, Severity: SeverityMedium, Status: AlertClaimed, Tier: 1, ClaimedBy: "ana", Raised: at(1, 200), Claimed: at(5, 10)}},
		{"presence.json", PresenceTopic("s1", "ana"), Presence{Status: PresenceAvailable, Zone: "front", Seq: 12, TS: at(0, 0)}},
		{"page.json", PageTopic("s1", "ana"), Page{Alert: alertID, Lane: "3", Zone: "front", Kind: alert.Kind, Severity: alert.Severity, Text: PageText(alert), Tier: 1, Resolutions: []Action{ActionApprove, ActionVoid, ActionOutOfService}, TS: at(1, 250)}},
		{"profile.json", ProfileTopic("s1", "ana"), Profile{ID: "ana", Name: "Ana", Zone: "front", Roles: []string{RoleAttendant, RoleAgeVerifier}, Store: "s1",
			Resolutions: map[Kind][]Action{KindAgeCheck: {ActionAgeOK, ActionAgeRefused, ActionOutOfService}, KindHelp: {ActionClear, ActionOutOfService}}, TS: at(0, 0)}},
		{"withdrawal.json", PageTopic("s1", "ben"), Page{Alert: alertID, Withdrawn: true, Reason: "claimed by ana", TS: at(5, 10)}},
		{"broadcast_page.json", BroadcastPageTopic("s1"), Page{Alert: alertID, Lane: "3", Zone: "front", Kind: KindHelp, Severity: SeverityOf(KindHelp), Text: BroadcastText("3", "front", KindHelp), Tier: 3, TS: at(1, 210)}},
		{"pager_cmd.json", PagerCmdTopic("s1", "ana"), PagerCmd{ID: "ana-19a7e3c5d1f-2", Alert: alertID, Action: PagerResolve, Resolution: ActionApprove, TS: at(40, 0)}},
		{"pager_result.json", PagerResultTopic("s1", "ana"), PagerResult{ID: "ana-19a7e3c5d1f-2", OK: true, ClaimedBy: "ana", TS: at(40, 20)}},
		{"pager_result_refused.json", PagerResultTopic("s1", "ben"), PagerResult{ID: "ben-19a7e3c61b0-1", Error: string(ErrAlreadyClaimed), ClaimedBy: "ana", TS: at(5, 20)}},
		{"bridge_state.json", BridgeStateTopic("s1"), BridgeState{Online: true, TS: at(0, 0)}},
		{"bridge_state_will.json", BridgeStateTopic("s1"), BridgeState{Online: false}},
	}
}

// Every golden payload decodes strictly into its type, equals the Go
// value it was written from, and encodes back to the same bytes. Run with
// -update after changing a payload type on purpose, and read the diff.
func TestGoldenPayloads(t *testing.T) {
	for _, g := range goldens() {
		t.Run(g.file, func(t *testing.T) {
			path := filepath.Join("testdata", g.file)
			want := Encode(g.value)
			if *update {
				var b bytes.Buffer
				require.NoError(t, json.Indent(&b, want, "", "  "))
				b.WriteByte('\n')
				require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
			}
			file, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./protocol -run TestGoldenPayloads -update")
			got, err := decodeStrict(file, reflect.TypeOf(g.value))
			require.NoError(t, err, "%s does not decode strictly into %T", path, g.value)
			require.Equal(t, g.value, got, "%s decodes to another value than golden_test.go holds (-update rewrites it)", path)
			var compact bytes.Buffer
			require.NoError(t, json.Compact(&compact, file))
			require.Equal(t, compact.String(), string(Encode(got)), "%s does not encode back to itself", path)
			require.Equal(t, string(want), string(Encode(got)))
			require.NoError(t, validateSchema(g.topic, file), "%s against its JSON Schema (protocol/schema)", path)
		})
	}
}

// validateSchema checks a payload against the JSON Schema of the topic
// it travels on (a topic as in goldens(), or "GET /api/state").
func validateSchema(topic string, payload []byte) error {
	if topic == "GET /api/state" {
		return schema.ValidateFile("api_state.json", payload)
	}
	tp, err := ParseTopic(topic)
	if err != nil {
		return err
	}
	return schema.Validate(tp.Kind, payload)
}

// Every topic's payload type has a golden file, and so does every other
// payload type the package declares: a new message needs one.
func TestGoldenCoversEveryPayload(t *testing.T) {
	have := map[string]bool{}
	files := map[string]bool{}
	for _, g := range goldens() {
		have[reflect.TypeOf(g.value).Name()] = true
		require.False(t, files[g.file], "%s listed twice", g.file)
		files[g.file] = true
		if !strings.HasPrefix(g.topic, "GET ") {
			tp, err := ParseTopic(g.topic)
			require.NoError(t, err)
			require.Equal(t, payloadOf[tp.Kind], reflect.TypeOf(g.value), "%s travels on %s", g.file, g.topic)
		}
	}
	for kind, typ := range payloadOf {
		require.True(t, have[typ.Name()], "no golden for %s (%s)", typ.Name(), kind)
		require.Contains(t, schema.ByTopic, kind, "no JSON Schema for %s in protocol/schema", kind)
	}
	for kind := range schema.ByTopic {
		require.Contains(t, payloadOf, kind, "protocol/schema has a schema for %s, which is no topic", kind)
	}
	for _, name := range payloadTypes(t) {
		require.True(t, have[name], "%s is a payload type (a struct with json tags and a ts) without a golden file in goldens()", name)
	}
	// Nothing stale in testdata/.
	entries, err := os.ReadDir("testdata")
	require.NoError(t, err)
	for _, e := range entries {
		if filepath.Ext(e.Name()) == ".json" {
			require.True(t, files[e.Name()], "testdata/%s is not in goldens()", e.Name())
		}
	}
}

// payloadTypes lists the package's exported struct types that carry a
// json "ts" field: the messages (the parts they embed, such as ItemRef,
// have none).
func payloadTypes(t *testing.T) []string {
	fset := token.NewFileSet()
	paths, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var names []string
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok || !ts.Name.IsExported() {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return true
			}
			for _, fld := range st.Fields.List {
				if fld.Tag != nil && strings.Contains(fld.Tag.Value, `json:"ts"`) {
					names = append(names, ts.Name.Name)
					break
				}
			}
			return true
		})
	}
	sort.Strings(names)
	require.NotEmpty(t, names)
	require.True(t, slices.Contains(names, "Alert"), "payloadTypes found %v", names)
	return names
}

func TestDecodeStrictRefusesUnknownFields(t *testing.T) {
	_, err := decodeStrict([]byte(`{"online":true,"ts":null,"uptime":3}`), reflect.TypeFor[BridgeState]())
	require.ErrorContains(t, err, `unknown field "uptime"`)
	_, err = decodeStrict([]byte(`{"status":"asleep"}`), reflect.TypeFor[Presence]())
	require.ErrorContains(t, err, `unknown status "asleep"`)
}
