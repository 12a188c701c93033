// Command attendant-bridge runs once per store: it pages attendants for
// lane alerts, escalates and carries resolutions back to the lane.
//
//	attendant-bridge -config bridge.yaml
//	attendant-bridge -check-config bridge.yaml
//	attendant-bridge -config bridge.yaml -log-format json -log-level debug
//
// The flags, signals and exit codes are those of every command here
// (internal/cli).
package main

import (
	"context"
	"fmt"
	"io"

	"github.com/sco-project/sco/attendant"
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
	}
}

func mainImpl(ctx context.Context, env *cli.Env) error {
	cfg, err := attendant.LoadConfig(env.Config)
	if err != nil {
		return err
	}
	b, err := attendant.New(cfg, &attendant.Opts{Logger: env.Log})
	if err != nil {
		return err
	}
	<-ctx.Done()
	return b.Close()
}

func checkConfig(path string, stdout io.Writer) error {
	cfg, err := attendant.LoadConfig(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok (store %s, %d attendants)\n", path, cfg.Store, len(cfg.Attendants))
	return nil
}
