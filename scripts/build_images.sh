#!/usr/bin/env bash
# Build the local images the tests and demos use (minikube-py/pause:3.9 and
# minikube-py/busybox:local) with `docker import` of root file systems made on this machine:
# nothing is pulled. Idempotent. Needs a running engine: run scripts/ensure_docker.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
[[ -x $PY ]] || PY=python3
exec "$PY" -m minikube_py.kubelet.runtime.images "$@"
