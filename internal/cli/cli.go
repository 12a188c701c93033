package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit codes of every command.
const (
	ExitOK    = 0 // done, or -h printed the usage
	ExitError = 1 // the command failed; the error is on stderr
	ExitUsage = 2 // bad flags or arguments; the error and the usage are on stderr
)

// Command describes a command, or with Commands a command made of
// subcommands (kiosk-sim demo, kiosk-sim run, ...).
type Command struct {
	// Name is the command as typed: "kioskd", or "demo" for a subcommand
	// (whose messages then say "kiosk-sim demo: ...").
	Name string
	// Short is the subcommand's line in its parent's usage.
	Short string
	// Usage is the synopsis after the name, one entry per line; nil means
	// "[flags]" and Args, or for a command with a config
	// "-config FILE [flags]" and "-check-config FILE".
	Usage []string
	// Doc is printed by -h between the synopsis and the flags.
	Doc string
	// Args names the positional arguments in the synopsis
	// ("scenario.yaml..."); Run finds them in Env.Args. "" means the
	// command takes none: an argument is a usage error.
	Args string
	// Config, when not "", says what the command's config file is ("lane
	// config (YAML)"). The command then takes -config FILE, which it needs
	// to run (Env.Config), and -check-config FILE, which calls Check
	// instead of Run.
	Config string
	// Check loads and checks a config file and says so on stdout in one
	// line. Its error may hold one line per problem; each is printed as
	// "<command>: <line>". Required with Config.
	Check func(path string, stdout io.Writer) error
	// LogLevel is the default of -log-level; "" means info. The
	// simulator's commands use "off": what they have to say is on stdout.
	LogLevel string
	// Flags adds the command's own flags to fs.
	Flags func(fs *flag.FlagSet)
	// Run runs the command; ctx ends on SIGINT or SIGTERM. An error made
	// by Usagef exits 2 with the usage, any other error exits 1.
	Run func(ctx context.Context, env *Env) error
	// Commands are the subcommands, chosen by the first argument. A
	// command with subcommands and no Run has no flags of its own; one
	// with a Run too (attendant-bridge and its hash-pin) runs the
	// subcommand the first argument names, else itself with its flags.
	Commands []*Command
}

// Env is what a command runs with.
type Env struct {
	// Name is the command's full name ("kiosk-sim demo").
	Name string
	// Args are the positional arguments (see Command.Args).
	Args []string
	// Config is the -config file, for a command with a config.
	Config string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Log writes to Stderr as -log-format and -log-level say; never nil.
	Log *slog.Logger
}

// Stdio is where a command reads and writes. A nil In reads nothing; a
// nil Out or Err discards.
type Stdio struct {
	In       io.Reader
	Out, Err io.Writer
}

// Usagef returns an error that Run reports as a usage error: the message,
// the usage on stderr, exit status 2.
func Usagef(format string, a ...any) error {
	return &usageError{msg: fmt.Sprintf(format, a...)}
}

type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// Main runs the command with the process's arguments and exits with its
// status.
func (c *Command) Main() {
	os.Exit(c.Execute(context.Background(), os.Args[1:], Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}

// Execute runs the command with args (the program name left out) and
// returns its exit status: ExitOK, ExitError or ExitUsage. Run's context
// derives from ctx.
func (c *Command) Execute(ctx context.Context, args []string, stdio Stdio) int {
	if stdio.In == nil {
		stdio.In = strings.NewReader("")
	}
	if stdio.Out == nil {
		stdio.Out = io.Discard
	}
	if stdio.Err == nil {
		stdio.Err = io.Discard
	}
	return c.execute(ctx, c.Name, args, stdio)
}

func (c *Command) execute(ctx context.Context, name string, args []string, stdio Stdio) int {
	if len(c.Commands) > 0 && (c.Run == nil || (len(args) > 0 && c.sub(args[0]) != nil)) {
		return c.dispatch(ctx, name, args, stdio)
	}
	if c.Config != "" && c.Check == nil {
		panic("cli: " + name + ": Config without Check")
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the errors and the usage are printed below
	fs.Usage = func() {}
	format, level := formatFlag("text"), levelFlag(c.LogLevel)
	if level == "" {
		level = "info"
	}
	fs.Var(&format, "log-format", "write the log on stderr as `text|json`")
	fs.Var(&level, "log-level", "log this level and above, `debug|info|warn|error|off` (off logs nothing)")
	var config, check string
	if c.Config != "" {
		fs.StringVar(&config, "config", "", "run with this `FILE`, the "+c.Config)
		fs.StringVar(&check, "check-config", "", "check this `FILE`, the "+c.Config+": print FILE: ok (...) and exit 0, or what is wrong and exit 1")
	}
	if c.Flags != nil {
		c.Flags(fs)
	}
	switch err := fs.Parse(args); {
	case errors.Is(err, flag.ErrHelp):
		c.usage(stdio.Out, name, fs)
		return ExitOK
	case err != nil:
		return c.usageError(stdio.Err, name, fs, err)
	}
	if c.Args == "" && fs.NArg() > 0 {
		return c.usageError(stdio.Err, name, fs, fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if check != "" {
		return report(stdio.Err, name, c.Check(check, stdio.Out))
	}
	if c.Config != "" && config == "" {
		return c.usageError(stdio.Err, name, fs, errors.New("-config or -check-config is required"))
	}
	logger, err := NewLogger(stdio.Err, string(format), string(level))
	if err != nil { // the flags were checked when parsed
		return report(stdio.Err, name, err)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal kills at once
	}()
	err = c.Run(ctx, &Env{Name: name, Args: fs.Args(), Config: config,
		Stdin: stdio.In, Stdout: stdio.Out, Stderr: stdio.Err, Log: logger})
	if ue := (*usageError)(nil); errors.As(err, &ue) {
		return c.usageError(stdio.Err, name, fs, err)
	}
	return report(stdio.Err, name, err)
}

// dispatch runs the subcommand the first argument names.
func (c *Command) dispatch(ctx context.Context, name string, args []string, stdio Stdio) int {
	if len(args) == 0 {
		fmt.Fprintf(stdio.Err, "%s: no command\n", name)
		c.usage(stdio.Err, name, nil)
		return ExitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		c.usage(stdio.Out, name, nil)
		return ExitOK
	}
	if sub := c.sub(args[0]); sub != nil {
		return sub.execute(ctx, name+" "+sub.Name, args[1:], stdio)
	}
	fmt.Fprintf(stdio.Err, "%s: unknown command %q\n", name, args[0])
	c.usage(stdio.Err, name, nil)
	return ExitUsage
}

// sub is the subcommand called name, or nil.
func (c *Command) sub(name string) *Command {
	for _, sub := range c.Commands {
		if sub.Name == name {
			return sub
		}
	}
	return nil
}

func (c *Command) usageError(w io.Writer, name string, fs *flag.FlagSet, err error) int {
	fmt.Fprintf(w, "%s: %v\n", name, err)
	c.usage(w, name, fs)
	return ExitUsage
}

// usage prints the synopsis, Doc, and the flags or the subcommands.
func (c *Command) usage(w io.Writer, name string, fs *flag.FlagSet) {
	lines := c.Usage
	switch {
	case lines != nil:
	case len(c.Commands) > 0 && c.Run == nil:
		lines = []string{"<command> [flags]"}
	case c.Config != "":
		lines = []string{"-config FILE [flags]", "-check-config FILE"}
		if len(c.Commands) > 0 {
			lines = append(lines, "<command> [flags]")
		}
	default:
		lines = []string{strings.TrimSpace("[flags] " + c.Args)}
	}
	for i, l := range lines {
		lead := "usage:"
		if i > 0 {
			lead = "      "
		}
		fmt.Fprintf(w, "%s %s %s\n", lead, name, l)
	}
	if c.Doc != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(c.Doc, "\n"))
	}
	if len(c.Commands) > 0 {
		fmt.Fprintf(w, "\ncommands:\n")
		width := 0
		for _, sub := range c.Commands {
			width = max(width, len(sub.Name))
		}
		for _, sub := range c.Commands {
			fmt.Fprintf(w, "  %-*s  %s\n", width, sub.Name, sub.Short)
		}
		fmt.Fprintf(w, "\nRun '%s <command> -h' for the command's flags.\n", name)
	}
	if fs != nil {
		fmt.Fprintf(w, "\nflags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

// report prints err as "<name>: <line>" per line and returns the exit
// status.
func report(w io.Writer, name string, err error) int {
	if err == nil {
		return ExitOK
	}
	for _, line := range strings.Split(strings.TrimRight(err.Error(), "\n"), "\n") {
		fmt.Fprintf(w, "%s: %s\n", name, line)
	}
	return ExitError
}
