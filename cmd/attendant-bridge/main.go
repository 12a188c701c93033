// Command attendant-bridge runs once per store: it pages attendants for
// lane alerts, escalates and carries resolutions back to the lane.
//
//	attendant-bridge -config bridge.yaml
//	attendant-bridge -check-config bridge.yaml
//	attendant-bridge -config bridge.yaml -log-format json -log-level debug
//	attendant-bridge report -config bridge.yaml -since 7d -format csv
//
// The flags, signals and exit codes are those of every command here
// (internal/cli).
package main

import (
	"context"
	"fmt"
	"io"

	"github.com/sco-project/sco/attendant/bridge"
	"github.com/sco-project/sco/internal/cli"
)

func main() { command().Main() }

func command() *cli.Command {
	return &cli.Command{
		Name:   "attendant-bridge",
		Doc:    "attendant-bridge pages a store's attendants for lane alerts, escalates, and carries their resolutions back to the lane. It runs until SIGTERM or SIGINT.",
		Config: "bridge config (YAML)",
		Check:  checkConfig,
		Run:    mainImpl,
		Commands: []*cli.Command{
			reportCommand(),
		},
	}
}

func mainImpl(ctx context.Context, env *cli.Env) error {
	cfg, err := bridge.LoadConfig(env.Config)
	if err != nil {
		return err
	}
	b, err := bridge.New(cfg, &bridge.Opts{Logger: env.Log})
	if err != nil {
		return err
	}
	return b.Run(ctx)
}

func checkConfig(path string, stdout io.Writer) error {
	cfg, err := bridge.LoadConfig(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok (store %s, %d attendants)\n", path, cfg.Store, len(cfg.Attendants))
	for _, w := range cfg.Warnings() {
		fmt.Fprintf(stdout, "%s: warning: %s\n", path, w)
	}
	return nil
}
