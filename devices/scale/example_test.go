package scale_test

import (
	"log"

	"github.com/sco-project/sco/devices/scale"
	"github.com/sco-project/sco/devices/serialport"
)

func ExampleOpen() {
	s, err := scale.Open(serialport.Opts{Path: "/dev/ttyUSB1", DataBits: 7, Parity: "even"}, &scale.Opts{Protocol: "nci"})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	for r := range s.Readings() {
		if r.Stable() {
			log.Printf("%d g", r.Grams)
		} else {
			log.Printf("no weight: %v", r)
		}
	}
}
