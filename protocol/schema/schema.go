package schema

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Files holds the schema files: one per payload, and defs.json.
//
//go:embed *.json
var Files embed.FS

// Base is the URI every file's $id starts with; relative $refs between
// the files resolve against it, so the files work together wherever
// they are copied, without a network.
const Base = "https://github.com/sco-project/sco/protocol/schema/"

// ByTopic names the schema file of each topic kind (the values of
// protocol.ParseTopic's Kind: "lane/state", "pager/page", ...).
var ByTopic = map[string]string{
	"lane/state":          "lane_state.json",
	"lane/alert":          "alert.json",
	"lane/command":        "command.json",
	"lane/command/result": "command_result.json",
	"lane/checkout":       "checkout.json",
	"lane/assist":         "assist.json",
	"alert":               "alert_record.json",
	"pager/presence":      "presence.json",
	"pager/profile":       "profile.json",
	"pager/page":          "page.json",
	"pager/cmd":           "pager_cmd.json",
	"pager/result":        "pager_result.json",
	"broadcast/page":      "broadcast_page.json",
	"bridge/state":        "bridge_state.json",
}

// Clearable lists the retained topics on which an empty payload clears
// the retained message: a lane that is gone, an assist or alert record
// that is over, a presence store IT removed, a profile of an attendant
// who left the roster. Elsewhere an empty payload is invalid.
var Clearable = map[string]bool{
	"lane/state":     true,
	"lane/assist":    true,
	"alert":          true,
	"pager/presence": true,
	"pager/profile":  true,
}

// ErrNoSchema is returned for a topic kind or file that has no schema.
var ErrNoSchema = errors.New("schema: no such schema")

var compiled = sync.OnceValues(compile)

// compile compiles every file, checking each against the draft 2020-12
// meta-schema; formats (date-time) are asserted.
func compile() (map[string]*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	names, err := fs.Glob(Files, "*.json")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		b, err := Files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("schema: %s: %w", name, err)
		}
		if err := c.AddResource(Base+name, doc); err != nil {
			return nil, fmt.Errorf("schema: %s: %w", name, err)
		}
	}
	out := make(map[string]*jsonschema.Schema, len(names))
	for _, name := range names {
		s, err := c.Compile(Base + name)
		if err != nil {
			return nil, fmt.Errorf("schema: %s: %w", name, err)
		}
		out[name] = s
	}
	return out, nil
}

// Names lists the schema files, sorted.
func Names() []string {
	names, _ := fs.Glob(Files, "*.json")
	sort.Strings(names)
	return names
}

// Validate checks payload against the schema of a topic kind (see
// ByTopic). An empty payload is valid on a Clearable topic only.
func Validate(kind string, payload []byte) error {
	file, ok := ByTopic[kind]
	if !ok {
		return fmt.Errorf("%w for topic kind %q", ErrNoSchema, kind)
	}
	if len(payload) == 0 {
		if Clearable[kind] {
			return nil
		}
		return fmt.Errorf("schema: %s: an empty payload is not a %s message (only %s may be cleared)", kind, kind, clearable())
	}
	if err := ValidateFile(file, payload); err != nil {
		return fmt.Errorf("%s: %w", kind, err)
	}
	return nil
}

// ValidateFile checks payload against one schema file ("page.json").
func ValidateFile(file string, payload []byte) error {
	all, err := compiled()
	if err != nil {
		return err
	}
	s, ok := all[file]
	if !ok {
		return fmt.Errorf("%w: %q", ErrNoSchema, file)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("schema: %s: not JSON: %w", file, err)
	}
	if err := s.Validate(v); err != nil {
		return fmt.Errorf("schema: %s: %s", file, oneLine(err))
	}
	return nil
}

// oneLine folds a validation error's indented tree into one line.
func oneLine(err error) string {
	var parts []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "- ")); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}

func clearable() string {
	var k []string
	for t := range Clearable {
		k = append(k, t)
	}
	sort.Strings(k)
	return strings.Join(k, ", ")
}
