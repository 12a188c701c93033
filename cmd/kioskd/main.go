// Command kioskd runs one self-checkout lane: it drives the scanner,
// bagging scale, lane light and help button, keeps the session, and raises
// alerts for an attendant.
//
//	kioskd -config lane.yaml                 run the lane until SIGTERM/SIGINT
//	kioskd -check-config lane.yaml           check config and catalogue, exit 0 or 1
//	kioskd -config lane.yaml -log-format json -log-level debug
//	kioskd -config lane.yaml -record /tmp/session   device transcripts for test fixtures
//	kioskd -weights lane.yaml                the weights the lane has learned, next to the catalogue's
//
// SIGHUP reloads the catalogue; a bad catalogue is logged and the old one
// kept. The flags, signals and exit codes are those of every command here
// (internal/cli). See docs/lane.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/sco-project/sco/devices/lanegpio"
	"github.com/sco-project/sco/internal/cli"
	"github.com/sco-project/sco/internal/sdnotify"
	"github.com/sco-project/sco/kiosk"
	"github.com/sco-project/sco/kiosk/daemon"
	"github.com/sco-project/sco/kiosk/laneconfig"
)

func main() { command().Main() }

func command() *cli.Command {
	var record string
	var weights bool
	return &cli.Command{
		Name:   "kioskd",
		Usage:  []string{"-config FILE [flags]", "-check-config FILE", "-weights FILE"},
		Doc:    "kioskd runs one self-checkout lane (docs/lane.md). SIGHUP reloads the catalogue.",
		Config: "lane config (YAML)",
		Check:  checkConfig,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&record, "record", "", "write a transcript of each serial device session into this `directory` (test fixtures)")
			fs.Func("weights", "print the weights the lane of this lane config `FILE` has learned, next to the catalogue's, and exit (works beside a running lane)", func(path string) error {
				weights = true
				return fs.Set("config", path)
			})
		},
		Run: func(ctx context.Context, env *cli.Env) error {
			if weights {
				return printWeights(env)
			}
			return mainImpl(ctx, env, record)
		},
	}
}

// printWeights is kioskd -weights: what the lane has learned.
func printWeights(env *cli.Env) error {
	cfg, err := laneconfig.Load(env.Config)
	if err != nil {
		return err
	}
	return daemon.WriteWeights(env.Stdout, cfg)
}

func mainImpl(ctx context.Context, env *cli.Env, record string) error {
	cfg, err := laneconfig.Load(env.Config)
	if err != nil {
		return err
	}
	d, err := daemon.New(cfg, &daemon.Opts{Logger: env.Log, RecordDir: record})
	if err != nil {
		return err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			if err := d.ReloadCatalog(); err != nil {
				env.Log.Error("catalogue reload failed", "err", err)
			}
		}
	}()
	env.Log.Info("kioskd running", "store", cfg.Store, "lane", cfg.Lane, "ui", d.Addr(), "broker", cfg.MQTT.Broker, "data_dir", cfg.DataDir)
	sdnotify.Started(ctx, env.Log) // journal open, session restored, screen listening (Type=notify)
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
	note, err := checkPins(path, cfg.GPIO)
	if err != nil {
		return err
	}
	items := fmt.Sprintf("%d items", cat.Len())
	if cat.Len() == 1 {
		items = "1 item"
	}
	fmt.Fprintf(stdout, "%s: ok (store %s, lane %s, zone %s, catalogue %s with %s, scanner %s, scale %s on %s, broker %s, ui %s)\n",
		path, cfg.Store, cfg.Lane, cfg.Zone, cfg.Catalog, items, portOf(cfg.Scanner.Port, cfg.Scanner.USB),
		cfg.Scale.Protocol, portOf(cfg.Scale.Port, cfg.Scale.USB), cfg.MQTT.Broker, cfg.UI.Listen)
	if note != "" {
		fmt.Fprintln(stdout, note)
	}
	return nil
}

// checkPins looks up the GPIO pins the config names, as kioskd does when
// it starts. On a machine with no GPIO (checking a lane's config on a
// laptop) it cannot: it says so in a note instead, and why.
func checkPins(path string, g laneconfig.GPIOConfig) (note string, err error) {
	var keys, names []string
	for _, p := range []struct{ key, name string }{
		{"gpio.light.green", g.Light.Green}, {"gpio.light.yellow", g.Light.Yellow}, {"gpio.light.red", g.Light.Red}, {"gpio.help", g.Help},
	} {
		if p.name != "" {
			keys, names = append(keys, p.key), append(names, p.name)
		}
	}
	var errs []error
	for i, key := range keys {
		err := lanegpio.CheckPin(key, names[i])
		if errors.Is(err, lanegpio.ErrNoGPIO) {
			return fmt.Sprintf("%s: note: gpio pins %s not checked: %s; kioskd looks them up when it starts, and stops there if one is missing",
				path, strings.Join(names, ", "), strings.TrimPrefix(err.Error(), "lanegpio: ")), nil
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s", filepath.Base(path), strings.TrimPrefix(err.Error(), "lanegpio: ")))
		}
	}
	return "", errors.Join(errs...)
}

func portOf(port, usb string) string {
	if port != "" {
		return port
	}
	return "usb " + usb
}
