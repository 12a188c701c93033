// Command pager is the terminal pager for one attendant, and the
// reference implementation of the pager side of docs/protocol.md.
//
//	pager -broker tcp://127.0.0.1:1883 -id ana [-store s1] [-zone front]
//	      [-username ana -password-file pw] [-ca store-ca.pem] [-status busy]
//	      [-device tc52]
//
// Without -store it finds the store from the bridge's retained profile of
// the attendant. It shows that profile (and says plainly when there is
// none: not on the roster), publishes the attendant's presence
// for this device (retained; the will says offline), rings the terminal
// bell (\a) on every new page, and takes one command per line: a / b / p
// set presence available / busy / break, c N claims page N, r N ACTION
// resolves it with one of the actions the page offers, l N releases or
// declines it, at N arrives at its lane, lane L out|in closes or opens a
// lane, ls lists pages, me shows the profile, h helps, q quits (presence
// goes offline). Withdrawn pages disappear. It reconnects as
// docs/protocol.md's recipe says. The flags, signals and exit codes are
// those of every command here (internal/cli). See docs/simulator.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sco-project/sco/internal/cli"
	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/pagerclient"
)

func main() { command().Main() }

// discoverWait bounds the search for the store without -store.
const discoverWait = 10 * time.Second

func command() *cli.Command {
	var o pagerclient.Opts
	return &cli.Command{
		Name:  "pager",
		Usage: []string{"-id ID [-store ID] [flags]"},
		Doc:   "pager is the terminal pager for one attendant: pages ring the bell, one command per line (h for help).",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&o.MQTT.Broker, "broker", mqttc.DefaultBroker, "broker URL: tcp://, ssl://, ws://")
			fs.StringVar(&o.Store, "store", "", "store id (default: the store whose bridge has a profile of -id)")
			fs.StringVar(&o.ID, "id", "", "attendant id (required), as in the bridge's roster")
			fs.StringVar(&o.Zone, "zone", "", "zone the attendant works in (optional; the roster has one)")
			fs.StringVar(&o.Status, "status", "available", "presence at start: available, busy or break")
			fs.StringVar(&o.Device, "device", "", "this handheld's name among the attendant's devices (default: made once per install and kept in the user's config dir, sco/"+pagerclient.DeviceFile+")")
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
	if o.ID == "" {
		return cli.Usagef("-id is required")
	}
	if o.Store == "" {
		fmt.Fprintf(env.Stdout, "looking for the store of %s on %s\n", o.ID, o.MQTT.Broker)
		dctx, cancel := context.WithTimeout(ctx, discoverWait)
		p, err := pagerclient.Discover(dctx, o.MQTT, o.ID)
		cancel()
		if err != nil {
			return fmt.Errorf("%w; give -store to connect anyway", err)
		}
		o.Store = p.Store
	}
	if o.Device == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return fmt.Errorf("no config dir for the device name (give -device): %w", err)
		}
		if o.Device, err = pagerclient.DeviceName(filepath.Join(dir, "sco")); err != nil {
			return err
		}
	}
	env.Log.Debug("pager dialing", "broker", o.MQTT.Broker, "store", o.Store, "id", o.ID, "device", o.Device)
	c, err := pagerclient.Dial(o)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "connecting to %s as %s (device %s) in store %s\n", o.MQTT.Broker, o.ID, o.Device, o.Store)
	runErr := pagerclient.Run(ctx, c, env.Stdin, env.Stdout)
	closeErr := c.Close()
	if runErr != nil {
		return runErr
	}
	return closeErr
}
