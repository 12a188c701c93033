package daemon

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sco-project/sco/devices/lanegpio"
	"github.com/sco-project/sco/devices/scale"
	"github.com/sco-project/sco/devices/scanner"
	"github.com/sco-project/sco/devices/serialport"
	"github.com/sco-project/sco/kiosk/laneconfig"
)

// openDevices opens the devices Opts did not provide, from the config.
// Serial devices that are not there yet (unplugged, powered off) do not
// stop the lane: their port starts lost, the engine times device_grace
// and raises device_fault, and the driver keeps reopening the port.
func (d *Daemon) openDevices() error {
	d.scanner = d.opts.Scanner
	d.scale = d.opts.Scale
	d.light = d.opts.Light
	d.button = d.opts.Button
	cfg := d.cfg
	if d.scanner == nil {
		enable, _ := laneconfig.Unescape(cfg.Scanner.Enable) // checked by laneconfig.Load
		disable, _ := laneconfig.Unescape(cfg.Scanner.Disable)
		prefix, _ := laneconfig.Unescape(cfg.Scanner.Prefix)
		po, err := d.portOpts("scanner", cfg.Scanner.Port, cfg.Scanner.USB, cfg.Scanner.SerialConfig)
		if err != nil {
			return err
		}
		s, err := scanner.Open(po, &scanner.Opts{
			Model: cfg.Scanner.Model, Enable: string(enable), Disable: string(disable), Prefix: string(prefix), LRC: cfg.Scanner.LRC,
			FrameGap: cfg.Scanner.FrameGap,
			Logger:   d.log.With("device", "scanner"),
		})
		if err != nil {
			return fmt.Errorf("daemon: %w", err)
		}
		d.scanner = s
		d.ownDevs = append(d.ownDevs, s.Close)
	}
	if d.scale == nil {
		unit, err := scale.ParseUnit(cfg.Scale.Unit)
		if err != nil {
			return fmt.Errorf("daemon: scale.unit: %w", err)
		}
		po, err := d.portOpts("scale", cfg.Scale.Port, cfg.Scale.USB, cfg.Scale.SerialConfig)
		if err != nil {
			return err
		}
		s, err := scale.Open(po, &scale.Opts{
			Protocol: cfg.Scale.Protocol, Unit: unit, PollInterval: cfg.Scale.PollInterval, ReplyGap: cfg.Scale.ReplyGap,
			Logger: d.log.With("device", "scale"),
		})
		if err != nil {
			return fmt.Errorf("daemon: %w", err)
		}
		d.scale = s
		d.ownDevs = append(d.ownDevs, s.Close)
	}
	g := cfg.GPIO
	if d.light == nil && (g.Light.Green != "" || g.Light.Yellow != "" || g.Light.Red != "") {
		l, err := lanegpio.OpenLight(lanegpio.LightPins{Green: g.Light.Green, Yellow: g.Light.Yellow, Red: g.Light.Red},
			&lanegpio.LightOpts{ActiveLow: g.ActiveLow, Logger: d.log.With("device", "light")})
		if err != nil {
			return fmt.Errorf("daemon: %w", err)
		}
		d.light = l
		d.ownDevs = append(d.ownDevs, l.Close)
	}
	if d.button == nil && g.Help != "" {
		b, err := lanegpio.OpenButton(g.Help, &lanegpio.ButtonOpts{ActiveHigh: g.HelpActiveHigh, Debounce: g.Debounce, Logger: d.log.With("device", "button")})
		if err != nil {
			return fmt.Errorf("daemon: %w", err)
		}
		d.button = b
		d.ownDevs = append(d.ownDevs, b.Close)
	}
	return nil
}

func (d *Daemon) portOpts(name, path, usb string, line laneconfig.SerialConfig) (serialport.Opts, error) {
	o := serialport.Opts{
		Path: path, USB: usb, Name: name,
		Baud: line.Baud, DataBits: line.DataBits, Parity: line.Parity, StopBits: line.StopBits,
		AllowAbsent: true,
		Logger:      d.log.With("device", name),
	}
	if d.opts.RecordDir != "" {
		if err := os.MkdirAll(d.opts.RecordDir, 0o750); err != nil {
			return o, fmt.Errorf("daemon: record: %w", err)
		}
		f, err := os.Create(filepath.Join(d.opts.RecordDir, name+"_session.txt"))
		if err != nil {
			return o, fmt.Errorf("daemon: record: %w", err)
		}
		d.ownDevs = append(d.ownDevs, f.Close) // closed after the device
		o.Record = f
	}
	return o, nil
}
