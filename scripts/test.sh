#!/usr/bin/env bash
# The whole test suite, as CI runs it: install what is missing, then build and run every test.
# Warnings are errors in Switchboard's own targets (Package.swift: treatAllWarnings).
#
#   scripts/test.sh              build (debug with tests, and the release switchboard binary), check the deployment
#                                files (scripts/check-deploy.sh), start a throwaway PostgreSQL cluster
#                                (scripts/test-postgres.sh, stopped at the end), run the operator page
#                                in headless Chromium (scripts/test-browser.sh), then every Swift test, once
#   scripts/test.sh --repeat N   build once, then run the whole suite N times in a row; stops at the first failure
#                                and says which run failed (a flaky test is a bug, not something to retry)
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=1
case "${1:-}" in
    --repeat) repeat="${2:?--repeat needs a count}" ;;
    "") ;;
    *) echo "usage: scripts/test.sh [--repeat N]" >&2; exit 2 ;;
esac
"$(dirname "$0")/install-deps.sh"
swift build --build-tests
# The configuration that ships: a release-only compile error must not reach main.
swift build -c release --product switchboard
"$(dirname "$0")/check-deploy.sh"
# A throwaway PostgreSQL cluster for the shared-store tests, stopped however the run ends.
pg=$(scripts/test-postgres.sh start)
eval "$pg"
trap 'scripts/test-postgres.sh stop "$SWITCHBOARD_TEST_PGDIR"' EXIT
if [ "$repeat" -eq 1 ]; then
    "$(dirname "$0")/test-browser.sh"
    swift test --skip-build
    exit
fi
log=$(mktemp)
trap 'rm -f "$log"; scripts/test-postgres.sh stop "$SWITCHBOARD_TEST_PGDIR"' EXIT
for run in $(seq 1 "$repeat"); do
    if ! { "$(dirname "$0")/test-browser.sh" && swift test --skip-build; } >"$log" 2>&1; then
        cat "$log"
        echo "run $run of $repeat FAILED"
        exit 1
    fi
    echo "run $run of $repeat passed: $(grep -E '^[0-9]+ passed' "$log" | tail -1) (browser);" \
        "$(grep -E 'Test run with [0-9]+ tests' "$log" | tail -1)"
done
echo "$repeat passed, 0 failed"
