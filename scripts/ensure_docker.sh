#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine, for the kubelet's Docker runtime and the
# e2e tests (called by tests/kubelet/runtime/conftest.py, CI and `make`).
#
# Idempotent: exits 0 at once when `docker info` already answers. Otherwise, as root on
# Debian, installs what is missing (docker.io, busybox-static), starts dockerd detached and
# waits for it. No image is ever pulled: images are built locally (scripts/build_images.sh).
set -euo pipefail

LOG=${MINIKUBE_PY_DOCKERD_LOG:-/var/log/minikube-py-dockerd.log}
WAIT_SECONDS=${MINIKUBE_PY_DOCKERD_WAIT:-60}

die() { echo "ensure_docker: $*" >&2; exit 1; }
engine_up() { docker info >/dev/null 2>&1; }

if command -v docker >/dev/null 2>&1 && engine_up; then
  exit 0
fi

[[ $(id -u) -eq 0 ]] || die "no Docker engine answers and we are not root: start Docker yourself"
[[ -f /etc/debian_version ]] || die "no Docker engine answers and this is not Debian: install Docker"

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
[[ -x /bin/busybox ]] || missing+=(busybox-static)
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  # A docker CLI may already sit in /usr/local/bin without an engine; docker.io adds the engine
  # (dockerd, containerd, runc) and its own CLI under /usr/bin, which PATH ranks lower.
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v dockerd >/dev/null 2>&1 || die "dockerd is still missing after installing docker.io"

# Flags this sandbox needs, and why:
# --storage-driver=overlay2  the root file system is ext4 with overlay in the kernel; saying it
#                            avoids a silent fall-back to the slow `vfs` driver.
# --iptables=true (default)  docker.io pulls in iptables (nft backend); Docker needs it for the
#                            bridge's NAT rules. Host -> container bridge IP traffic is plain
#                            routing over docker0 and works either way.
# No --cgroup-driver: the machine runs no systemd, so the cgroupfs driver (the default) it is.
# Started with setsid+nohup so the engine outlives this script and the shell that ran it.
if ! pgrep -x dockerd >/dev/null 2>&1; then
  mkdir -p "$(dirname "$LOG")"
  setsid nohup dockerd --storage-driver=overlay2 >>"$LOG" 2>&1 </dev/null &
fi

for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
  engine_up && exit 0
  sleep 0.5
done
die "dockerd did not answer within ${WAIT_SECONDS}s; see $LOG (last line: $(tail -n1 "$LOG" 2>/dev/null))"
