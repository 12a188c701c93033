// Command kiosk-sim is the simulator: virtual devices, shoppers and pagers,
// and the one-command demo.
//
//	kiosk-sim demo
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "kiosk-sim: not built yet (see the simulator issue)")
	os.Exit(1)
}
