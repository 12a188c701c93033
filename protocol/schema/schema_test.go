package schema

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/protocol"
)

// Every file is a draft 2020-12 schema whose $id is Base and its name,
// and compiles (checked against the meta-schema, refs resolved); every
// file is used.
func TestFilesCompile(t *testing.T) {
	all, err := compiled()
	require.NoError(t, err)
	used := map[string]bool{"defs.json": true, "api_state.json": true, "withdrawal.json": true}
	for _, f := range ByTopic {
		used[f] = true
	}
	for _, name := range Names() {
		doc := load(t, name)
		assert.Equal(t, "https://json-schema.org/draft/2020-12/schema", doc["$schema"], name)
		assert.Equal(t, Base+name, doc["$id"], name)
		assert.Contains(t, all, name)
		assert.True(t, used[name], "%s is not the schema of any topic", name)
	}
	for kind, f := range ByTopic {
		assert.Contains(t, all, f, kind)
	}
	assert.ErrorIs(t, Validate("lane/checkin", []byte(`{}`)), ErrNoSchema)
	assert.ErrorIs(t, ValidateFile("nope.json", []byte(`{}`)), ErrNoSchema)
}

func load(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := Files.ReadFile(name)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	return doc
}

// at walks a schema document by keys.
func at(t *testing.T, v any, path ...string) any {
	t.Helper()
	for _, k := range path {
		m, ok := v.(map[string]any)
		require.True(t, ok, "%v: %q is not under an object", path, k)
		v, ok = m[k]
		require.True(t, ok, "%v: no %q", path, k)
	}
	return v
}

func strs(t *testing.T, v any) []string {
	t.Helper()
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func names[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// The enumerations of the schemas are those of the code.
func TestEnumsFollowTheCode(t *testing.T) {
	defs := at(t, load(t, "defs.json"), "$defs")
	assert.Equal(t, names(protocol.Kinds), strs(t, at(t, defs, "kind", "enum")), "kinds")
	assert.Equal(t, names(protocol.Actions), strs(t, at(t, defs, "action", "enum")), "actions")
	assert.Equal(t, []string{protocol.SeverityLow, protocol.SeverityMedium, protocol.SeverityHigh}, strs(t, at(t, defs, "severity", "enum")))
	assert.ElementsMatch(t, consts(t, "../protocol.go", "Alert", ""), strs(t, at(t, defs, "alert_status", "enum")), "alert statuses")
	assert.ElementsMatch(t, consts(t, "../protocol.go", "Role", ""), strs(t, at(t, defs, "role", "enum")), "roles")

	lane := at(t, load(t, "lane_state.json"), "$defs", "fields", "properties")
	assert.ElementsMatch(t, consts(t, "../protocol.go", "State", ""), strs(t, at(t, lane, "state", "enum")), "lane states")
	assert.ElementsMatch(t, consts(t, "../../devices/devices.go", "", "LightPattern"), strs(t, at(t, lane, "light", "enum")), "light patterns")

	assert.ElementsMatch(t, consts(t, "../protocol.go", "Presence", ""), strs(t, at(t, load(t, "presence.json"), "properties", "status", "enum")), "presence statuses")
	assert.ElementsMatch(t, consts(t, "../protocol.go", "Pager", ""), strs(t, at(t, load(t, "pager_cmd.json"), "properties", "action", "enum")), "pager actions")

	// Every pager error matches the result's error pattern, with a
	// detail where the text is a prefix.
	re := regexp.MustCompile(at(t, load(t, "pager_result.json"), "else", "properties", "error", "pattern").(string))
	errs := consts(t, "../errors.go", "", "PagerError")
	require.Greater(t, len(errs), 10)
	for _, e := range errs {
		ok := re.MatchString(e) || re.MatchString(strings.TrimSuffix(e, " ")+": some detail") || re.MatchString(e+"detail")
		assert.True(t, ok, "pager error %q does not match pager_result.json's pattern", e)
	}
	assert.False(t, re.MatchString("no such thing"))

	// The withdrawal reasons are those the bridge gives.
	reason := regexp.MustCompile(at(t, load(t, "withdrawal.json"), "properties", "reason", "pattern").(string))
	for _, r := range []string{"claimed by ana", "cancelled by lane", "resolved", "released", "claim expired"} {
		assert.True(t, reason.MatchString(r), r)
	}
}

// consts lists the string values of the constants of a Go file whose
// name starts with prefix (untyped or any type) or whose type is typ.
func consts(t *testing.T, file, prefix, typ string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	require.NoError(t, err)
	var out []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			id, _ := vs.Type.(*ast.Ident)
			for i, n := range vs.Names {
				match := typ != "" && id != nil && id.Name == typ
				if prefix != "" && strings.HasPrefix(n.Name, prefix) && (id == nil || id.Name == "string" || id.Name == "Kind" || id.Name == "Action") {
					match = true
				}
				if !match || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				s, err := strconv.Unquote(lit.Value)
				require.NoError(t, err)
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	require.NotEmpty(t, out, "%s: no constants %s*/%s", file, prefix, typ)
	return slices.Compact(out)
}

// What the schemas refuse: each case is a valid payload with one thing
// wrong, and the words the error must contain.
func TestRefuses(t *testing.T) {
	const ts = `"2026-11-23T10:00:00.000Z"`
	for _, tc := range []struct {
		kind, payload, why string
	}{
		// Timestamps: RFC 3339, milliseconds, UTC, Z.
		{"pager/presence", `{"status":"available","zone":"front","seq":1,"ts":"2026-11-23T10:00:00Z"}`, "does not match pattern"},
		{"pager/presence", `{"status":"available","zone":"front","seq":1,"ts":"2026-11-23T11:00:00.000+01:00"}`, "does not match pattern"},
		{"pager/presence", `{"status":"available","zone":"front","seq":1,"ts":"2026-11-23 10:00:00.000Z"}`, "not valid date-time"},
		{"pager/presence", `{"status":"available","zone":"front","seq":1,"ts":"2026-13-23T10:00:00.000Z"}`, "date-time"},
		{"pager/result", `{"id":"c1","ok":true,"error":"","claimed_by":"","ts":null}`, "want string"},
		// The will is a JSON object, not the bare word.
		{"pager/presence", `offline`, "not JSON"},
		{"pager/presence", `"offline"`, "want object"},
		{"pager/presence", `{"status":"offline"}`, "missing properties"},
		{"pager/presence", `{"status":"asleep","zone":"","seq":0,"ts":null}`, "value must be one of"},
		{"pager/presence", `{"status":"available","zone":"","seq":-1,"ts":` + ts + `}`, "minimum"},
		{"pager/presence", `{"status":"available","zone":"","seq":1,"device":"ana's phone","ts":` + ts + `}`, "does not match pattern"},
		{"pager/presence", `{"status":"available","zone":"","seq":1,"device":"","ts":` + ts + `}`, "minLength"},
		// "" where "" is meant, null where null is meant.
		{"alert", `{"id":"a1","lane":"3","kind":"help","severity":"high","status":"open","tier":1,"claimed_by":null,"raised":` + ts + `,"claimed":null,"resolved":null,"resolution":""}`, "claimed_by"},
		{"alert", `{"id":"a1","lane":"3","kind":"help","severity":"high","status":"open","tier":1,"claimed_by":"","raised":` + ts + `,"claimed":"","resolved":null,"resolution":""}`, "claimed"},
		{"alert", `{"id":"a1","lane":"3","kind":"help","severity":"high","status":"resolved","tier":1,"claimed_by":"","raised":` + ts + `,"claimed":null,"resolved":null,"resolution":null}`, "resolution"},
		{"lane/state", `{"store":"s1","lane":"3","zone":"front","online":true,"state":"idle","light":"green","prompt":"","session":"","items":0,"total_cents":0,"alerts":null,"assist":null,"seq":1,"ts":` + ts + `}`, "alerts"},
		{"lane/state", `{"store":"s1","lane":"3","zone":"front","online":true,"state":"idle","light":"green","prompt":"","session":null,"items":0,"total_cents":0,"alerts":[],"assist":null,"seq":1,"ts":` + ts + `}`, "session"},
		{"lane/state", `{"store":"s1","lane":"3","zone":"front","online":true,"state":"idle","light":"blue","prompt":"","session":"","items":0,"total_cents":0,"alerts":[],"assist":null,"seq":1,"ts":` + ts + `}`, "light"},
		{"lane/state", `{"store":"s1","lane":"3","zone":"front","online":true,"state":"idle","light":"green","prompt":"","session":"","items":0,"total_cents":0,"alerts":[],"assist":null,"seq":1,"ts":` + ts + `,"basket":[]}`, "basket"},
		// Commands: what each action needs.
		{"pager/cmd", `{"id":"c1","alert":"a1","action":"resolve","resolution":"","ts":` + ts + `}`, "resolution"},
		{"pager/cmd", `{"id":"c1","alert":"a1","action":"resolve","ts":` + ts + `}`, "missing property 'resolution'"},
		{"pager/cmd", `{"id":"c1","alert":"a1","action":"claim","resolution":"approve","ts":` + ts + `}`, "resolution"},
		{"pager/cmd", `{"id":"c1","alert":"","action":"claim","resolution":"","ts":` + ts + `}`, "alert"},
		{"pager/cmd", `{"id":"c1","alert":"","action":"lane","resolution":"approve","lane":"4","ts":` + ts + `}`, "resolution"},
		{"pager/cmd", `{"id":"c1","alert":"","action":"lane","resolution":"out_of_service","ts":` + ts + `}`, "missing property 'lane'"},
		{"pager/cmd", `{"id":"c1","alert":"a1","action":"claim","resolution":"","lane":"4","ts":` + ts + `}`, "'not' failed"},
		{"pager/cmd", `{"id":"c 1","alert":"a1","action":"claim","resolution":"","ts":` + ts + `}`, "does not match pattern"},
		{"pager/cmd", `{"id":1,"alert":"a1","action":"claim","resolution":"","ts":` + ts + `}`, "want string"},
		{"pager/cmd", `{"id":"c1","alert":"a1","action":"dance","resolution":"","ts":` + ts + `}`, "value must be one of"},
		// Results: error is "" exactly when ok; the texts are the contract's.
		{"pager/result", `{"id":"c1","ok":true,"error":"stale","claimed_by":"","ts":` + ts + `}`, "error"},
		{"pager/result", `{"id":"c1","ok":false,"error":"","claimed_by":"","ts":` + ts + `}`, "error"},
		{"pager/result", `{"id":"c1","ok":false,"error":"too late","claimed_by":"","ts":` + ts + `}`, "does not match pattern"},
		{"pager/result", `{"id":"c1","ok":false,"error":"stale","ts":` + ts + `}`, "missing property 'claimed_by'"},
		{"lane/command/result", `{"id":"c1","ok":false,"error":"","ts":` + ts + `}`, "minLength"},
		// Pages and withdrawals do not mix; a broadcast carries no resolutions.
		{"pager/page", `{"alert":"a1","lane":"3","kind":"help","severity":"high","text":"Lane 3","tier":1,"withdrawn":true,"ts":` + ts + `}`, "oneOf"},
		{"pager/page", `{"alert":"a1","withdrawn":false,"reason":"resolved","ts":` + ts + `}`, "oneOf"},
		{"pager/page", `{"alert":"a1","lane":"3","kind":"help","severity":"high","text":"Lane 3","tier":0,"ts":` + ts + `}`, "minimum"},
		{"pager/page", `{"alert":"a1","lane":"3","kind":"help","severity":"high","text":"Lane 3","tier":1,"resolutions":[],"ts":` + ts + `}`, "minItems"},
		{"broadcast/page", `{"alert":"a1","lane":"3","kind":"help","severity":"high","text":"Lane 3","tier":3,"resolutions":["clear"],"ts":` + ts + `}`, "not"},
		// The bridge's state: online needs a ts.
		{"bridge/state", `{"online":true,"ts":null}`, "want string"},
		{"bridge/state", `{"online":"yes","ts":null}`, "want boolean"},
		// Profiles: known kinds and actions.
		{"pager/profile", `{"id":"ana","name":"Ana","zone":"front","roles":["boss"],"store":"s1","resolutions":{},"ts":` + ts + `}`, "roles"},
		{"pager/profile", `{"id":"ana","name":"Ana","zone":"front","roles":["attendant"],"store":"s1","resolutions":{"help":["bless"]},"ts":` + ts + `}`, "at '/resolutions/help/0': value must be one of"},
		// Empty payloads clear retained topics only.
		{"pager/cmd", ``, "empty payload"},
		{"bridge/state", ``, "empty payload"},
		{"lane/alert", `{"id":"a1","store":"s1","lane":"3","zone":"front","kind":"help","severity":"high","status":"paged","attempts":0,"detail":"","item":null,"ts":` + ts + `}`, "status"},
	} {
		err := Validate(tc.kind, []byte(tc.payload))
		if assert.Error(t, err, "%s %s", tc.kind, tc.payload) {
			assert.Contains(t, err.Error(), tc.why, "%s %s", tc.kind, tc.payload)
		}
	}
	for _, k := range []string{"lane/state", "lane/assist", "alert", "pager/presence", "pager/profile"} {
		assert.NoError(t, Validate(k, nil), "an empty payload clears %s", k)
	}
	// A command without ts (or resolution, for a claim) is accepted
	// (interfaces.md, "Stale commands").
	assert.NoError(t, Validate("pager/cmd", []byte(`{"id":"c1","alert":"a1","action":"claim"}`)))
	assert.NoError(t, Validate("pager/cmd", []byte(`{"id":"c1","alert":"a1","action":"claim","resolution":"","ts":null}`)))
}
