// Command attendant-bridge runs once per store: it pages attendants for
// lane alerts, escalates and carries resolutions back to the lane.
//
//	attendant-bridge -config bridge.yaml
//	attendant-bridge -check-config bridge.yaml
//	attendant-bridge -config bridge.yaml -log-format json
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/sco-project/sco/attendant/bridge"
)

func main() {
	if err := mainImpl(); err != nil {
		fmt.Fprintln(os.Stderr, "attendant-bridge:", err)
		os.Exit(1)
	}
}

func mainImpl() error {
	config := flag.String("config", "", "bridge config file (YAML) to run with")
	check := flag.String("check-config", "", "validate this bridge config file, print what is wrong and exit")
	logFormat := flag.String("log-format", "text", "log format: text or json")
	flag.Parse()
	if flag.NArg() != 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	if *check != "" {
		cfg, err := bridge.LoadConfig(*check)
		if err != nil {
			return err
		}
		fmt.Printf("%s: ok (store %s, %d attendants)\n", *check, cfg.Store, len(cfg.Attendants))
		return nil
	}
	if *config == "" {
		return errors.New("-config or -check-config is required")
	}
	var h slog.Handler
	switch *logFormat {
	case "text":
		h = slog.NewTextHandler(os.Stderr, nil)
	case "json":
		h = slog.NewJSONHandler(os.Stderr, nil)
	default:
		return fmt.Errorf("-log-format: %q must be text or json", *logFormat)
	}
	cfg, err := bridge.LoadConfig(*config)
	if err != nil {
		return err
	}
	b, err := bridge.New(cfg, &bridge.Opts{Logger: slog.New(h)})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return b.Run(ctx)
}
