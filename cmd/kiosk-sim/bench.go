package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/sco-project/sco/simulator/bench"
)

// benchMain runs `kiosk-sim bench`: a store driven into alerts, with the
// latency of scan -> alert -> page against the raw broker hop. It fails
// when an alert was lost or paged twice.
func benchMain(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o bench.Opts
	fs.StringVar(&o.Broker, "broker", "", "MQTT broker URL (tcp://, ssl://, ws://); empty starts an embedded broker")
	fs.StringVar(&o.MQTT.Username, "username", "", "MQTT username")
	fs.StringVar(&o.MQTT.Password, "password", "", "MQTT password")
	fs.StringVar(&o.MQTT.CAFile, "ca-file", "", "CA certificate for ssl:// brokers")
	fs.IntVar(&o.Lanes, "lanes", 10, "number of lanes")
	fs.IntVar(&o.Pagers, "pagers", 3, "number of attendants on shift (one zone each)")
	fs.IntVar(&o.Alerts, "alerts", 300, "number of measured alerts")
	fs.Float64Var(&o.Rate, "rate", 100, "failing scans per second, store-wide")
	fs.BoolVar(&o.Fake, "fake", false, fmt.Sprintf("in-process fake scanners and scales instead of virtual devices on ptys (needed beyond %d lanes)", bench.MaxPtyLanes))
	fs.BoolVar(&o.Burst, "burst", false, "every lane alerts once within one second (overrides -alerts and -rate)")
	fs.IntVar(&o.RawSamples, "raw", 500, "raw broker round trips to measure")
	fs.DurationVar(&o.Wait, "wait", 30*time.Second, "how long to wait for the last pages after the last scan")
	fs.StringVar(&o.Dir, "dir", "", "directory for journals and bridge state (e.g. /dev/shm to leave the disk out); empty means the temporary directory")
	fs.BoolVar(&o.Procs, "procs", false, "run the store as deployed: Mosquitto, an attendant-bridge process and a kioskd process per lane, journals on disk")
	fs.StringVar(&o.Kioskd, "kioskd", "", "-procs: the kioskd binary (default: next to kiosk-sim, else go build)")
	fs.StringVar(&o.Bridge, "bridge", "", "-procs: the attendant-bridge binary (default: next to kiosk-sim, else go build)")
	fs.StringVar(&o.Mosquitto, "mosquitto", "", "-procs without -broker: the mosquitto binary (default: on the PATH or /usr/sbin)")
	fs.Func("child-env", "-procs: `NAME=value` added to kioskd's and attendant-bridge's environment (repeatable; GODEBUG=gctrace=1 counts their GCs)", func(v string) error {
		if !strings.Contains(v, "=") {
			return fmt.Errorf("%q is not NAME=value", v)
		}
		o.ChildEnv = append(o.ChildEnv, v)
		return nil
	})
	fs.BoolVar(&o.Keep, "keep", false, "keep the run's directory (journals, configs, the processes' logs) and print where it is")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	quiet := fs.Bool("q", false, "no progress lines on stderr")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (store included) to this file")
	memProfile := fs.String("memprofile", "", "write an allocation profile of the whole run (store included) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected argument %q", fs.Arg(0))
	}
	if o.Pagers > o.Lanes {
		o.Pagers = o.Lanes
	}
	if o.MQTT.Password != "" && o.MQTT.Username == "" {
		return fmt.Errorf("bench: -password needs -username")
	}
	if !*quiet {
		o.Progress = os.Stderr
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if *memProfile != "" {
		f, err := os.Create(*memProfile)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer func() {
			if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
				fmt.Fprintln(os.Stderr, "bench: memprofile:", err)
			}
			f.Close()
		}()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := bench.Run(ctx, o)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else if err := rep.WriteText(os.Stdout); err != nil {
		return err
	}
	return rep.Err()
}
