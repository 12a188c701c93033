// Command pager is the terminal pager for one attendant, and the
// reference implementation of the pager side of docs/protocol.md.
//
//	pager -broker tcp://127.0.0.1:1883 -store s1 -id ana [-zone front]
//	      [-username ana -password-file pw] [-ca store-ca.pem] [-status busy]
//
// It publishes the attendant's presence (retained; the will says offline),
// rings the terminal bell (\a) on every new page, and takes one command per
// line: a / b / p set presence available / busy / break, c N claims page
// N, r N ACTION resolves it, l N releases it, ls lists pages, h helps, q
// quits (presence goes offline). Withdrawn pages disappear. The flags,
// signals and exit codes are those of every command here (internal/cli).
// See docs/simulator.md.
package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/sco-project/sco/internal/cli"
	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/pagerclient"
)

func main() { command().Main() }

func command() *cli.Command {
	var o pagerclient.Opts
	return &cli.Command{
		Name:  "pager",
		Usage: []string{"-store ID -id ID [flags]"},
		Doc:   "pager is the terminal pager for one attendant: pages ring the bell, one command per line (h for help).",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&o.MQTT.Broker, "broker", mqttc.DefaultBroker, "broker URL: tcp://, ssl://, ws://")
			fs.StringVar(&o.Store, "store", "", "store id (required)")
			fs.StringVar(&o.ID, "id", "", "attendant id (required), as in the bridge's roster")
			fs.StringVar(&o.Zone, "zone", "", "zone the attendant works in (optional; the roster has one)")
			fs.StringVar(&o.Status, "status", "available", "presence at start: available, busy or break")
			fs.StringVar(&o.MQTT.Username, "username", "", "MQTT user name; with a password it defaults to -id")
			fs.StringVar(&o.MQTT.Password, "password", "", "MQTT password (prefer -password-file)")
			fs.StringVar(&o.MQTT.PasswordFile, "password-file", "", "file holding the MQTT password")
			fs.StringVar(&o.MQTT.CAFile, "ca", "", "CA certificate (PEM) of the broker, for ssl://")
			fs.StringVar(&o.MQTT.CertFile, "cert", "", "client certificate (PEM), for mutual TLS")
			fs.StringVar(&o.MQTT.KeyFile, "key", "", "client key (PEM), for mutual TLS")
		},
		Run: func(ctx context.Context, env *cli.Env) error { return mainImpl(ctx, env, o) },
	}
}

func mainImpl(ctx context.Context, env *cli.Env, o pagerclient.Opts) error {
	if o.Store == "" || o.ID == "" {
		return cli.Usagef("-store and -id are required")
	}
	env.Log.Debug("pager dialing", "broker", o.MQTT.Broker, "store", o.Store, "id", o.ID)
	c, err := pagerclient.Dial(o)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "connecting to %s as %s in store %s\n", o.MQTT.Broker, o.ID, o.Store)
	runErr := pagerclient.Run(ctx, c, env.Stdin, env.Stdout)
	closeErr := c.Close()
	if runErr != nil {
		return runErr
	}
	return closeErr
}
