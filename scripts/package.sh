#!/usr/bin/env bash
# Builds the Debian packages of a lane (sco-lane: kioskd) and of a store
# server (sco-store: attendant-bridge, pager, kiosk-sim, the Mosquitto
# set-up) for amd64, arm64 and armhf (ARMv7, Raspberry Pi class), with
# nfpm. Usage:
#
#   scripts/package.sh [ARCH...]        # default: amd64 arm64 armhf
#
# Output in dist/ (gitignored): dist/sco-lane_VERSION_ARCH.deb and
# dist/sco-store_VERSION_ARCH.deb, the binaries of each architecture in
# dist/build/linux_ARCH/, and dist/VERSION and dist/ARCHES, which the
# package test (deploy/packages_test.go) reads. The binaries are static (CGO off), built with
# -trimpath and stripped (-ldflags "-s -w"), once per architecture.
#
# Environment:
#   VERSION     the package version (a leading v is dropped); default from
#               git describe: a tag vX.Y.Z gives X.Y.Z, N commits after it
#               X.Y.Z+N.gHASH, no tag 0.0.0+N.gHASH (N counts the commits,
#               so a later build sorts later); a tree with changes adds .dirty
#   MAINTAINER  the packages' Maintainer field
#
# docs/deploy.md says what the packages install; deploy/nfpm/ holds their
# nfpm configs and maintainer scripts.
set -euo pipefail
cd "$(dirname "$0")/.."

NFPM_VERSION=v2.48.0   # github.com/goreleaser/nfpm/v2, pinned
MAINTAINER="${MAINTAINER:-sco project <sco@sco-project.invalid>}"
arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(amd64 arm64 armhf)

log() { printf '==> %s\n' "$*"; }

version() {
  if [ -n "${VERSION:-}" ]; then
    echo "${VERSION#v}"
    return
  fi
  local dirty="" d
  git diff --quiet HEAD 2>/dev/null || dirty=.dirty
  if d=$(git describe --tags --match 'v[0-9]*' --long 2>/dev/null); then
    # v1.2.0-5-gabc1234
    local tag=${d%-*-g*} rest=${d#"${d%-*-g*}"-}
    local n=${rest%%-*} hash=${rest#*-}
    tag=${tag#v}
    if [ "$n" = 0 ] && [ -z "$dirty" ]; then echo "$tag"; else echo "$tag+$n.$hash$dirty"; fi
    return
  fi
  echo "0.0.0+$(git rev-list --count HEAD).g$(git rev-parse --short=7 HEAD)$dirty"
}

VERSION=$(version)
[[ "$VERSION" =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || { echo "package.sh: version \"$VERSION\" is not a Debian version" >&2; exit 2; }
# File dates in the packages: the commit's, so the same commit gives the
# same packages.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH

mkdir -p dist/tools dist/stage
rm -f dist/sco-lane_*.deb dist/sco-store_*.deb dist/VERSION dist/ARCHES
log "nfpm $NFPM_VERSION"
GOBIN="$PWD/dist/tools" GOFLAGS= go install "github.com/goreleaser/nfpm/v2/cmd/nfpm@$NFPM_VERSION"

# One changelog entry per build: the version and the commit it is built from.
{
  printf 'sco (%s) unstable; urgency=medium\n\n' "$VERSION"
  printf '  * Built from commit %s.\n\n' "$(git rev-parse HEAD 2>/dev/null || echo unknown)"
  printf ' -- %s  %s\n' "$MAINTAINER" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n > dist/stage/changelog.gz

for arch in "${arches[@]}"; do
  case "$arch" in
    amd64) goarch=amd64 goarm= nfpmarch=amd64 ;;
    arm64) goarch=arm64 goarm= nfpmarch=arm64 ;;
    armhf) goarch=arm goarm=7 nfpmarch=arm7 ;;
    *) echo "package.sh: unknown architecture \"$arch\" (amd64, arm64, armhf)" >&2; exit 2 ;;
  esac
  out="dist/build/linux_$arch"
  log "build $arch (GOARCH=$goarch${goarm:+ GOARM=$goarm})"
  mkdir -p "$out"
  CGO_ENABLED=0 GOOS=linux GOARCH=$goarch GOARM=$goarm \
    go build -trimpath -ldflags "-s -w" -o "$out/" ./cmd/kioskd ./cmd/attendant-bridge ./cmd/pager ./cmd/kiosk-sim

  # The nfpm configs take the binaries from dist/stage/bin.
  rm -rf dist/stage/bin
  mkdir -p dist/stage/bin
  cp -l "$out"/* dist/stage/bin/ 2>/dev/null || cp "$out"/* dist/stage/bin/
  for pkg in sco-lane sco-store; do
    rm -f "dist/${pkg}_${VERSION}_${arch}.deb"
    ARCH=$nfpmarch VERSION=$VERSION MAINTAINER=$MAINTAINER \
      dist/tools/nfpm package -f "deploy/nfpm/$pkg.yaml" -p deb -t dist/ >/dev/null
    [ -f "dist/${pkg}_${VERSION}_${arch}.deb" ] || { echo "package.sh: nfpm made no dist/${pkg}_${VERSION}_${arch}.deb" >&2; exit 1; }
    log "dist/${pkg}_${VERSION}_${arch}.deb"
  done
done
rm -rf dist/stage/bin
# What deploy/packages_test.go checks.
printf '%s\n' "$VERSION" > dist/VERSION
printf '%s\n' "${arches[@]}" > dist/ARCHES
