#!/usr/bin/env bash
# The project's test command: installs what the tests need, then runs the
# format check, go vet, staticcheck and the whole test suite with the race
# detector. Usage: scripts/test.sh [extra go test flags]
set -euo pipefail
cd "$(dirname "$0")/.."

STATICCHECK_VERSION=v0.8.2   # staticcheck 2026.x, pinned
export SCO_REQUIRE_MOSQUITTO=1
export SCO_REQUIRE_CHROMIUM=1

log() { printf '==> %s\n' "$*"; }

# 1. What the tests need from Debian: Mosquitto (the integration suite),
# mosquitto_passwd (in the same package), openssl (the broker set-up test
# makes a store CA), curl (the test of README's store steps runs their
# curl commands), Chromium (the attendant app's browser tests drive
# it headless over the DevTools protocol), and the package tools below.
missing=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# go test -race needs cgo, so a C compiler and the C library's headers
# (libc6-dev is only recommended by gcc, and recommends are not
# installed below): without a compiler Go turns cgo off and -race stops
# at once ("-race requires cgo").
command -v "${CC:-gcc}" >/dev/null 2>&1 || missing+=(gcc libc6-dev)
# The package step and its tests (deploy/): dpkg-deb, lintian, qemu-user
# for the ARM smoke test, systemd-analyze for the units.
command -v dpkg-deb >/dev/null 2>&1 || missing+=(dpkg)
command -v lintian >/dev/null 2>&1 || missing+=(lintian)
command -v qemu-aarch64-static >/dev/null 2>&1 || missing+=(qemu-user-static)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} (Debian packages)"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian package starts a system broker on :1883; the tests start their
# own on free ports and do not need it.

# 2. Format.
log "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './vendor/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

# 3. Vet and staticcheck.
log "go vet"
go vet ./...
log "staticcheck $STATICCHECK_VERSION"
go run "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION" ./...

# 4. Fuzz targets, briefly each (seed corpus plus a few seconds of search).
if [ -x scripts/fuzz.sh ]; then
  log "fuzz (brief)"
  FUZZTIME="${FUZZTIME:-3s}" scripts/fuzz.sh
fi

# 5. The packages: every binary cross-built once per architecture (amd64,
# arm64, armhf) and packaged (sco-lane, sco-store) into dist/; the tests
# of deploy/ check them (dpkg-deb, lintian, qemu-user, a dpkg install).
log "packages (amd64, arm64, armhf)"
scripts/package.sh
export SCO_REQUIRE_PACKAGES=1

# 6. Tests, race detector on. testsummary prints one line per package, the
# output of every failed test, and "N passed, N failed, N skipped".
log "go test -race"
go build -o "${TMPDIR:-/tmp}/sco-testsummary" ./scripts/testsummary
set +e
go test -race -count=1 -timeout 20m -json "$@" ./... 2>&1 | "${TMPDIR:-/tmp}/sco-testsummary"
status=("${PIPESTATUS[@]}")
set -e
if [ "${status[0]}" -ne 0 ] || [ "${status[1]}" -ne 0 ]; then
  echo "FAIL: go test exited ${status[0]}, summary ${status[1]}"
  exit 1
fi
