// Command attendant-bridge runs once per store: it pages attendants for
// lane alerts, escalates and carries resolutions back to the lane.
//
//	attendant-bridge -config bridge.yaml
//	attendant-bridge -check-config bridge.yaml
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "attendant-bridge: not built yet (see the attendant issue)")
	os.Exit(1)
}
