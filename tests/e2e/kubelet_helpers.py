"""Helpers of the kubelet's end-to-end tests: a daemon whose kubelet runs real containers on a
node of its own (every container it makes carries the node label, so cleanup finds them), and
polling (never fixed sleeps) for pod states."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunningDaemon, start_daemon
from tests.e2e.test_kubectl import kubectl

NODE_LABEL = "io.minikube-py.node"
BUSYBOX = "minikube-py/busybox:local"


def docker_ok() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20,
                              check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def remove_node_containers(node: str) -> None:
    ids = subprocess.run(["docker", "ps", "-aq", "--filter", f"label={NODE_LABEL}={node}"],
                         capture_output=True, text=True, check=False).stdout.split()
    if ids:
        subprocess.run(["docker", "rm", "-f", "-v", *ids], capture_output=True, check=False)


def node_containers(node: str, *extra: str) -> list[str]:
    return subprocess.run(["docker", "ps", "-q", "--no-trunc", "--filter",
                           f"label={NODE_LABEL}={node}", *extra],
                          capture_output=True, text=True, check=False).stdout.split()


def kubelet_daemon(tmp: Path, node: str, *extra: str) -> RunningDaemon:
    (tmp / "nodes.yaml").write_text(f"- name: {node}\n  cpu: '2'\n  memory: 4Gi\n")
    return start_daemon(tmp / "data", kubelet=True,
                        extra=("--nodes-file", str(tmp / "nodes.yaml"), *extra))


@pytest.fixture(scope="module")
def node_name() -> str:
    return f"kt-{uuid.uuid4().hex[:6]}"


def pod_json(daemon: RunningDaemon, name: str, namespace: str = "default") -> dict[str, Any]:
    out = kubectl(daemon, "get", "pod", name, "-n", namespace, "-o", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def wait_pod(daemon: RunningDaemon, name: str, check: Callable[[dict[str, Any]], bool], *,
             seconds: float = 30, what: str = "") -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    last: dict[str, Any] = {}
    while time.monotonic() < deadline:
        result = kubectl(daemon, "get", "pod", name, "-o", "json")
        if result.returncode == 0:
            last = json.loads(result.stdout)
            if check(last):
                return last
        time.sleep(0.2)
    raise AssertionError(f"pod {name}: not {what} within {seconds} s: "
                         f"{json.dumps(last.get('status'), indent=1)}")


def container(pod: dict[str, Any], name: str, *, init: bool = False) -> dict[str, Any]:
    key = "initContainerStatuses" if init else "containerStatuses"
    for status in (pod.get("status") or {}).get(key) or []:
        if status["name"] == name:
            return status  # type: ignore[no-any-return]
    return {}


def running(pod: dict[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running"


def ready(pod: dict[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def daemon_with_cleanup(tmp: Path, node: str, *extra: str) -> Iterator[RunningDaemon]:
    running_daemon = kubelet_daemon(tmp, node, *extra)
    try:
        yield running_daemon
    finally:
        running_daemon.stop()
        remove_node_containers(node)
