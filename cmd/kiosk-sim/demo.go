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
		acl      bool
		logins   loginFlags
	)
	return &cli.Command{
		Name:  "demo",
		Short: "a small store running by itself: lanes, shoppers, attendants, pages",
		Doc: "demo runs a store with random shoppers and virtual attendants and prints what happens, until Ctrl-C or -duration; then a summary: the store's report over the run's intervention records (what attendant-bridge report prints for a real store, computed by the same code) and the alerts still open. -log-level shows the components' own logs on stderr.\n\n" +
			"The bridge serves the attendant app on -web; the demo prints its address and every attendant's PIN, so a person can join from a browser as one more attendant: as one of the virtual ones (the same person on two devices) or as an -attendant entry that nobody plays (also from a terminal pager).\n\n" +
			"-acl is the test mode for pager-app makers: the store runs on a real Mosquitto (Debian's mosquitto package) that the demo sets up from the shipped files (scripts/mosquitto: sco.conf, acl, add-user.sh) in a temporary directory and stops at the end, so it enforces exactly a store's ACL and passwords. Every part logs in as itself; the demo prints a broker login and a new random password for every roster entry (and a second-device login for each virtual attendant), for each -login (a pager login the bridge does not know: \"unknown attendant\", no profile) and for a read-only watcher, with terminal pager and mosquitto_sub lines that work as printed.",
		LogLevel: "off",
		Flags: func(fs *flag.FlagSet) {
			bf.register(fs)
			fs.IntVar(&lanes, "lanes", 4, "number of lanes")
			fs.Uint64Var(&seed, "seed", 1, "random shoppers' seed")
			fs.DurationVar(&duration, "duration", 0, "stop after this long (0: until Ctrl-C)")
			fs.StringVar(&webAddr, "web", "127.0.0.1:0", "serve the attendant app on this `host:port` (port 0: a free one; 0.0.0.0:8443 for phones on the network, in plain HTTP); \"\" serves none")
			fs.Var(&extra, "attendant", "add a roster entry that no virtual attendant plays, `id:zone:role[,role]` (zoe:front:attendant); repeatable")
			fs.BoolVar(&acl, "acl", false, "run the store on a real Mosquitto with the shipped ACL and passwords (scripts/mosquitto; needs the mosquitto package): every part logs in as itself, and the demo prints a login for every attendant")
			fs.Var(&logins, "login", "with -acl, add a pager login `name` the bridge does not know (not on the roster): an app logged in as it meets \"unknown attendant\"; repeatable")
		},
		Run: func(ctx context.Context, env *cli.Env) error {
			if lanes < 1 || lanes > 64 {
				return cli.Usagef("-lanes %d: between 1 and 64", lanes)
			}
			if acl && bf != (brokerFlags{}) {
				return cli.Usagef("-acl runs its own broker: not with -broker, -username, -password or -ca")
			}
			if len(logins) > 0 && !acl {
				return cli.Usagef("-login needs -acl (the embedded broker takes anyone)")
			}
			if duration > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, duration)
				defer cancel()
			}
			return demo.Run(ctx, demo.Opts{Broker: bf.url, MQTT: bf.config(), Lanes: lanes, Seed: seed, Out: env.Stdout, Logger: env.Log,
				Web: webAddr, Extra: extra, ACL: acl, Logins: logins})
		},
	}
}

// loginFlags collects -login name.
type loginFlags []string

func (l *loginFlags) String() string { return strings.Join(*l, " ") }

func (l *loginFlags) Set(s string) error {
	*l = append(*l, s)
	return nil
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
