package testsupport

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// DocBlock is one fenced block of a doc in the repository (README.md,
// docs/*.md), so that tests can run what the docs show and the two
// cannot drift apart.
type DocBlock struct {
	Doc  string // the doc, relative to the repository's top directory
	Line int    // the line of the opening fence, from 1
	Lang string // the fence's language: sh, yaml, or ""
	// Marker is the name of the "<!-- test: name -->" line just above the
	// fence, or "".
	Marker string
	// Lines are the block's lines, without the fence's indentation (a
	// block in a numbered list is indented).
	Lines []string
}

// Text is the block's content, one line each.
func (b DocBlock) Text() string { return strings.Join(b.Lines, "\n") + "\n" }

// Where names the block for a failure message: docs/bridge.md:42.
func (b DocBlock) Where() string { return b.Doc + ":" + strconv.Itoa(b.Line) }

// configName is the first line of a complete config: a comment naming
// the file, "# bridge.yaml", "# /etc/sco/lane.yaml", optionally followed
// by a colon and words.
var configName = regexp.MustCompile(`^#\s+(\S*\b(?:bridge|lane)\.yaml)(?::.*)?$`)

// ConfigFile is the file a yaml block is a complete config for, named on
// its first line ("# bridge.yaml", "# /etc/sco/lane.yaml: a first
// lane"), or "" when the block is not marked as one.
func (b DocBlock) ConfigFile() string {
	if b.Lang != "yaml" || len(b.Lines) == 0 {
		return ""
	}
	m := configName.FindStringSubmatch(strings.TrimSpace(b.Lines[0]))
	if m == nil {
		return ""
	}
	return m[1]
}

// RepoRoot is the repository's top directory: the nearest directory
// above the test's working directory that holds go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("testsupport: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("testsupport: no go.mod above the working directory")
		}
		dir = up
	}
}

// DocBlocks returns every fenced block of doc (a path relative to the
// repository's top directory), in order.
func DocBlocks(t testing.TB, doc string) []DocBlock {
	t.Helper()
	f, err := os.Open(filepath.Join(RepoRoot(t), doc))
	if err != nil {
		t.Fatalf("testsupport: %v", err)
	}
	defer f.Close()
	var (
		blocks []DocBlock
		cur    *DocBlock
		indent string
		marker string
		n      int
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case cur != nil && trimmed == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.Lines = append(cur.Lines, strings.TrimPrefix(line, indent))
		case strings.HasPrefix(trimmed, "```"):
			indent = line[:len(line)-len(strings.TrimLeft(line, " "))]
			cur = &DocBlock{Doc: doc, Line: n, Lang: strings.TrimPrefix(trimmed, "```"), Marker: marker}
			marker = ""
		default:
			marker = ""
			if name, ok := strings.CutPrefix(trimmed, "<!-- test: "); ok && strings.HasSuffix(name, " -->") {
				marker = strings.TrimSuffix(name, " -->")
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("testsupport: %s: %v", doc, err)
	}
	if cur != nil {
		t.Fatalf("testsupport: %s:%d: the block is not closed", doc, cur.Line)
	}
	return blocks
}

// MarkedBlock returns the block of doc that follows the line
// "<!-- test: name -->"; the test fails when there is none, or more than
// one.
func MarkedBlock(t testing.TB, doc, name string) DocBlock {
	t.Helper()
	var found []DocBlock
	for _, b := range DocBlocks(t, doc) {
		if b.Marker == name {
			found = append(found, b)
		}
	}
	if len(found) != 1 {
		t.Fatalf("testsupport: %s: %d blocks marked %q (a marker line is followed by its fence), want 1", doc, len(found), name)
	}
	return found[0]
}

// ShellCommands joins a shell block's continued lines and its for ...
// done loops into commands, and drops comments and blank lines.
func ShellCommands(block []string) []string {
	var out []string
	cur := ""
	depth := 0
	for _, line := range block {
		trimmed := strings.TrimSpace(line)
		if cur == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if cur != "" {
			cur += "\n"
		}
		cur += line
		if strings.HasPrefix(trimmed, "for ") {
			depth++
		}
		if trimmed == "done" {
			depth--
		}
		if strings.HasSuffix(trimmed, "\\") || depth > 0 {
			continue
		}
		out = append(out, cur)
		cur = ""
	}
	return out
}
