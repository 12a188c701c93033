package scanner_test

import (
	"log"

	"github.com/sco-project/sco/devices/scanner"
	"github.com/sco-project/sco/devices/serialport"
)

func ExampleOpen() {
	s, err := scanner.Open(serialport.Opts{Path: "/dev/ttyUSB0", Baud: 9600}, &scanner.Opts{Model: "datalogic"})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	for {
		select {
		case scan := <-s.Scans():
			log.Printf("scan %s %q", scan.AIM, scan.Data)
		case ev := <-s.Conn():
			log.Printf("scanner up=%t err=%v", ev.Up, ev.Err)
		}
	}
}
