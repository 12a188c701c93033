package daemon

// openDevices opens the devices Opts did not provide, from the config.
func (d *Daemon) openDevices() error {
	d.scanner = d.opts.Scanner
	d.scale = d.opts.Scale
	d.light = d.opts.Light
	d.button = d.opts.Button
	return nil
}
