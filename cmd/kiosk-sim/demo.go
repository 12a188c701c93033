package main

import (
	"context"
	"flag"
	"strings"
	"time"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/internal/cli"
	"github.com/sco-project/sco/simulator/demo"
)

func demoCommand() *cli.Command {
	var (
		bf       brokerFlags
		lanes    int
		seed     uint64
		duration time.Duration
		webAddr  string
		extra    attendantFlags
	)
	return &cli.Command{
		Name:  "demo",
		Short: "a small store running by itself: lanes, shoppers, attendants, pages",
		Doc: "demo runs a store with random shoppers and virtual attendants and prints what happens, until Ctrl-C or -duration; then a summary: the store's report over the run's intervention records (what attendant-bridge report prints for a real store, computed by the same code) and the alerts still open. -log-level shows the components' own logs on stderr.\n\n" +
			"The bridge serves the attendant app on -web; the demo prints its address and every attendant's PIN, so a person can join from a browser as one more attendant: as one of the virtual ones (the same person on two devices) or as an -attendant entry that nobody plays (also from a terminal pager).",
		LogLevel: "off",
		Flags: func(fs *flag.FlagSet) {
			bf.register(fs)
			fs.IntVar(&lanes, "lanes", 4, "number of lanes")
			fs.Uint64Var(&seed, "seed", 1, "random shoppers' seed")
			fs.DurationVar(&duration, "duration", 0, "stop after this long (0: until Ctrl-C)")
			fs.StringVar(&webAddr, "web", "127.0.0.1:0", "serve the attendant app on this `host:port` (port 0: a free one; 0.0.0.0:8443 for phones on the network, in plain HTTP); \"\" serves none")
			fs.Var(&extra, "attendant", "add a roster entry that no virtual attendant plays, `id:zone:role[,role]` (zoe:front:attendant); repeatable")
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
			return demo.Run(ctx, demo.Opts{Broker: bf.url, MQTT: bf.config(), Lanes: lanes, Seed: seed, Out: env.Stdout, Logger: env.Log,
				Web: webAddr, Extra: extra})
		},
	}
}

// attendantFlags collects -attendant id:zone:role[,role].
type attendantFlags []attendant.Attendant

func (a *attendantFlags) String() string {
	var p []string
	for _, x := range *a {
		p = append(p, x.ID+":"+x.Zone+":"+strings.Join(x.Roles, ","))
	}
	return strings.Join(p, " ")
}

func (a *attendantFlags) Set(s string) error {
	x, err := demo.ParseAttendant(s)
	if err != nil {
		return err
	}
	*a = append(*a, x)
	return nil
}
