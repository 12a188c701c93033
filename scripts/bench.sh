#!/usr/bin/env bash
# The benchmark matrix of docs/benchmarks.md: end-to-end latency and loss
# at 1, 10, 50 lanes on ptys, 100 and 1,000 lanes with fake devices, a
# 1,000-lane burst, the same on Mosquitto, the store as deployed (kioskd
# and attendant-bridge processes on Mosquitto), then the microbenchmarks,
# one lane's footprint (scripts/footprint.sh, which runs `kiosk-sim
# footprint`) and the time to a person on the shipped 12-lane floor
# (`kiosk-sim store`, both routing rules, twenty shifts).
#
#   scripts/bench.sh              # everything (about seven minutes on 2 cores)
#   scripts/bench.sh e2e          # only the end-to-end runs
#   scripts/bench.sh mosquitto    # only the end-to-end runs on Mosquitto
#   scripts/bench.sh procs        # only the runs as deployed (-procs)
#   scripts/bench.sh micro        # only the microbenchmarks
#   scripts/bench.sh footprint    # only kioskd's footprint
#   scripts/bench.sh store        # only the time to a person (a few seconds)
#   DIR=/dev/shm scripts/bench.sh e2e   # journals on tmpfs: the disk left out
#
# Every run fails if an alert was lost or paged twice.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
tmp=$(mktemp -d)
mosq_pid=""
cleanup() {
	if [ -n "$mosq_pid" ]; then kill "$mosq_pid" 2>/dev/null || true; wait "$mosq_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

dirflag=()
if [ -n "${DIR:-}" ]; then dirflag=(-dir "$DIR"); fi

run() {
	echo "== kiosk-sim bench $*"
	"$tmp/kiosk-sim" bench -q "${dirflag[@]}" "$@"
	echo
}

build() {
	# kiosk-sim bench -procs runs the kioskd and attendant-bridge next to it.
	[ -x "$tmp/kiosk-sim" ] || go build -o "$tmp/" ./cmd/kiosk-sim ./cmd/kioskd ./cmd/attendant-bridge
}

e2e() {
	build
	run -lanes 1 -pagers 1 -alerts 200 -rate 50
	run                                   # the default: 10 lanes, 3 pagers, 300 alerts at 100/s
	run -lanes 50 -pagers 10 -alerts 1000 -rate 100
	run -lanes 100 -pagers 10 -fake -alerts 1000 -rate 100
	run -lanes 1000 -pagers 10 -fake -alerts 1000 -rate 100
	run -lanes 1000 -pagers 10 -fake -burst
	mosq
	procs
}

# mosquitto is Debian's broker: on the PATH, or in /usr/sbin, which is not
# on a user's PATH.
mosquitto=$(command -v mosquitto || { [ -x /usr/sbin/mosquitto ] && echo /usr/sbin/mosquitto; } || true)

# free_port prints a loopback TCP port that nothing listens on.
free_port() {
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	echo "bench.sh: no free port found" >&2
	return 1
}

mosq() {
	build
	if [ -n "$mosquitto" ]; then
		port=$(free_port)
		# No per-client queue limit: a burst queues thousands of QoS 1
		# messages for the observer, which Mosquitto would otherwise drop.
		# set_tcp_nodelay: without it Mosquitto's small packets wait for
		# the peer's delayed ACK (Nagle), 40 ms at a time; NODELAY=false
		# shows it.
		printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\nmax_inflight_messages 0\nset_tcp_nodelay %s\n' "$port" "${NODELAY:-true}" >"$tmp/mosquitto.conf"
		"$mosquitto" -c "$tmp/mosquitto.conf" >"$tmp/mosquitto.log" 2>&1 &
		mosq_pid=$!
		for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
		run -broker "tcp://127.0.0.1:$port"
		run -broker "tcp://127.0.0.1:$port" -lanes 100 -pagers 10 -fake -alerts 1000 -rate 100
		run -broker "tcp://127.0.0.1:$port" -lanes 1000 -pagers 10 -fake -burst
	else
		echo "== mosquitto not installed: Mosquitto runs skipped"
	fi
}

# The store as deployed: Mosquitto, one attendant-bridge process and one
# kioskd process per lane, journals on disk. Each line runs three times:
# the machine's other load moves single runs.
procs() {
	build
	if [ -z "$mosquitto" ]; then
		echo "== mosquitto not installed: process runs skipped"
		return
	fi
	for _ in 1 2 3; do run -procs -alerts 1000; done
	for _ in 1 2 3; do run -procs -lanes 1 -pagers 1 -alerts 500 -rate 50; done
	for _ in 1 2 3; do run -procs -lanes 50 -pagers 10 -alerts 1000; done
	run -procs -lanes 50 -pagers 10 -burst
}

micro() {
	echo "== microbenchmarks"
	go test -run '^$' -bench . -benchmem \
		./devices/scanner/ ./devices/scale/ ./devices/barcode/ ./kiosk/ ./attendant/... |
		grep -E '^(Benchmark|ok|FAIL|pkg:)'
}

footprint() {
	echo "== footprint"
	scripts/footprint.sh
}

# Time to a person on the shipped floor: the bridge's routing against
# zone-only routing, at each staffing level, over twenty shifts.
store() {
	build
	echo "== kiosk-sim store -attendants 1,2,3,4,5 -routing walk,zone -shifts 20"
	"$tmp/kiosk-sim" store -attendants 1,2,3,4,5 -routing walk,zone -shifts 20
	echo
}

case $what in
e2e) e2e ;;
mosquitto) mosq ;;
procs) procs ;;
micro) micro ;;
footprint) footprint ;;
store) store ;;
all) e2e; micro; footprint; store ;;
*) echo "usage: $0 [all|e2e|mosquitto|procs|micro|footprint|store]" >&2; exit 2 ;;
esac
