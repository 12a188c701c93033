// Command kiosk-sim is the simulator: virtual scanners and scales on real
// pseudo-terminals, scripted and random shoppers, virtual attendants, an
// embedded broker, and the one-command demo.
//
//	kiosk-sim demo [-lanes 4] [-broker URL] [-seed 1] [-duration 0]
//	kiosk-sim run scenario.yaml...         run scenarios; exit 1 if one fails
//	kiosk-sim devices [-dir DIR] [-scale nci|toledo|sics]
//	                                        virtual devices for a real kioskd
//	kiosk-sim bench [flags]                end-to-end latency benchmark
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/simulator/demo"
	"github.com/sco-project/sco/simulator/scenario"
)

const usage = `usage: kiosk-sim <command> [flags]

commands:
  demo      a small store running by itself: lanes, shoppers, attendants, pages
  run       run scenario files (simulator/scenarios/*.yaml) and report
  devices   virtual scanner and scale on pseudo-terminals, for a real kioskd
  bench     end-to-end latency benchmark (see docs/benchmarks.md)

Run 'kiosk-sim <command> -h' for the command's flags.
`

func main() {
	if err := mainImpl(os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "kiosk-sim:", err)
		}
		os.Exit(1)
	}
}

func mainImpl(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errors.New("no command")
	}
	switch args[0] {
	case "demo":
		return demoMain(args[1:])
	case "run":
		return runMain(args[1:])
	case "devices":
		return devicesMain(args[1:], os.Stdin, os.Stdout)
	case "bench":
		return benchMain(args[1:])
	case "footprint":
		return footprintMain(args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(os.Stdout, usage)
		return nil
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// brokerFlags are the flags every command that talks to a broker takes.
type brokerFlags struct {
	url, username, password, ca string
}

func (b *brokerFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&b.url, "broker", "", "MQTT broker URL (tcp://host:1883, ssl://...); empty starts an embedded broker")
	fs.StringVar(&b.username, "username", "", "MQTT username")
	fs.StringVar(&b.password, "password", "", "MQTT password")
	fs.StringVar(&b.ca, "ca", "", "CA certificate file for ssl:// brokers")
}

func (b *brokerFlags) config() mqttc.Config {
	return mqttc.Config{Broker: b.url, Username: b.username, Password: b.password, CAFile: b.ca}
}

func logger(level string, format string) (*slog.Logger, error) {
	if level == "" {
		return slog.New(slog.NewTextHandler(io.Discard, nil)), nil
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log %q: %w", level, err)
	}
	o := &slog.HandlerOptions{Level: l}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, o)), nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, o)), nil
}

// signalContext ends on SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func demoMain(args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var bf brokerFlags
	bf.register(fs)
	lanes := fs.Int("lanes", 4, "number of lanes")
	seed := fs.Uint64("seed", 1, "random shoppers' seed")
	duration := fs.Duration("duration", 0, "stop after this long (0: until Ctrl-C)")
	logLevel := fs.String("log", "", "component log level on stderr (debug, info, warn, error); empty: none")
	logFormat := fs.String("log-format", "text", "text or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *lanes < 1 || *lanes > 64 {
		return fmt.Errorf("-lanes %d: between 1 and 64", *lanes)
	}
	lg, err := logger(*logLevel, *logFormat)
	if err != nil {
		return err
	}
	ctx, cancel := signalContext()
	defer cancel()
	if *duration > 0 {
		var c2 context.CancelFunc
		ctx, c2 = context.WithTimeout(ctx, *duration)
		defer c2()
	}
	return demo.Run(ctx, demo.Opts{Broker: bf.url, MQTT: bf.config(), Lanes: *lanes, Seed: *seed, Out: os.Stdout, Logger: lg})
}

func runMain(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var bf brokerFlags
	bf.register(fs)
	verbose := fs.Bool("v", false, "print each step as it runs")
	logLevel := fs.String("log", "", "component log level on stderr; empty: none")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("run: name one or more scenario files, e.g. simulator/scenarios/*.yaml")
	}
	lg, err := logger(*logLevel, "text")
	if err != nil {
		return err
	}
	ctx, cancel := signalContext()
	defer cancel()
	var failed []string
	for _, path := range fs.Args() {
		sc, err := scenario.Load(path)
		if err != nil {
			return err
		}
		o := scenario.RunOpts{Broker: bf.url, MQTT: bf.config(), Logger: lg}
		if *verbose {
			fmt.Printf("running %s\n", sc.Name)
			o.Progress = os.Stdout
		}
		r, err := scenario.Run(ctx, sc, o)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fmt.Print(r.String())
		if !r.Passed() {
			failed = append(failed, sc.Name)
		}
	}
	fmt.Printf("\n%d passed, %d failed\n", fs.NArg()-len(failed), len(failed))
	if len(failed) > 0 {
		return fmt.Errorf("failed: %v", failed)
	}
	return nil
}
