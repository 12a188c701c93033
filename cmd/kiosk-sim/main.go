// Command kiosk-sim is the simulator: virtual scanners and scales on real
// pseudo-terminals, scripted and random shoppers, virtual attendants, an
// embedded broker, and the one-command demo.
//
//	kiosk-sim demo [-lanes 4] [-broker URL] [-seed 1] [-duration 0]
//	               [-attendant id:zone:role] [-acl [-login NAME]]
//	kiosk-sim run scenario.yaml...         run scenarios; exit 1 if one fails
//	kiosk-sim devices [-dir DIR] [-scale nci|toledo|sics]
//	                                        virtual devices for a real kioskd
//	kiosk-sim bench [flags]                end-to-end latency benchmark
//	kiosk-sim footprint -kioskd PATH       one real kioskd: start-up, memory, CPU
//	kiosk-sim quality [-checkouts 5000]    false alerts per 100 clean checkouts, planted faults caught
//	kiosk-sim store [-attendants 1,2,3,4] floor.yaml
//	                                        time to a person at each staffing level
//
// Every subcommand takes the flags, signals and exit codes of every
// command here (internal/cli); their logs are off unless -log-level says.
package main

import (
	"flag"

	"github.com/sco-project/sco/internal/cli"
	"github.com/sco-project/sco/internal/mqttc"
)

func main() { command().Main() }

func command() *cli.Command {
	return &cli.Command{
		Name:     "kiosk-sim",
		Doc:      "kiosk-sim simulates lanes, shoppers and attendants (docs/simulator.md).",
		Commands: []*cli.Command{demoCommand(), runCommand(), devicesCommand(), benchCommand(), footprintCommand(), qualityCommand(), storeCommand()},
	}
}

// brokerFlags are the flags every command that talks to a broker takes.
type brokerFlags struct {
	url, username, password, ca string
}

func (b *brokerFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&b.url, "broker", "", "MQTT broker URL (tcp://host:1883, ssl://...); empty starts an embedded broker")
	fs.StringVar(&b.username, "username", "", "MQTT username")
	fs.StringVar(&b.password, "password", "", "MQTT password")
	fs.StringVar(&b.ca, "ca", "", "CA certificate file for ssl:// brokers")
}

func (b *brokerFlags) config() mqttc.Config {
	return mqttc.Config{Broker: b.url, Username: b.username, Password: b.password, CAFile: b.ca}
}
