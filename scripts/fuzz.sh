#!/usr/bin/env bash
# Runs every Go fuzz target in the repository briefly: the seed corpus plus
# ${FUZZTIME:-3s} of search each. Called by scripts/test.sh. A failure
# leaves the crasher in the package's testdata/fuzz/ for `go test` to
# replay; commit it with the fix.
# Usage: scripts/fuzz.sh [package-dir-pattern]   e.g. scripts/fuzz.sh devices/scale
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME="${FUZZTIME:-3s}"
filter="${1:-}"

# Fuzz targets are found by name in *_test.go files: func FuzzXxx(f *testing.F).
mapfile -t targets < <(
  git ls-files '*_test.go' 2>/dev/null | xargs grep -H -o '^func Fuzz[A-Za-z0-9_]*' 2>/dev/null |
    sed -e 's|^\(.*\)/[^/]*_test.go:func |\1 |' | sort -u
)
if [ "${#targets[@]}" -eq 0 ]; then
  echo "fuzz: no fuzz targets"
  exit 0
fi

failed=0
for t in "${targets[@]}"; do
  dir=${t% *}
  name=${t#* }
  if [ -n "$filter" ] && [[ "$dir" != *"$filter"* ]]; then
    continue
  fi
  start=$(date +%s)
  if out=$(go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "./$dir" 2>&1); then
    printf 'fuzz: ok   %-28s %s (%ss)\n' "$name" "$dir" "$(( $(date +%s) - start ))"
  else
    printf 'fuzz: FAIL %-28s %s\n%s\n' "$name" "$dir" "$out"
    failed=1
  fi
done
exit "$failed"
