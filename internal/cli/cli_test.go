package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// result is what one Execute printed and returned.
type result struct {
	code        int
	out, stderr string
}

func execute(t *testing.T, c *Command, args ...string) result {
	t.Helper()
	var out, errs bytes.Buffer
	code := c.Execute(context.Background(), args, Stdio{Out: &out, Err: &errs})
	return result{code, out.String(), errs.String()}
}

// tool is a command with a flag, a config and a Run that logs one line at
// each level and returns what -fail says.
func tool(ran *Env) *Command {
	var fail string
	return &Command{
		Name:   "tool",
		Doc:    "Tool does things.",
		Config: "tool config (YAML)",
		Check: func(path string, out io.Writer) error {
			if path == "bad.yaml" {
				return errors.New("bad.yaml: line 1: unknown key x\nbad.yaml: line 2: unknown key y")
			}
			fmt.Fprintf(out, "ok: %s\n", path)
			return nil
		},
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&fail, "fail", "", "fail with this `error`")
		},
		Run: func(ctx context.Context, env *Env) error {
			*ran = *env
			env.Log.Debug("debug line")
			env.Log.Info("info line", "k", "v")
			env.Log.Warn("warn line")
			env.Log.Error("error line")
			switch fail {
			case "":
				return nil
			case "usage":
				return Usagef("-fail usage given")
			}
			return errors.New(fail)
		},
	}
}

func TestHelpExitsZeroWithUsageOnStdout(t *testing.T) {
	for _, h := range []string{"-h", "-help", "--help"} {
		var env Env
		r := execute(t, tool(&env), h)
		assert.Equal(t, ExitOK, r.code, h)
		assert.Empty(t, r.stderr, h)
		assert.Contains(t, r.out, "usage: tool -config FILE [flags]\n       tool -check-config FILE\n\nTool does things.\n\nflags:\n")
		for _, f := range []string{"-check-config FILE", "-config FILE", "-fail error", "-log-format text|json", "-log-level debug|info|warn|error|off"} {
			assert.Contains(t, r.out, f, h)
		}
		assert.Contains(t, r.out, "(default text)")
		assert.Contains(t, r.out, "(default info)")
		assert.Nil(t, env.Log, "Run did not run")
	}
}

func TestBadFlagsExitTwoWithUsageOnStderr(t *testing.T) {
	for args, want := range map[string][]string{
		"tool: flag provided but not defined: -colour":                                     {"-colour"},
		`tool: invalid value "xml" for flag -log-format: must be text or json`:             {"-config", "x", "-log-format", "xml"},
		`tool: invalid value "loud" for flag -log-level: must be debug, info, warn, error`: {"-config", "x", "-log-level", "loud"},
		`tool: unexpected argument "extra"`:                                                {"-config", "x", "extra"},
		"tool: -config or -check-config is required":                                       {},
		"tool: -fail usage given":                                                          {"-config", "x", "-log-level", "off", "-fail", "usage"},
	} {
		var env Env
		r := execute(t, tool(&env), want...)
		assert.Equal(t, ExitUsage, r.code, args)
		assert.True(t, strings.HasPrefix(r.stderr, args), "%q starts with %q", r.stderr, args)
		assert.Contains(t, r.stderr, "\nusage: tool -config FILE [flags]\n", args)
		assert.Empty(t, r.out, args)
	}
}

func TestRuntimeErrorIsOneLineAndExitsOne(t *testing.T) {
	var env Env
	r := execute(t, tool(&env), "-config", "x.yaml", "-log-level", "off", "-fail", "broker unreachable")
	assert.Equal(t, ExitError, r.code)
	assert.Equal(t, "tool: broker unreachable\n", r.stderr)
	assert.Equal(t, "x.yaml", env.Config)
}

func TestCheckConfig(t *testing.T) {
	var env Env
	r := execute(t, tool(&env), "-check-config", "good.yaml")
	assert.Equal(t, result{ExitOK, "ok: good.yaml\n", ""}, r)
	assert.Nil(t, env.Log, "-check-config does not run")

	// Every problem on its own line, each named after the command.
	r = execute(t, tool(&env), "-check-config", "bad.yaml")
	assert.Equal(t, result{ExitError, "", "tool: bad.yaml: line 1: unknown key x\ntool: bad.yaml: line 2: unknown key y\n"}, r)
}

func TestLogJSONLinesAndLevels(t *testing.T) {
	var env Env
	r := execute(t, tool(&env), "-config", "x", "-log-format", "json", "-log-level", "debug")
	require.Equal(t, ExitOK, r.code, r.stderr)
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	require.Len(t, lines, 4, r.stderr)
	var levels []string
	for _, l := range lines {
		var v map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &v), "JSON line: %s", l)
		levels = append(levels, v["level"].(string))
	}
	assert.Equal(t, []string{"DEBUG", "INFO", "WARN", "ERROR"}, levels)
	assert.Contains(t, lines[1], `"msg":"info line","k":"v"`)

	for level, want := range map[string][]string{
		"":      {"info line", "warn line", "error line"}, // the default
		"info":  {"info line", "warn line", "error line"},
		"warn":  {"warn line", "error line"},
		"ERROR": {"error line"},
		"off":   nil,
	} {
		args := []string{"-config", "x"}
		if level != "" {
			args = append(args, "-log-level", level)
		}
		r := execute(t, tool(&env), args...)
		require.Equal(t, ExitOK, r.code, r.stderr)
		var got []string
		for _, l := range strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n") {
			if l != "" {
				assert.True(t, strings.HasPrefix(l, "time="), "text line: %s", l)
				got = append(got, l[strings.Index(l, `msg="`)+5:strings.LastIndex(l, `"`)])
			}
		}
		assert.Equal(t, want, got, "level %q", level)
	}
}

func TestDefaultLogLevelPerCommand(t *testing.T) {
	var env Env
	c := tool(&env)
	c.LogLevel = "off"
	r := execute(t, c, "-config", "x")
	assert.Equal(t, result{ExitOK, "", ""}, r)
	r = execute(t, c, "-config", "x", "-log-level", "error")
	assert.Contains(t, r.stderr, "error line")
	r = execute(t, c, "-h")
	assert.Contains(t, r.out, "(default off)")
}

func TestNewLogger(t *testing.T) {
	_, err := NewLogger(io.Discard, "xml", "info")
	assert.EqualError(t, err, `-log-format: "xml" is not text or json`)
	_, err = NewLogger(io.Discard, "text", "loud")
	assert.EqualError(t, err, `-log-level: "loud" is not debug, info, warn, error or off`)
	var b bytes.Buffer
	l, err := NewLogger(&b, "json", "warn")
	require.NoError(t, err)
	l.Info("no")
	l.Warn("yes")
	assert.Contains(t, b.String(), `"msg":"yes"`)
	assert.NotContains(t, b.String(), `"msg":"no"`)
}

func TestArgs(t *testing.T) {
	var got []string
	c := &Command{Name: "run", Args: "scenario.yaml...", Run: func(_ context.Context, env *Env) error {
		got = env.Args
		if len(env.Args) == 0 {
			return Usagef("name one or more scenario files")
		}
		return nil
	}}
	r := execute(t, c, "-log-level", "warn", "a.yaml", "b.yaml")
	assert.Equal(t, ExitOK, r.code)
	assert.Equal(t, []string{"a.yaml", "b.yaml"}, got)
	r = execute(t, c)
	assert.Equal(t, ExitUsage, r.code)
	assert.True(t, strings.HasPrefix(r.stderr, "run: name one or more scenario files\nusage: run [flags] scenario.yaml...\n"), r.stderr)
}

func TestSubcommands(t *testing.T) {
	var ran string
	sub := func(name string) *Command {
		return &Command{Name: name, Short: name + " things", Run: func(_ context.Context, env *Env) error {
			ran = env.Name
			return errors.New("it failed")
		}}
	}
	sim := &Command{Name: "sim", Doc: "Sim simulates.", Commands: []*Command{sub("demo"), sub("run")}}

	for _, h := range []string{"-h", "-help", "--help", "help"} {
		r := execute(t, sim, h)
		assert.Equal(t, ExitOK, r.code)
		assert.Equal(t, "usage: sim <command> [flags]\n\nSim simulates.\n\ncommands:\n  demo  demo things\n  run   run things\n\nRun 'sim <command> -h' for the command's flags.\n", r.out)
	}
	r := execute(t, sim)
	assert.Equal(t, ExitUsage, r.code)
	assert.True(t, strings.HasPrefix(r.stderr, "sim: no command\nusage: sim <command>"), r.stderr)
	r = execute(t, sim, "frob")
	assert.Equal(t, ExitUsage, r.code)
	assert.True(t, strings.HasPrefix(r.stderr, `sim: unknown command "frob"`+"\nusage:"), r.stderr)

	r = execute(t, sim, "demo", "-h")
	assert.Equal(t, ExitOK, r.code)
	assert.True(t, strings.HasPrefix(r.out, "usage: sim demo [flags]\n"), r.out)
	r = execute(t, sim, "run", "-x")
	assert.Equal(t, ExitUsage, r.code)
	assert.True(t, strings.HasPrefix(r.stderr, "sim run: flag provided but not defined: -x\nusage: sim run [flags]"), r.stderr)
	r = execute(t, sim, "run")
	assert.Equal(t, result{ExitError, "", "sim run: it failed\n"}, r)
	assert.Equal(t, "sim run", ran)
}

// A command with a config and a subcommand: the subcommand when the first
// argument names it, else the command with its flags.
func TestCommandWithSubcommand(t *testing.T) {
	var ran Env
	c := tool(&ran)
	var subRan string
	c.Commands = []*Command{{Name: "hash", Short: "hash a thing", Run: func(_ context.Context, env *Env) error {
		subRan = env.Name
		return nil
	}}}
	r := execute(t, c, "hash")
	assert.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, "tool hash", subRan)
	r = execute(t, c, "-config", "a.yaml", "-log-level", "off")
	assert.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, "a.yaml", ran.Config)
	r = execute(t, c, "-h")
	assert.Equal(t, ExitOK, r.code)
	assert.True(t, strings.HasPrefix(r.out, "usage: tool -config FILE [flags]\n       tool -check-config FILE\n       tool <command> [flags]\n"), r.out)
	assert.Contains(t, r.out, "commands:\n  hash  hash a thing\n")
	assert.Contains(t, r.out, "-log-format")
	r = execute(t, c, "frob")
	assert.Equal(t, ExitUsage, r.code)
	assert.Contains(t, r.stderr, `unexpected argument "frob"`)
}
