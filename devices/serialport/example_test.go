package serialport_test

import (
	"errors"
	"log"

	"github.com/sco-project/sco/devices/serialport"
)

func ExampleOpen() {
	// Find a scale by USB id; keep trying if it is not plugged in yet.
	p, err := serialport.Open(serialport.Opts{USB: "067b:2303", DataBits: 7, Parity: "even", AllowAbsent: true})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	buf := make([]byte, 64)
	for {
		n, err := p.Read(buf)
		if errors.Is(err, serialport.ErrLost) {
			continue // a half-read frame is garbage; Read blocks until the port is back
		}
		if err != nil {
			return
		}
		log.Printf("%q", buf[:n])
	}
}
