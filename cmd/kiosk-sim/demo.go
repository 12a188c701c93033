package main

import (
	"context"
	"flag"
	"time"

	"github.com/sco-project/sco/internal/cli"
	"github.com/sco-project/sco/simulator/demo"
)

func demoCommand() *cli.Command {
	var (
		bf       brokerFlags
		lanes    int
		seed     uint64
		duration time.Duration
	)
	return &cli.Command{
		Name:     "demo",
		Short:    "a small store running by itself: lanes, shoppers, attendants, pages",
		Doc:      "demo runs a store with random shoppers and virtual attendants and prints what happens, until Ctrl-C or -duration; then a summary. -log-level shows the components' own logs on stderr.",
		LogLevel: "off",
		Flags: func(fs *flag.FlagSet) {
			bf.register(fs)
			fs.IntVar(&lanes, "lanes", 4, "number of lanes")
			fs.Uint64Var(&seed, "seed", 1, "random shoppers' seed")
			fs.DurationVar(&duration, "duration", 0, "stop after this long (0: until Ctrl-C)")
		},
		Run: func(ctx context.Context, env *cli.Env) error {
			if lanes < 1 || lanes > 64 {
				return cli.Usagef("-lanes %d: between 1 and 64", lanes)
			}
			if duration > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, duration)
				defer cancel()
			}
			return demo.Run(ctx, demo.Opts{Broker: bf.url, MQTT: bf.config(), Lanes: lanes, Seed: seed, Out: env.Stdout, Logger: env.Log})
		},
	}
}
