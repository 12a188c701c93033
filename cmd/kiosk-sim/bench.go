package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/sco-project/sco/internal/cli"
	"github.com/sco-project/sco/simulator/bench"
)

func benchCommand() *cli.Command {
	var f benchFlags
	return &cli.Command{
		Name:     "bench",
		Short:    "end-to-end latency benchmark (see docs/benchmarks.md)",
		Doc:      "bench drives a store into alerts and measures scan -> alert -> page against the raw broker hop. It fails when an alert was lost or paged twice.",
		LogLevel: "off",
		Flags:    f.register,
		Run:      func(ctx context.Context, env *cli.Env) error { return benchMain(ctx, env, f) },
	}
}

type benchFlags struct {
	o                      bench.Opts
	asJSON, quiet          bool
	cpuProfile, memProfile string
}

func (f *benchFlags) register(fs *flag.FlagSet) {
	o := &f.o
	fs.StringVar(&o.Broker, "broker", "", "MQTT broker URL (tcp://, ssl://, ws://); empty starts an embedded broker")
	fs.StringVar(&o.MQTT.Username, "username", "", "MQTT username")
	fs.StringVar(&o.MQTT.Password, "password", "", "MQTT password")
	fs.StringVar(&o.MQTT.CAFile, "ca", "", "CA certificate file for ssl:// brokers")
	fs.IntVar(&o.Lanes, "lanes", 10, "number of lanes")
	fs.IntVar(&o.Pagers, "pagers", 0, "number of attendants on shift (one zone each); 0 means 3, or -lanes if fewer")
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
	fs.BoolVar(&f.asJSON, "json", false, "print the report as JSON")
	fs.BoolVar(&f.quiet, "q", false, "no progress lines on stderr")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run (store included) to this file")
	fs.StringVar(&f.memProfile, "memprofile", "", "write an allocation profile of the whole run (store included) to this file")
}

// benchMain runs `kiosk-sim bench`: a store driven into alerts, with the
// latency of scan -> alert -> page against the raw broker hop. It fails
// when an alert was lost or paged twice.
func benchMain(ctx context.Context, env *cli.Env, f benchFlags) error {
	o := f.o
	if o.MQTT.Password != "" && o.MQTT.Username == "" {
		return cli.Usagef("-password needs -username")
	}
	o.Logger = env.Log
	if !f.quiet {
		o.Progress = env.Stderr
	}
	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if f.memProfile != "" {
		mf, err := os.Create(f.memProfile)
		if err != nil {
			return err
		}
		defer func() {
			if err := pprof.Lookup("allocs").WriteTo(mf, 0); err != nil {
				fmt.Fprintln(env.Stderr, env.Name+": memprofile:", err)
			}
			mf.Close()
		}()
	}
	rep, err := bench.Run(ctx, o)
	if err != nil {
		return err
	}
	if f.asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else if err := rep.WriteText(env.Stdout); err != nil {
		return err
	}
	return rep.Err()
}
