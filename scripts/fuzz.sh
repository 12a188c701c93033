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
  for attempt in 1 2; do
    if out=$(go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "./$dir" 2>&1); then
      printf 'fuzz: ok   %-28s %s (%ss)\n' "$name" "$dir" "$(( $(date +%s) - start ))"
      break
    fi
    # Go 1.26's fuzz coordinator can report "context deadline exceeded"
    # at the -fuzztime boundary under CPU load although no input failed
    # (go.dev/issue/75804, fixed in Go 1.27). A real finding always
    # writes a failing input; only a bare deadline is tried once more.
    if [ "$attempt" -eq 1 ] && grep -q 'context deadline exceeded' <<<"$out" &&
      ! grep -q -e 'Failing input written' -e 'panic:' -e '_test.go:[0-9]*:' <<<"$out"; then
      printf 'fuzz: retry %-27s %s (deadline at -fuzztime, go.dev/issue/75804)\n' "$name" "$dir"
      continue
    fi
    printf 'fuzz: FAIL %-28s %s\n%s\n' "$name" "$dir" "$out"
    failed=1
    break
  done
done
exit "$failed"
