#!/usr/bin/env bash
# The operator page in headless Chromium (Tests/Browser/test_operator_page.py): installs what is missing (Debian's
# chromium and chromium-driver, Selenium and pytest from PyPI), then runs the test against the debug binary,
# which must already be built (`swift build`; scripts/test.sh builds it). Extra arguments go to pytest.
#
# The test starts two demo backends and `switchboard serve` on 127.0.0.1 (port 0) and saves a screenshot of the
# page to docs/operator-page.png (OPERATOR_PAGE_SCREENSHOT=FILE puts it elsewhere).
set -euo pipefail
cd "$(dirname "$0")/.."
sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
if [ ${#missing[@]} -gt 0 ]; then
    echo "==> installing ${missing[*]}"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
pip=(python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore)
if ! python3 -c 'import pytest' >/dev/null 2>&1; then
    echo "==> installing pytest (pip)"
    "${pip[@]}" pytest
fi
if [ "$(python3 -c 'import selenium; print(selenium.__version__)' 2>/dev/null)" != "4.52.0" ]; then
    echo "==> installing selenium==4.52.0 (pip)"
    # Selenium 4.52.0 asks for a certifi newer than some package mirrors carry; certifi only serves HTTPS to remote
    # WebDriver servers, and this test drives a local chromedriver over loopback HTTP. So when the normal install
    # cannot be resolved, install its other requirements, then Selenium itself without its dependencies.
    if ! "${pip[@]}" selenium==4.52.0 2>/dev/null; then
        "${pip[@]}" certifi "trio>=0.31.0,<1.0" "trio-websocket>=0.12.2,<1.0" "typing_extensions>=4.15.0,<5.0" \
            "urllib3[socks]>=2.6.3,<3.0" "websocket-client>=1.8.0,<2.0"
        "${pip[@]}" --no-deps selenium==4.52.0
    fi
fi
if [ ! -x .build/debug/switchboard ]; then
    echo "error: .build/debug/switchboard is missing; build it first with: swift build" >&2
    exit 1
fi
exec python3 -m pytest -q -p no:cacheprovider Tests/Browser/test_operator_page.py "$@"
