package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sco-project/sco/protocol/schema"
)

// The pager developers' document. Its examples follow three conventions,
// which this file enforces:
//
//   - A fenced block (```json, or a line starting with {" in any other
//     fence) shows whole payloads, one or more, each exactly as the
//     package encodes it (same fields, same order) and valid against the
//     topic's JSON Schema (protocol/schema). The paragraph just before
//     the fence names the one topic they travel on, in a code span:
//     "Publish on `pager/{you}/cmd`:".
//   - A ```mqtt fence is a transcript, as `mosquitto_sub -v` prints it:
//     each line is a whole topic, a space and the whole payload (only
//     the topic: a cleared retained message); lines starting with # are
//     comments. Each payload is checked like a fenced one, against the
//     topic on its own line.
//   - A JSON object in a code span in prose is an excerpt: the fields it
//     shows must exist and hold what the package would encode. Its topic
//     is the nearest topic code span before it in the same paragraph or
//     list item: "the lane answers `lane/3/command/result` `{...}`".
const protocolMD = "../docs/protocol.md"

// docExample is one JSON payload in the document.
type docExample struct {
	line  int    // 1-based, where the payload starts
	json  string // as written; "" in a transcript: a cleared message
	whole bool   // in a fence: the whole payload
	topic string // the code span that names its topic, as written
	kind  string // the topic kind (T...) it names
	err   error  // why it could not be typed
	// transcript: a line of a ```mqtt fence.
	transcript bool
}

var (
	codeSpan     = regexp.MustCompile("`([^`]+)`")
	placeholder  = regexp.MustCompile(`\{[a-z]+\}|\+`)
	listItem     = regexp.MustCompile(`^\s*([-*]|\d+\.)\s`)
	fenceLine    = regexp.MustCompile("^\\s*```\\s*([a-z]*)")
	fenceEnd     = regexp.MustCompile("^\\s*```\\s*$")
	topicPattern = regexp.MustCompile(`^[a-z0-9{}+._:/-]+$`)
)

// topicKind is the topic kind a code span names ("pager/{you}/cmd",
// "lane/3/alert", "sco/v1/{store}/bridge/state"), or "".
func topicKind(span string) string {
	if !topicPattern.MatchString(span) || !strings.Contains(span, "/") {
		return ""
	}
	s := placeholder.ReplaceAllString(span, "x")
	if !strings.HasPrefix(s, "sco/") {
		s = Root("x") + "/" + s
	}
	t, err := ParseTopic(s)
	if err != nil {
		return ""
	}
	return t.Kind
}

type span struct {
	line int
	text string
}

// spans are the code spans of a block of prose lines (a span may wrap).
func spans(first int, lines []string) []span {
	text := strings.Join(lines, "\n")
	var out []span
	for _, m := range codeSpan.FindAllStringSubmatchIndex(text, -1) {
		s := strings.Join(strings.Fields(text[m[2]:m[3]]), " ")
		out = append(out, span{first + strings.Count(text[:m[0]], "\n"), s})
	}
	return out
}

// docExamples reads every JSON example of a markdown document.
func docExamples(md string) []docExample {
	lines := strings.Split(md, "\n")
	var (
		out        []docExample
		block      []string // the prose block being read
		blockStart int
		before     []span // the code spans of the last prose block
		beforeLine int
	)
	endBlock := func() {
		if len(block) == 0 {
			return
		}
		sp := spans(blockStart, block)
		topic, kind := "", ""
		for _, s := range sp {
			if k := topicKind(s.text); k != "" {
				topic, kind = s.text, k
				continue
			}
			if strings.HasPrefix(s.text, `{"`) && strings.HasSuffix(s.text, "}") {
				ex := docExample{line: s.line, json: s.text, topic: topic, kind: kind}
				if kind == "" {
					ex.err = errors.New("no topic code span before this payload in its paragraph")
				}
				out = append(out, ex)
			}
		}
		before, beforeLine = sp, blockStart
		block = nil
	}
	// fenceTopic is the one topic the paragraph before a fence names.
	fenceTopic := func(fence int) (string, string, error) {
		var topic, kind string
		for _, s := range before {
			k := topicKind(s.text)
			switch {
			case k == "":
			case kind == "":
				topic, kind = s.text, k
			case k != kind:
				return "", "", fmt.Errorf("the paragraph before the fence on line %d (from line %d) names two topics, `%s` and `%s`; it must name the one its payloads travel on", fence, beforeLine, topic, s.text)
			}
		}
		if kind == "" {
			return "", "", fmt.Errorf("the paragraph just before the fence on line %d names no topic; name the one its payloads travel on in a code span (\"Publish on `pager/{you}/cmd`:\")", fence)
		}
		return topic, kind, nil
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		m := fenceLine.FindStringSubmatch(line)
		if m == nil {
			switch {
			case strings.TrimSpace(line) == "":
				endBlock()
			case strings.HasPrefix(line, "#"):
				endBlock()
				before = nil
			default:
				if listItem.MatchString(line) {
					endBlock()
				}
				if len(block) == 0 {
					blockStart = i + 1
				}
				block = append(block, line)
			}
			continue
		}
		endBlock()
		lang, open := m[1], i+1
		var body []string
		for i++; i < len(lines) && !fenceEnd.MatchString(lines[i]); i++ {
			body = append(body, lines[i])
		}
		if lang == "mqtt" {
			out = append(out, transcript(open, body)...)
			before = nil
			continue
		}
		topic, kind, terr := fenceTopic(open)
		add := func(line int, payload string, err error) {
			if err == nil {
				err = terr
			}
			out = append(out, docExample{line: line, json: payload, whole: true, topic: topic, kind: kind, err: err})
		}
		if lang != "json" {
			for j, l := range body {
				if strings.HasPrefix(strings.TrimSpace(l), `{"`) {
					add(open+1+j, strings.TrimSpace(l), nil)
				}
			}
			before = nil
			continue
		}
		text := strings.Join(body, "\n")
		dec := json.NewDecoder(strings.NewReader(text))
		n := 0
		for {
			var raw json.RawMessage
			err := dec.Decode(&raw)
			if errors.Is(err, io.EOF) {
				break
			}
			end := int(dec.InputOffset())
			if err != nil {
				add(open+1+strings.Count(text[:min(end, len(text))], "\n"), text, fmt.Errorf("not JSON: %w", err))
				break
			}
			start := end - len(raw)
			add(open+1+strings.Count(text[:start], "\n"), string(raw), nil)
			n++
		}
		if n == 0 {
			add(open, text, errors.New("a ```json fence with no payload"))
		}
		before = nil
	}
	endBlock()
	return out
}

// transcript reads a ```mqtt fence whose first line is on line open.
func transcript(open int, body []string) []docExample {
	var out []docExample
	for j, l := range body {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		topic, payload, _ := strings.Cut(l, " ")
		ex := docExample{line: open + 1 + j, json: strings.TrimSpace(payload), whole: true, topic: topic, transcript: true}
		t, err := ParseTopic(topic)
		if err != nil {
			ex.err = fmt.Errorf("a transcript line is a whole topic and its payload: %w", err)
		}
		ex.kind = t.Kind
		out = append(out, ex)
	}
	return out
}

// Every JSON example in docs/protocol.md decodes strictly into the
// payload type of its topic and encodes back to itself (whole payloads)
// or to the same values (excerpts).
func TestProtocolDocExamples(t *testing.T) {
	md, err := os.ReadFile(protocolMD)
	if err != nil {
		t.Fatal(err)
	}
	examples := docExamples(string(md))
	seen := map[string]int{}
	transcribed := 0
	for _, ex := range examples {
		where := fmt.Sprintf("docs/protocol.md:%d", ex.line)
		t.Run(fmt.Sprintf("line_%d", ex.line), func(t *testing.T) {
			if ex.err != nil {
				t.Fatalf("%s: %v\n  %s", where, ex.err, ex.json)
			}
			if err := checkExample(ex); err != nil {
				t.Fatalf("%s: `%s` example: %v", where, ex.topic, err)
			}
			if ex.transcript && ex.kind == TProfile {
				// A real run's profile lists every kind the bridge knows.
				var p Profile
				if err := json.Unmarshal([]byte(ex.json), &p); err != nil {
					t.Fatal(err)
				}
				for _, k := range Kinds {
					if _, ok := p.Resolutions[k]; !ok {
						t.Errorf("%s: the transcript's profile has no resolutions for %s: run the session again (go test ./protocol/schema -run EndToEnd -transcript FILE)", where, k)
					}
				}
			}
		})
		seen[ex.kind]++
		if ex.transcript {
			transcribed++
		}
	}
	// The payloads a pager developer needs are all shown, whole.
	for _, k := range []string{TProfile, TPresence, TPage, TPagerCmd, TPagerResult, TAlert, TLaneAssist, TBridgeState, TLaneState} {
		if seen[k] == 0 {
			t.Errorf("docs/protocol.md shows no %s payload (or this test no longer finds the examples)", k)
		}
	}
	if transcribed < 10 {
		t.Errorf("docs/protocol.md has %d transcript lines (a ```mqtt fence): its worked session is gone", transcribed)
	}
}

func checkExample(ex docExample) error {
	if ex.whole && ex.json == "" {
		return schema.Validate(ex.kind, nil) // a cleared retained message
	}
	typ := payloadOf[ex.kind]
	v, err := decodeStrict([]byte(ex.json), typ)
	if err != nil {
		return fmt.Errorf("does not decode strictly into protocol.%s: %w\n  %s", typ.Name(), err, ex.json)
	}
	enc := Encode(v)
	if ex.whole {
		var doc bytes.Buffer
		if err := json.Compact(&doc, []byte(ex.json)); err != nil {
			return err
		}
		if doc.String() != string(enc) {
			return fmt.Errorf("is not what protocol.%s encodes (a whole payload shows every field, in order):\n  doc:  %s\n  code: %s", typ.Name(), doc.String(), enc)
		}
		if err := schema.Validate(ex.kind, []byte(ex.json)); err != nil {
			return fmt.Errorf("is not valid against its JSON Schema: %w\n  %s", err, ex.json)
		}
		return nil
	}
	var shown, full map[string]any
	if err := json.Unmarshal([]byte(ex.json), &shown); err != nil {
		return err
	}
	if err := json.Unmarshal(enc, &full); err != nil {
		return err
	}
	for k, want := range shown {
		if got, ok := full[k]; !ok || !reflect.DeepEqual(got, want) {
			return fmt.Errorf("field %q is %v in the doc, but protocol.%s encodes %v:\n  doc:  %s\n  code: %s", k, want, typ.Name(), got, ex.json, enc)
		}
	}
	return nil
}

// The "Errors" table of docs/protocol.md lists every PagerError constant
// of errors.go, by name and text.
func TestProtocolDocListsPagerErrors(t *testing.T) {
	md, err := os.ReadFile(protocolMD)
	if err != nil {
		t.Fatal(err)
	}
	section, line := mdSection(string(md), "### Errors")
	if section == "" {
		t.Fatal("docs/protocol.md has no \"### Errors\" section")
	}
	consts := pagerErrors(t)
	if len(consts) < 10 {
		t.Fatalf("found only %d PagerError constants in errors.go: %v", len(consts), consts)
	}
	for name, text := range consts {
		row := ""
		for _, l := range strings.Split(section, "\n") {
			if strings.Contains(l, "`"+name+"`") {
				row = l
			}
		}
		switch {
		case row == "":
			t.Errorf("docs/protocol.md:%d: the Errors table has no row for %s (%q)", line, name, text)
		case !strings.HasPrefix(row, "| `"+text):
			t.Errorf("docs/protocol.md:%d: the row of %s does not begin with its text %q:\n  %s", line, name, text, row)
		}
	}
}

// mdSection is the text under heading, up to the next heading, and the
// line the heading is on.
func mdSection(md, heading string) (string, int) {
	lines := strings.Split(md, "\n")
	for i, l := range lines {
		if l != heading {
			continue
		}
		j := i + 1
		for j < len(lines) && !strings.HasPrefix(lines[j], "#") {
			j++
		}
		return strings.Join(lines[i+1:j], "\n"), i + 1
	}
	return "", 0
}

// pagerErrors reads the PagerError constants of errors.go: name -> text.
func pagerErrors(t *testing.T) map[string]string {
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "PagerError" {
				continue
			}
			for i, n := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok {
					t.Fatalf("errors.go: %s is not a string literal", n.Name)
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				out[n.Name] = s
			}
		}
	}
	return out
}

// A drifted example is caught and named by its line.
func TestDocExamplesReportDrift(t *testing.T) {
	md := strings.Join([]string{
		"# Doc",                         // 1
		"",                              // 2
		"Publish on `pager/{you}/cmd`:", // 3
		"",                              // 4
		"```json",                       // 5
		`{"id":"c1","alert":"a1","action":"claim","resolution":"","ts":null}`, // 6
		`{"id":"c2","alert":"a1","action":"claim","by":"ana","ts":null}`,      // 7
		"```", // 8
		"",    // 9
		"## Untyped",
		"",
		"```json",                   // 12
		`{"online":true,"ts":null}`, // 13
		"```",
		"",
		"1. The bridge sends `lane/3/command/result` `{\"id\":\"x\",\"ok\":\"yes\"}`.", // 16
		"2. A pager gets `{\"id\":\"y\",\"ok\":true}`.",                                // 17
		"",
		"Publish on `pager/{you}/presence`:",
		"```json",
		`{"status":"available","zone":"front","seq":1,`, // 21
		` "ts":"2026-11-23T10:00:00Z"}`,
		"```",
		"",
		"```mqtt",
		"# ana claims", // 26
		`sco/v1/s1/pager/ana/result {"id":"c1","ok":true,"error":"","claimed_by":"ana","ts":"2026-11-23T10:00:00.000Z"}`,       // 27
		`sco/v1/s1/pager/ana/result {"id":"c1","ok":false,"error":"too late","claimed_by":"","ts":"2026-11-23T10:00:00.000Z"}`, // 28
		"sco/v1/s1/alert/a1",           // 29
		"sco/v1/s1/pager/ana/cmd",      // 30
		`pager/ana/result {"id":"c1"}`, // 31
		"```",
	}, "\n")
	got := map[int]string{}
	for _, ex := range docExamples(md) {
		err := ex.err
		if err == nil {
			err = checkExample(ex)
		}
		msg := "ok"
		if err != nil {
			msg = err.Error()
		}
		got[ex.line] = msg
	}
	want := map[int]string{
		6:  "ok",
		7:  `unknown field "by"`,
		13: "names no topic",
		16: "cannot unmarshal string",
		17: "no topic code span",
		21: "is not what protocol.Presence encodes",
		27: "ok",
		28: "not valid against its JSON Schema",
		29: "ok",
		30: "an empty payload is not a pager/cmd message",
		31: "a transcript line is a whole topic",
	}
	if len(got) != len(want) {
		t.Fatalf("examples found on lines %v, want %v", got, want)
	}
	for line, w := range want {
		if !strings.Contains(got[line], w) {
			t.Errorf("line %d: %q, want it to contain %q", line, got[line], w)
		}
	}
}
