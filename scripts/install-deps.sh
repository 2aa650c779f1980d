#!/usr/bin/env bash
# Installs the system packages the build needs (libcurl's headers for the health checker), when missing.
set -euo pipefail
if ! dpkg -s libcurl4-openssl-dev >/dev/null 2>&1; then
    echo "==> installing libcurl4-openssl-dev"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq libcurl4-openssl-dev >/dev/null
fi
