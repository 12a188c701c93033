package daemon_test

import (
	"context"
	"log"
	"log/slog"
	"os/signal"
	"syscall"

	"github.com/sco-project/sco/devices/devicestest"
	"github.com/sco-project/sco/kiosk/daemon"
	"github.com/sco-project/sco/kiosk/laneconfig"
)

// A lane as kioskd runs it: devices from the config, until SIGTERM.
func Example() {
	cfg, err := laneconfig.Load("/etc/sco/lane.yaml")
	if err != nil {
		log.Fatal(err)
	}
	d, err := daemon.New(cfg, &daemon.Opts{Logger: slog.Default()})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := d.Run(ctx); err != nil {
		log.Fatal(err)
	}
}

// A lane run in-process with devices of the caller's (as the simulator
// does): the scanner and scale are driven from code.
func ExampleNew_inProcess() {
	cfg, err := laneconfig.Load("lane.yaml")
	if err != nil {
		log.Fatal(err)
	}
	scanner, scale := devicestest.NewScanner(nil), devicestest.NewScale(nil)
	defer scanner.Close()
	defer scale.Close()
	d, err := daemon.New(cfg, &daemon.Opts{Scanner: scanner, Scale: scale})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	scale.Weigh(0)
	scanner.Scan("5000112637922", "]E0")
	scale.Weigh(355)
	log.Printf("lane %s: %d items, screen on http://%s/", d.State().Lane, d.State().Items, d.Addr())
	cancel()
	if err := <-done; err != nil {
		log.Fatal(err)
	}
}
