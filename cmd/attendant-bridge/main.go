// Command attendant-bridge runs once per store: it pages attendants for
// lane alerts, escalates and carries resolutions back to the lane.
//
//	attendant-bridge -config bridge.yaml
//	attendant-bridge -check-config bridge.yaml
//	attendant-bridge -config bridge.yaml -log-format json -log-level debug
//	attendant-bridge report -config bridge.yaml -since 7d -format csv
//	echo 4711 | attendant-bridge hash-pin
//
// hash-pin reads a PIN (one line) on stdin and prints its bcrypt hash,
// for an attendant's pin_hash in the roster: the PIN they sign in to the
// attendant app with.
//
// The flags, signals and exit codes are those of every command here
// (internal/cli).
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sco-project/sco/attendant/bridge"
	"github.com/sco-project/sco/attendant/web"
	"github.com/sco-project/sco/internal/cli"
	"github.com/sco-project/sco/internal/sdnotify"
)

func main() { command().Main() }

func command() *cli.Command {
	return &cli.Command{
		Name:   "attendant-bridge",
		Doc:    "attendant-bridge pages a store's attendants for lane alerts, escalates, and carries their resolutions back to the lane. It runs until SIGTERM or SIGINT.",
		Config: "bridge config (YAML)",
		Check:  checkConfig,
		Run:    mainImpl,
		Commands: []*cli.Command{reportCommand(), {
			Name:  "hash-pin",
			Short: "read a PIN on stdin (one line), print its bcrypt hash for pin_hash",
			Doc:   "hash-pin reads an attendant's PIN on stdin, one line, and prints the bcrypt hash to put in their roster entry as pin_hash: the PIN they sign in to the attendant app with (" + fmt.Sprint(web.MinPIN) + " to " + fmt.Sprint(web.MaxPIN) + " characters).",
			Run:   hashPIN,
		}},
	}
}

// hashPIN is attendant-bridge hash-pin.
func hashPIN(_ context.Context, env *cli.Env) error {
	if f, ok := env.Stdin.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprint(env.Stderr, "PIN (shown as you type): ")
		}
	}
	line, err := bufio.NewReaderSize(env.Stdin, 256).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("reading the PIN: %w", err)
	}
	pin := strings.TrimRight(line, "\r\n")
	if pin == "" {
		return errors.New("no PIN on stdin: give it on one line (echo 4711 | attendant-bridge hash-pin)")
	}
	h, err := web.HashPIN(pin)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, h)
	return nil
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
	sdnotify.Started(ctx, env.Log) // bridge.db open, open alerts restored (Type=notify)
	return b.Run(ctx)
}

func checkConfig(path string, stdout io.Writer) error {
	cfg, err := bridge.LoadConfig(path)
	if err != nil {
		return err
	}
	who := fmt.Sprintf("%d attendants", len(cfg.Attendants))
	if len(cfg.Attendants) == 1 {
		who = "1 attendant"
	}
	fmt.Fprintf(stdout, "%s: ok (store %s, %s, broker %s, data_dir %s)\n", path, cfg.Store, who, cfg.MQTT.Broker, cfg.DataDir)
	for _, w := range cfg.Warnings() {
		fmt.Fprintf(stdout, "%s: warning: %s\n", path, w)
	}
	return nil
}
