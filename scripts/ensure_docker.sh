#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine, for the kubelet's Docker runtime and the
# e2e tests (tests/kubelet/runtime/conftest.py calls it; CI and `make` can call it too).
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

# How dockerd is started here, and why:
# - --storage-driver=overlay2: the root file system is ext4 and the kernel has overlay, so
#   overlay2 works; naming it makes a broken overlay fail loudly instead of silently falling
#   back to the slow, disk-hungry `vfs` driver.
# - No other flag is needed on this machine (checked: Debian 12, root, no systemd, cgroup v1,
#   kernel 6.x): iptables comes with docker.io (nf_tables backend) and Docker's default bridge
#   (docker0, 172.17.0.0/16) is routed from the host, so the host reaches a container at its
#   bridge IP, which is what the kubelet reports as the pod IP. No systemd, so Docker's
#   default cgroupfs driver is the right one.
# - setsid + nohup + </dev/null: the engine outlives this script and the shell that ran it.
if ! pgrep -x dockerd >/dev/null 2>&1; then
  mkdir -p "$(dirname "$LOG")"
  setsid nohup dockerd --storage-driver=overlay2 >>"$LOG" 2>&1 </dev/null &
fi

for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
  engine_up && exit 0
  sleep 0.5
done
die "dockerd did not answer within ${WAIT_SECONDS}s; see $LOG (last line: $(tail -n1 "$LOG" 2>/dev/null))"
