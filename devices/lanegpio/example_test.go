package lanegpio_test

import (
	"log"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/devices/lanegpio"
)

func ExampleOpenLight() {
	l, err := lanegpio.OpenLight(lanegpio.LightPins{Green: "GPIO17", Yellow: "GPIO27", Red: "GPIO22"}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	if err := l.Set(devices.LightYellowFlash); err != nil {
		log.Fatal(err)
	}
}

func ExampleOpenButton() {
	b, err := lanegpio.OpenButton("GPIO23", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	for at := range b.Presses() {
		log.Printf("help pressed at %v", at)
	}
}
