// Command pager is the terminal pager for one attendant.
//
//	pager -broker tcp://127.0.0.1:1883 -store s1 -id ana
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "pager: not built yet (see the simulator issue)")
	os.Exit(1)
}
