package main

import (
	"context"
	"flag"
	"strconv"
	"strings"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/internal/cli"
	"github.com/sco-project/sco/simulator/floors"
	"github.com/sco-project/sco/simulator/store"
)

func storeCommand() *cli.Command {
	var (
		levels   = "1,2,3,4"
		routings = "walk"
		seed     uint64
		shifts   int
		asJSON   bool
	)
	return &cli.Command{
		Name:  "store",
		Short: "time to a person: how long stuck shoppers wait at each staffing level",
		Usage: []string{"[-attendants 1,2,3,4] [-routing walk,zone] [-seed 1] [-shifts 1] [-json] [floor.yaml]"},
		Args:  "[floor.yaml]",
		Doc: "store plays a shift of shoppers and attendants on a floor (without floor.yaml, the shipped " + floors.TwelveLaneName + ", built in) against the real dispatcher on a virtual clock, once per staffing level, and prints trouble to claim, to arrival and to resolution (p50/p90/p95/max), shoppers who waited over 60 s, pages escalated to tier 2 and 3, and utilisation.\n\n" +
			"-routing zone plays the same shift with zone-only routing (tier 1 pages the lane's zone's attendant, wherever she is and even when she is on her way to another lane): the rule of thumb a store without walking times staffs by; -routing walk,zone prints both for each staffing level.",
		LogLevel: "off",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&levels, "attendants", levels, "staffing levels to sweep, comma-separated (the floor's first n attendants)")
			fs.StringVar(&routings, "routing", routings, "tier-1 rules to compare, comma-separated: walk (the bridge's: shortest walk from where each attendant is, never one already on the way) and zone (zone-only)")
			fs.Uint64Var(&seed, "seed", 1, "random seed; the same seed gives the same numbers")
			fs.IntVar(&shifts, "shifts", 1, "shifts to play at each level (seeds seed, seed+1, ...), pooled: 20 make the tail percentiles the floor's, not one day's luck")
			fs.BoolVar(&asJSON, "json", false, "print JSON instead of a table")
		},
		Run: func(ctx context.Context, env *cli.Env) error {
			if len(env.Args) > 1 {
				return cli.Usagef("one floor file at most")
			}
			var ns []int
			for _, s := range strings.Split(levels, ",") {
				n, err := strconv.Atoi(strings.TrimSpace(s))
				if err != nil || n < 1 {
					return cli.Usagef("-attendants: %q is not a number of attendants", s)
				}
				ns = append(ns, n)
			}
			if shifts < 1 || shifts > 1000 {
				return cli.Usagef("-shifts %d: between 1 and 1000", shifts)
			}
			var rts []attendant.Routing
			for _, s := range strings.Split(routings, ",") {
				rt, err := attendant.ParseRouting(strings.TrimSpace(s))
				if err != nil {
					return cli.Usagef("-routing: %v", err)
				}
				rts = append(rts, rt)
			}
			var f *store.Floor
			var err error
			if len(env.Args) == 1 {
				f, err = store.LoadFloor(env.Args[0])
			} else {
				f, err = store.ParseFloor(floors.TwelveLaneName, floors.TwelveLane)
			}
			if err != nil {
				return err
			}
			rs, err := store.Sweep(f, ns, rts, seed, shifts)
			if err != nil {
				return err
			}
			if asJSON {
				return store.WriteJSON(env.Stdout, rs)
			}
			return store.WriteTable(env.Stdout, rs)
		},
	}
}
