package main

import (
	"context"
	"flag"
	"os"
	"time"

	"github.com/sco-project/sco/internal/cli"
	"github.com/sco-project/sco/simulator/bench/footprint"
)

func footprintCommand() *cli.Command {
	var o footprint.Opts
	return &cli.Command{
		Name:     "footprint",
		Short:    "one real kioskd: start-up time, memory and CPU idle and busy",
		Usage:    []string{"-kioskd PATH [-idle 10s] [-busy 15s] [-every 1.5s] [-poll 0]"},
		Doc:      "footprint starts one real kioskd process on virtual devices and reads its start-up time, memory and CPU, idle and busy, from /proc. scripts/footprint.sh builds kioskd and runs it.",
		LogLevel: "off",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&o.Kioskd, "kioskd", "", "path to the kioskd binary (required)")
			fs.DurationVar(&o.Idle, "idle", 10*time.Second, "how long to measure the idle lane")
			fs.DurationVar(&o.Busy, "busy", 15*time.Second, "how long to measure a busy session")
			fs.DurationVar(&o.Every, "every", 1500*time.Millisecond, "busy session: one item scanned and bagged this often")
			fs.DurationVar(&o.Poll, "poll", 0, "scale.poll_interval for the lane; 0 means kioskd's default")
			fs.BoolVar(&o.Debug, "debug", os.Getenv("FOOTPRINT_DEBUG") != "", "run kioskd at debug level and print its log and each state on stderr (or set FOOTPRINT_DEBUG=1)")
		},
		Run: func(ctx context.Context, env *cli.Env) error {
			if o.Kioskd == "" {
				return cli.Usagef("-kioskd is required")
			}
			oo := o
			oo.Out, oo.Log = env.Stdout, env.Stderr
			return footprint.Run(ctx, oo)
		},
	}
}
