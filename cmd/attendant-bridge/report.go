package main

import (
	"context"
	"errors"
	"flag"
	"time"

	"github.com/sco-project/sco/attendant/bridge"
	"github.com/sco-project/sco/attendant/report"
	"github.com/sco-project/sco/internal/cli"
)

// reportCommand is attendant-bridge report: the store's intervention
// report from the bridge's history. It changes nothing and runs beside a
// running bridge (bridge.ReadHistory says how).
func reportCommand() *cli.Command {
	var config, format string
	since := bridge.Period(24 * time.Hour)
	return &cli.Command{
		Name:  "report",
		Short: "the store's intervention report from the bridge's history (read-only, beside a running bridge)",
		Usage: []string{"-config FILE [-since 24h] [-format text|csv|json]"},
		Doc: "report prints the interventions of the last -since (a Go duration or days: 24h, 7d): checkouts and interventions per 100 checkouts, " +
			"then by alert kind, the ten items causing the most, by lane and by attendant (docs/operations.md explains every number). " +
			"It reads the history of the bridge that -config names, from the running bridge or, when none runs, from its data_dir, and changes nothing.",
		LogLevel: "warn",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&config, "config", "", "the bridge config `FILE` (its store, roster and data_dir)")
			fs.Var(&since, "since", "report the last `period` (24h, 7d)")
			fs.StringVar(&format, "format", report.FormatText, "write the report as `text|csv|json`")
		},
		Run: func(ctx context.Context, env *cli.Env) error {
			switch {
			case config == "":
				return cli.Usagef("-config is required")
			case since <= 0:
				return cli.Usagef("-since must be more than 0")
			case format != report.FormatText && format != report.FormatCSV && format != report.FormatJSON:
				return cli.Usagef("-format %q: want text, csv or json", format)
			}
			cfg, err := bridge.LoadConfig(config)
			if err != nil {
				return err
			}
			to := time.Now()
			from := to.Add(-time.Duration(since))
			h, err := bridge.ReadHistory(ctx, cfg.DataDir, from, 5*time.Second)
			if err != nil {
				return err
			}
			names := map[string]string{}
			for _, a := range cfg.Attendants {
				names[a.ID] = a.Name
			}
			r := report.Compute(report.Input{Store: cfg.Store, From: from, To: to, Interventions: h.Interventions, Checkouts: h.Checkouts, Names: names})
			if err := report.Write(env.Stdout, r, format); err != nil {
				return errors.Join(errors.New("report: not written"), err)
			}
			return nil
		},
	}
}
