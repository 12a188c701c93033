package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/sco-project/sco/internal/cli"
	"github.com/sco-project/sco/simulator/scenario"
)

func runCommand() *cli.Command {
	var (
		bf      brokerFlags
		verbose bool
	)
	return &cli.Command{
		Name:     "run",
		Short:    "run scenario files (simulator/scenarios/*.yaml) and report",
		Args:     "scenario.yaml...",
		Doc:      "run plays each scenario on a fresh simulated store and prints a report; it exits 1 if one failed.",
		LogLevel: "off",
		Flags: func(fs *flag.FlagSet) {
			bf.register(fs)
			fs.BoolVar(&verbose, "v", false, "print each step as it runs")
		},
		Run: func(ctx context.Context, env *cli.Env) error {
			if len(env.Args) == 0 {
				return cli.Usagef("name one or more scenario files, e.g. simulator/scenarios/*.yaml")
			}
			return runScenarios(ctx, env, bf, verbose)
		},
	}
}

func runScenarios(ctx context.Context, env *cli.Env, bf brokerFlags, verbose bool) error {
	var failed []string
	for _, path := range env.Args {
		sc, err := scenario.Load(path)
		if err != nil {
			return err
		}
		o := scenario.RunOpts{Broker: bf.url, MQTT: bf.config(), Logger: env.Log}
		if verbose {
			fmt.Fprintf(env.Stdout, "running %s\n", sc.Name)
			o.Progress = env.Stdout
		}
		r, err := scenario.Run(ctx, sc, o)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fmt.Fprint(env.Stdout, r.String())
		if !r.Passed() {
			failed = append(failed, sc.Name)
		}
	}
	fmt.Fprintf(env.Stdout, "\n%d passed, %d failed\n", len(env.Args)-len(failed), len(failed))
	if len(failed) > 0 {
		return fmt.Errorf("failed: %v", failed)
	}
	return nil
}
