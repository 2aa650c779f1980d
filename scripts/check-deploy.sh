#!/usr/bin/env bash
# Checks the deployment files with tools rather than by eye (part of scripts/test.sh):
#   deploy/systemd     systemd-analyze verify, with ExecStart pointed at a built switchboard binary
#   deploy/kubernetes  kubernetes-validate --strict against the Kubernetes schemas, offline
#   deploy/docker      hadolint (the image itself is not built here: no container engine)
# Usage: scripts/check-deploy.sh [SWITCHBOARD_BINARY]   (default .build/debug/switchboard)
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$(realpath "${1:-.build/debug/switchboard}")
[ -x "$binary" ] || { echo "check-deploy: no switchboard binary at $binary (build first)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "==> systemd: deploy/systemd/switchboard.service"
# verify resolves ExecStart and EnvironmentFile: point them at files that exist here, keep everything else.
touch "$work/switchboard.env"
sed -e "s#/opt/switchboard/bin/switchboard#$binary#" -e "s#/etc/switchboard/switchboard.env#$work/switchboard.env#" \
    deploy/systemd/switchboard.service > "$work/switchboard.service"
out=$(systemd-analyze verify --man=no "$work/switchboard.service" 2>&1 || true)
# Outside a booted systemd (containers, CI) verify also reports the manager's own missing units; only lines about
# our unit count.
problems=$(printf '%s\n' "$out" | grep -F "switchboard.service" || true)
if [ -n "$problems" ]; then
    printf '%s\n' "$problems"
    echo "systemd unit: FAILED"
    exit 1
fi
echo "systemd unit: ok"

echo "==> kubernetes: deploy/kubernetes/*.yaml"
kubernetes-validate --strict --quiet deploy/kubernetes/*.yaml
echo "kubernetes manifests: ok (ServiceMonitor is a CRD: no schema offline, checked as YAML only)"

echo "==> docker: deploy/docker/Dockerfile"
hadolint --no-color deploy/docker/Dockerfile
echo "Dockerfile: ok (linted; not built)"
