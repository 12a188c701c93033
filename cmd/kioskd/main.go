// Command kioskd runs one self-checkout lane: it drives the scanner,
// bagging scale, lane light and help button, keeps the session, and raises
// alerts for an attendant.
//
//	kioskd -config lane.yaml                 run the lane until SIGTERM/SIGINT
//	kioskd -check-config lane.yaml           check config and catalogue, exit 0 or 1
//	kioskd -config lane.yaml -log-format json
//	kioskd -config lane.yaml -record /tmp/session   device transcripts for test fixtures
//
// SIGHUP reloads the catalogue; a bad catalogue is logged and the old one
// kept. See docs/lane.md.
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
	"strings"
	"syscall"

	"github.com/sco-project/sco/kiosk"
	"github.com/sco-project/sco/kiosk/daemon"
	"github.com/sco-project/sco/kiosk/laneconfig"
)

func main() {
	if err := mainImpl(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(os.Stderr, "kioskd: "+line)
		}
		os.Exit(1)
	}
}

func mainImpl(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kioskd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "lane config file (YAML)")
	check := fs.String("check-config", "", "check this lane config and its catalogue, then exit")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	record := fs.String("record", "", "write a transcript of each serial device session into this directory (test fixtures)")
	if err := fs.Parse(args); err != nil {
		return errors.New("bad arguments (see -h)")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see -h)", fs.Arg(0))
	}
	if *check != "" {
		return checkConfig(*check, stdout)
	}
	if *config == "" {
		return errors.New("-config lane.yaml is required (or -check-config lane.yaml)")
	}
	logger, err := newLogger(*logFormat, *logLevel, stderr)
	if err != nil {
		return err
	}
	cfg, err := laneconfig.Load(*config)
	if err != nil {
		return err
	}
	d, err := daemon.New(cfg, &daemon.Opts{Logger: logger, RecordDir: *record})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			if err := d.ReloadCatalog(); err != nil {
				logger.Error("catalogue reload failed", "err", err)
			}
		}
	}()
	logger.Info("kioskd running", "store", cfg.Store, "lane", cfg.Lane, "ui", d.Addr(), "broker", cfg.MQTT.Broker, "data_dir", cfg.DataDir)
	return d.Run(ctx)
}

// checkConfig loads the config and the catalogue it names and reports
// every problem, one per line.
func checkConfig(path string, stdout io.Writer) error {
	cfg, err := laneconfig.Load(path)
	if err != nil {
		return err
	}
	cat, err := kiosk.LoadCatalog(cfg.Catalog, cfg.Barcode.Layouts, cfg.Policy.DefaultToleranceG)
	if err != nil {
		return err // names the file and line
	}
	fmt.Fprintf(stdout, "ok: %s: store %s lane %s zone %s, catalogue %s (%d items), scanner %s, scale %s %s, broker %s, ui %s\n",
		path, cfg.Store, cfg.Lane, cfg.Zone, cfg.Catalog, cat.Len(), portOf(cfg.Scanner.Port, cfg.Scanner.USB),
		cfg.Scale.Protocol, portOf(cfg.Scale.Port, cfg.Scale.USB), cfg.MQTT.Broker, cfg.UI.Listen)
	return nil
}

func portOf(port, usb string) string {
	if port != "" {
		return port
	}
	return "usb " + usb
}

func newLogger(format, level string, w io.Writer) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log-level: %q is not debug, info, warn or error", level)
	}
	o := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, o)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	}
	return nil, fmt.Errorf("-log-format: %q is not text or json", format)
}
