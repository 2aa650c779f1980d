#!/usr/bin/env bash
# The whole test suite, as CI runs it: install what is missing, then build and run every test.
# Warnings are errors in Switchboard's own targets (Package.swift: treatAllWarnings).
set -euo pipefail
cd "$(dirname "$0")/.."
"$(dirname "$0")/install-deps.sh"
swift test
