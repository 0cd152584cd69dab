"""The DaemonSet controller end to end: a daemon with N simulated nodes (``--runtime sim``, a
kubelet per node, no processes), one DaemonSet applied with kubectl. Prints the time until
``kubectl rollout status`` exits 0 (a pod created, scheduled, started and Ready on every
node), then the same for a new image rolled out with maxUnavailable 25%.

    .venv/bin/python bench/bench_daemonset.py [NODES]
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, start_daemon

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"


def daemon_set(image: str) -> str:
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "bench"},
        "spec": {"selector": {"matchLabels": {"app": "bench"}},
                 "updateStrategy": {"type": "RollingUpdate",
                                    "rollingUpdate": {"maxUnavailable": "25%"}},
                 "template": {"metadata": {"labels": {"app": "bench"}},
                              "spec": {"terminationGracePeriodSeconds": 0,
                                       "containers": [{"name": "a", "image": image}]}}}})


def kubectl(kubeconfig: Path, *args: str, stdin: str | None = None) -> None:
    subprocess.run([KUBECTL, "--kubeconfig", str(kubeconfig), *args], input=stdin, text=True,
                   check=True, capture_output=True, timeout=300)


def rollout(kubeconfig: Path, image: str) -> float:
    started = time.perf_counter()
    kubectl(kubeconfig, "apply", "-f", "-", stdin=daemon_set(image))
    kubectl(kubeconfig, "rollout", "status", "daemonset/bench", "--timeout=300s")
    return time.perf_counter() - started


def main() -> None:
    nodes = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    data = Path(subprocess.check_output(["mktemp", "-d"], text=True).strip())
    spec = "".join(f"- name: bench-ds-{i}\n  cpu: '2'\n  memory: 4Gi\n" for i in range(nodes))
    (data / "nodes.yaml").write_text(spec)
    proc, data_dir, _port, _ready = start_daemon(
        data / "data", "--runtime", "sim", "--nodes-file", str(data / "nodes.yaml"))
    try:
        kubeconfig = data_dir / "kubeconfig"
        print(f"{machine()}; {nodes} simulated nodes")
        print(f"create -> rolled out on every node: {rollout(kubeconfig, 'busybox:1'):.2f} s")
        print(f"new image, maxUnavailable 25% -> rolled out: "
              f"{rollout(kubeconfig, 'busybox:2'):.2f} s")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
