#!/usr/bin/env bash
# Footprint of one lane: kioskd binary size (as built and stripped),
# start-up time to ready (GET /api/state answering), resident memory and
# CPU while idle and during a busy session, read from /proc.
#
#   scripts/footprint.sh            # 10s idle, 15s busy
#   IDLE=60s BUSY=60s scripts/footprint.sh
#   POLL=200ms scripts/footprint.sh   # scale.poll_interval (default: kioskd's)
#   FOOTPRINT_DEBUG=1 scripts/footprint.sh   # kioskd's debug log and each state
#
# kioskd runs as its own process against a virtual scanner and NCI scale
# on ptys and an embedded broker, all hosted by the measuring helper
# (`kiosk-sim footprint`, package simulator/bench/footprint), so only
# kioskd is measured.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

go build -o "$out/kioskd" ./cmd/kioskd
go build -trimpath -ldflags "-s -w" -o "$out/kioskd-stripped" ./cmd/kioskd
go build -o "$out/kiosk-sim" ./cmd/kiosk-sim

echo "go $(go env GOVERSION) $(go env GOOS)/$(go env GOARCH), $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "binary_stripped     $(stat -c %s "$out/kioskd-stripped") (-trimpath -ldflags '-s -w')"
"$out/kiosk-sim" footprint -kioskd "$out/kioskd" -idle "${IDLE:-10s}" -busy "${BUSY:-15s}" -poll "${POLL:-0s}"
