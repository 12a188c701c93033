package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/sco-project/sco/internal/cli"
	"github.com/sco-project/sco/simulator/quality"
)

func qualityCommand() *cli.Command {
	var o quality.Opts
	var trace string
	return &cli.Command{
		Name:  "quality",
		Short: "false alerts per 100 clean checkouts, and planted faults caught (see docs/benchmarks.md)",
		Doc: "quality plays thousands of checkouts in virtual time against the real lane engine and a realistic scale:\n" +
			"shoppers doing it right in their own way (quick hands, own bags, heavy items left in the trolley,\n" +
			"two items at once, catalogue weights 5-10% off), and shoppers who plant a fault. It prints the false\n" +
			"alerts per 100 clean checkouts by rule and the share of planted faults caught by their alert, and\n" +
			"exits 1 when a target is missed (at most 1 false alert per 100, every fault caught), unless\n" +
			"-no-buttons or -no-learning asks for a comparison run.",
		LogLevel: "off",
		Flags: func(fs *flag.FlagSet) {
			fs.IntVar(&o.Checkouts, "checkouts", 5000, "clean checkouts")
			fs.IntVar(&o.Faults, "faults", 100, "checkouts with each planted fault (0: none)")
			fs.IntVar(&o.Lanes, "lanes", 4, "lanes sharing the checkouts; each learns on its own")
			fs.Uint64Var(&o.Seed, "seed", 1, "seed: the same seed gives the same report")
			fs.BoolVar(&o.NoButtons, "no-buttons", false, "shoppers on a lane without the own-bag and skip-bagging buttons (comparison)")
			fs.BoolVar(&o.NoLearning, "no-learning", false, "the lane forgets learned weights after each checkout (comparison)")
			fs.StringVar(&trace, "trace", "", "write the story of each checkout that raised a false alert, or a planted fault not caught, to this `file` (- for stderr)")
		},
		Run: func(_ context.Context, env *cli.Env) error {
			if o.Checkouts < 1 || o.Lanes < 1 {
				return cli.Usagef("-checkouts and -lanes must be at least 1")
			}
			oo := o
			if oo.Faults == 0 {
				oo.Faults = -1
			}
			switch trace {
			case "":
			case "-":
				oo.Trace = env.Stderr
			default:
				f, err := os.Create(trace)
				if err != nil {
					return err
				}
				defer f.Close()
				oo.Trace = f
			}
			rep, err := quality.Run(oo)
			if err != nil {
				return err
			}
			if err := rep.WriteText(env.Stdout); err != nil {
				return err
			}
			if o.NoButtons || o.NoLearning {
				return nil // a comparison: no target
			}
			if err := rep.Check(); err != nil {
				return fmt.Errorf("targets missed: %w", errors.Join(err))
			}
			return nil
		},
	}
}
