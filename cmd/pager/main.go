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
// quits (presence goes offline). Withdrawn pages disappear. See
// docs/simulator.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/pagerclient"
)

func main() {
	if err := mainImpl(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pager: "+err.Error())
		os.Exit(1)
	}
}

func mainImpl(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pager", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o pagerclient.Opts
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
	if err := fs.Parse(args); err != nil {
		return errors.New("bad arguments (see -h)")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see -h)", fs.Arg(0))
	}
	if o.Store == "" || o.ID == "" {
		return errors.New("-store and -id are required")
	}
	if o.MQTT.Username == "" && (o.MQTT.Password != "" || o.MQTT.PasswordFile != "") {
		o.MQTT.Username = o.ID // the broker knows attendants by their id
	}
	c, err := pagerclient.Dial(o)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stdout, "connecting to %s as %s in store %s\n", o.MQTT.Broker, o.ID, o.Store)
	runErr := pagerclient.Run(ctx, c, stdin, stdout)
	closeErr := c.Close()
	if runErr != nil {
		return runErr
	}
	return closeErr
}
