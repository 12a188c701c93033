package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sco-project/sco/internal/cli"
	"github.com/sco-project/sco/simulator/vdev"
)

const devicesHelp = `commands (one per line):
  scan CODE [AIM]      the scanner reads CODE (e.g. scan 5000112637922 ]E0)
  place GRAMS          put GRAMS in the bagging area
  remove GRAMS         lift GRAMS out
  set GRAMS            the bagging area now holds GRAMS
  over on|off          the scale reports over capacity
  cannotzero on|off    the scale refuses to zero
  mute on|off          the scale stops answering
  unplug scanner|scale pull the USB cable
  replug scanner|scale put it back
  garbage scanner|scale line noise on the wire
  status               what the devices are doing
  help                 this text
  quit                 stop (also end of input)
`

func devicesCommand() *cli.Command {
	var o devicesOpts
	return &cli.Command{
		Name:     "devices",
		Short:    "virtual scanner and scale on pseudo-terminals, for a real kioskd",
		Doc:      "devices runs a virtual scanner and scale and takes commands on stdin (type help), until quit, end of input, SIGINT or SIGTERM.",
		LogLevel: "off",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&o.dir, "dir", "", "directory for the device links (default: a new temporary directory)")
			fs.StringVar(&o.proto, "scale", "nci", "scale protocol: nci, toledo or sics")
			fs.StringVar(&o.units, "units", "kg", "scale units: kg or lb")
			fs.StringVar(&o.suffix, "suffix", "cr", "scanner frame suffix: cr, lf, crlf, stx_etx")
			fs.BoolVar(&o.aim, "aim", false, "send AIM symbology identifiers")
		},
		Run: func(ctx context.Context, env *cli.Env) error { return devicesMain(ctx, o, env.Stdin, env.Stdout) },
	}
}

type devicesOpts struct {
	dir, proto, units, suffix string
	aim                       bool
}

// devicesMain runs a virtual scanner and scale and takes commands on in, so
// store IT can drive a real kioskd (or any host software) without
// hardware: point the lane config's scanner.port and scale.port at the
// paths it prints. It stops at quit, at the end of in, or when ctx ends,
// and removes the device links.
func devicesMain(ctx context.Context, o devicesOpts, in io.Reader, out io.Writer) error {
	p, err := vdev.ParseProtocol(o.proto)
	if err != nil {
		return err
	}
	u, err := vdev.ParseUnits(o.units)
	if err != nil {
		return err
	}
	sfx, err := vdev.ParseSuffix(o.suffix)
	if err != nil {
		return err
	}
	if o.dir != "" {
		if o.dir, err = filepath.Abs(o.dir); err != nil {
			return err
		}
		if err := os.MkdirAll(o.dir, 0o755); err != nil {
			return err
		}
	}
	sc, err := vdev.NewScanner(vdev.ScannerOpts{Dir: o.dir, Suffix: sfx, AIM: o.aim})
	if err != nil {
		return err
	}
	defer sc.Close()
	sl, err := vdev.NewScale(vdev.ScaleOpts{Dir: o.dir, Protocol: p, Units: u})
	if err != nil {
		return err
	}
	defer sl.Close()
	fmt.Fprintf(out, "scanner: %s (9600 8N1, suffix %s, AIM ids %v)\n", sc.Path(), sfx, o.aim)
	line := "9600 7E1"
	if p == vdev.SICS {
		line = "9600 8N1"
	}
	fmt.Fprintf(out, "scale:   %s (%s, protocol %s, %s)\n", sl.Path(), line, p, u)
	fmt.Fprintf(out, "put these paths in the lane config (scanner.port, scale.port); type 'help' for commands\n")
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lines, readErr := cli.ReadLines(ctx, in)
	for {
		fmt.Fprint(out, "> ")
		var text string
		select {
		case <-ctx.Done():
			fmt.Fprintln(out)
			return nil
		case l, ok := <-lines:
			if !ok {
				fmt.Fprintln(out)
				return <-readErr
			}
			text = l
		}
		f := strings.Fields(text)
		if len(f) == 0 {
			continue
		}
		if f[0] == "quit" || f[0] == "exit" {
			return nil
		}
		if err := deviceCommand(f, sc, sl, out); err != nil {
			fmt.Fprintln(out, "error:", err)
		}
	}
}

func deviceCommand(f []string, sc *vdev.VirtualScanner, sl *vdev.VirtualScale, out io.Writer) error {
	arg := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	grams := func() (int, error) {
		g, err := strconv.Atoi(arg(1))
		if err != nil || g < 0 {
			return 0, fmt.Errorf("%s needs grams, a whole number >= 0", f[0])
		}
		return g, nil
	}
	onOff := func() (bool, error) {
		switch arg(1) {
		case "on":
			return true, nil
		case "off":
			return false, nil
		}
		return false, fmt.Errorf("%s needs on or off", f[0])
	}
	type plug interface {
		Unplug() error
		Replug() error
		Garbage([]byte) error
	}
	device := func() (plug, error) {
		switch arg(1) {
		case "scanner":
			return sc, nil
		case "scale":
			return sl, nil
		}
		return nil, fmt.Errorf("%s needs scanner or scale", f[0])
	}
	switch f[0] {
	case "help", "?":
		fmt.Fprint(out, devicesHelp)
	case "scan":
		if arg(1) == "" {
			return errors.New("scan needs a code")
		}
		return sc.Scan(arg(1), arg(2))
	case "place", "remove", "set":
		g, err := grams()
		if err != nil {
			return err
		}
		switch f[0] {
		case "place":
			sl.Place(g)
		case "remove":
			sl.Remove(g)
		default:
			sl.Set(g)
		}
		fmt.Fprintf(out, "bagging area: %d g\n", sl.Load())
	case "over", "cannotzero", "mute":
		on, err := onOff()
		if err != nil {
			return err
		}
		switch f[0] {
		case "over":
			sl.SetOverCapacity(on)
		case "cannotzero":
			sl.SetCannotZero(on)
		default:
			sl.SetMute(on)
		}
	case "unplug", "replug", "garbage":
		d, err := device()
		if err != nil {
			return err
		}
		switch f[0] {
		case "unplug":
			return d.Unplug()
		case "replug":
			return d.Replug()
		default:
			return d.Garbage([]byte("\x00\xff~~\x1b[noise\xfe\r\n"))
		}
	case "status":
		fmt.Fprintln(out, status(sc, sl))
	default:
		return fmt.Errorf("unknown command %q (type help)", f[0])
	}
	return nil
}

// status is the devices' state in words: "scanner /tmp/sco-dev/scanner:
// plugged, enabled; scale /tmp/sco-dev/scale: plugged, load 355 g, reads
// 355 g (stable)".
func status(sc *vdev.VirtualScanner, sl *vdev.VirtualScale) string {
	word := func(b bool, yes, no string) string {
		if b {
			return yes
		}
		return no
	}
	r := sl.Sample()
	how := []string{word(r.Motion, "moving", "stable")}
	for _, f := range []struct {
		on   bool
		what string
	}{{r.Over, "over capacity"}, {r.Under, "under zero"}, {r.AtZero, "at zero"}, {r.Tared, "tared"}} {
		if f.on {
			how = append(how, f.what)
		}
	}
	return fmt.Sprintf("scanner %s: %s, %s; scale %s: %s, load %d g, reads %d g (%s)",
		sc.Path(), word(sc.Plugged(), "plugged", "unplugged"), word(sc.Enabled(), "enabled", "disabled by the host"),
		sl.Path(), word(sl.Plugged(), "plugged", "unplugged"), sl.Load(), r.Net, strings.Join(how, ", "))
}
