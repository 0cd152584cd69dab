#!/usr/bin/env bash
# Make sure an `etcd` binary is on this machine, for the etcd storage backend's tests
# (tests/helpers/etcd.py starts real etcd processes on loopback) and bench --etcd runs.
#
# Idempotent: exits 0 at once when `etcd` is on PATH. Otherwise, as root on Debian, installs
# Debian's etcd-server (no daemon is started: tests start their own on free ports).
set -euo pipefail

die() { echo "ensure_etcd: $*" >&2; exit 1; }

command -v etcd >/dev/null 2>&1 && exit 0
[[ $(id -u) -eq 0 ]] || die "etcd is missing and we are not root: apt-get install etcd-server"
[[ -f /etc/debian_version ]] || die "etcd is missing and this is not Debian: install etcd 3.4+"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends etcd-server >/dev/null
# The package enables a system service; no init runs it here, and nothing should.
command -v etcd >/dev/null 2>&1 || die "etcd is still missing after installing etcd-server"
