// Package deploy holds what store IT installs on a lane and on a store
// server, and the tests that check it; it has no Go code of its own.
//
//   - systemd/: kioskd.service and attendant-bridge.service, hardened,
//     Type=notify (internal/sdnotify);
//   - udev/99-sco.rules: /dev/sco-scanner and /dev/sco-scale;
//   - lane/, store/: the example lane.yaml, catalogue and bridge.yaml the
//     packages install in /etc/sco;
//   - mosquitto/central-bridge.conf: the store broker's bridge to the
//     chain's central broker;
//   - nfpm/: the nfpm configs of sco-lane and sco-store and their
//     maintainer scripts (scripts/package.sh builds the packages).
//
// The tests: units_test.go runs systemd-analyze verify and security on the
// units and checks that kioskd and attendant-bridge say READY=1;
// udev_test.go checks the rules; packages_test.go checks the packages in
// dist/ with dpkg-deb and lintian, runs the extracted daemons (the ARM ones
// under qemu-user) with -check-config on the shipped examples, and
// installs, upgrades, rolls back and purges them with dpkg into a
// temporary root; chain_test.go runs a store and a central Mosquitto with
// the bridge template. docs/deploy.md is the guide.
package deploy
