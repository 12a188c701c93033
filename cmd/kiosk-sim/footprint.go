package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sco-project/sco/simulator/bench/footprint"
)

// footprintMain runs `kiosk-sim footprint`: one real kioskd process, its
// start-up time, memory and CPU idle and busy, read from /proc.
// scripts/footprint.sh builds kioskd and runs it.
//
//	kiosk-sim footprint -kioskd /tmp/kioskd [-idle 10s] [-busy 15s] [-every 1.5s] [-poll 0]
func footprintMain(args []string) error {
	fs := flag.NewFlagSet("footprint", flag.ContinueOnError)
	var o footprint.Opts
	fs.StringVar(&o.Kioskd, "kioskd", "", "path to the kioskd binary (required)")
	fs.DurationVar(&o.Idle, "idle", 10*time.Second, "how long to measure the idle lane")
	fs.DurationVar(&o.Busy, "busy", 15*time.Second, "how long to measure a busy session")
	fs.DurationVar(&o.Every, "every", 1500*time.Millisecond, "busy session: one item scanned and bagged this often")
	fs.DurationVar(&o.Poll, "poll", 0, "scale.poll_interval for the lane; 0 means kioskd's default")
	fs.BoolVar(&o.Debug, "debug", os.Getenv("FOOTPRINT_DEBUG") != "", "run kioskd at debug level and print its log and each state on stderr (or set FOOTPRINT_DEBUG=1)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("footprint: unexpected argument %q", fs.Arg(0))
	}
	if o.Kioskd == "" {
		return errors.New("footprint: -kioskd is required")
	}
	o.Out, o.Log = os.Stdout, os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return footprint.Run(ctx, o)
}
