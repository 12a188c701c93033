// Package lanegpio drives the lane's tower light and help button over
// GPIO with periph.io.
//
// Light maps each devices.LightPattern to green, yellow and red outputs,
// each off, steady or flashing, through a Table (DefaultTable unless the
// lane configures one). With no pins configured it is log-only, so a lane
// without a tower light (or a laptop) runs the same code.
//
// Button turns a help-button input into debounced presses. It waits for
// edges with finite timeouts in a loop, because WaitForEdge(-1) returns at
// once on the Linux ioctl driver.
//
// Pins are looked up by name (GPIO17, ...) after host.Init; a name that
// does not resolve is a start-up error naming the config key. host.Init
// on a machine without GPIO is not an error. CheckPin looks a name up
// without using the pin (kioskd -check-config), and says when the
// machine has no GPIO to look it up in (ErrNoGPIO).
package lanegpio
