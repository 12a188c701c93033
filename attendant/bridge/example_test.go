package bridge_test

import (
	"context"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/sco-project/sco/attendant/bridge"
)

// The bridge as attendant-bridge runs it: load the config, run until
// SIGTERM.
func Example() {
	cfg, err := bridge.LoadConfig("/etc/sco/bridge.yaml")
	if err != nil {
		log.Fatal(err)
	}
	b, err := bridge.New(cfg, &bridge.Opts{Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil))})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := b.Run(ctx); err != nil {
		log.Fatal(err)
	}
}
