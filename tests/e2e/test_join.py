"""``minikube-py join`` from another network namespace on this machine: the test makes the
namespace and one veth pair on a private /30 (nothing routes beyond it), starts the daemon
listening on the host's end, creates a bootstrap token, and joins a sim-runtime kubelet from
the namespace's end. The node registers with a client certificate from the CSR flow (asked
by ``system:bootstrap:<id>``, auto-approved, issued by the cluster CA), runs a pod, and its
identity may not write another node's objects."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, RunningDaemon, start_daemon
from tests.e2e.test_kubectl import kubectl, ok

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl, pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("ip") is None,
    reason="network namespaces need root and iproute2")]


def sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, text=True)


@pytest.fixture(scope="module")
def netns() -> Iterator[tuple[str, str, str]]:
    """(namespace, host address, namespace address) of a veth pair made for this test."""
    tag = uuid.uuid4().hex[:6]
    name, host_if, ns_if = f"mkpj-{tag}", f"mkh{tag}", f"mkn{tag}"
    octet = random.randint(1, 250)
    host_ip, ns_ip = f"10.254.{octet}.1", f"10.254.{octet}.2"
    sh("ip", "netns", "add", name)
    try:
        sh("ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        sh("ip", "link", "set", ns_if, "netns", name)
        sh("ip", "addr", "add", f"{host_ip}/30", "dev", host_if)
        sh("ip", "link", "set", host_if, "up")
        sh("ip", "netns", "exec", name, "ip", "addr", "add", f"{ns_ip}/30", "dev", ns_if)
        sh("ip", "netns", "exec", name, "ip", "link", "set", ns_if, "up")
        sh("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up")
        yield name, host_ip, ns_ip
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
        subprocess.run(["ip", "link", "del", host_if], capture_output=True, check=False)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory,
            netns: tuple[str, str, str]) -> Iterator[RunningDaemon]:
    _, host_ip, _ = netns
    running = start_daemon(tmp_path_factory.mktemp("join") / "data",
                           extra=("--listen", host_ip, "--without", "proxy"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def joined(cluster: RunningDaemon, netns: tuple[str, str, str],
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    name, _, _ = netns
    line = cluster.cli("token", "create", "--print-join-command", check=True).stdout.split()
    assert line[:2] == ["minikube-py", "join"], line
    node = f"joined-{uuid.uuid4().hex[:5]}"
    data = tmp_path_factory.mktemp("joined")
    env = dict(os.environ, MINIKUBE_PY_HOME=str(data))
    log = open(data / "join.log", "wb")
    proc = subprocess.Popen(["ip", "netns", "exec", name, sys.executable, "-m",
                             "minikube_py.cli.main", *line[1:], "--node-name", node,
                             "--runtime", "sim", "--data-dir", str(data / "node")],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            got = kubectl(cluster, "get", "node", node, "-o", "json")
            if got.returncode == 0 and any(
                    c["type"] == "Ready" and c["status"] == "True"
                    for c in json.loads(got.stdout)["status"].get("conditions") or []):
                break
            assert proc.poll() is None, (data / "join.log").read_text()
            time.sleep(0.3)
        else:
            raise AssertionError((data / "join.log").read_text())
        yield node, data / "node" / "kubelet.kubeconfig"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_the_node_joins_with_a_certificate_from_the_csr_flow(
        cluster: RunningDaemon, joined: tuple[str, Path]) -> None:
    node, credentials = joined
    csrs = json.loads(ok(cluster, "get", "csr", "-o", "json"))["items"]
    (mine,) = [c for c in csrs if c["spec"]["username"].startswith("system:bootstrap:")]
    assert "system:bootstrappers" in mine["spec"]["groups"]
    assert [c["type"] for c in mine["status"]["conditions"]] == ["Approved"]
    assert mine["status"]["certificate"]
    assert "client-certificate-data" in credentials.read_text()
    assert "token:" not in credentials.read_text()


def test_the_joined_node_runs_a_pod(cluster: RunningDaemon, joined: tuple[str, Path]) -> None:
    node, _ = joined
    ok(cluster, "apply", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "on-joined"},
        "spec": {"nodeName": node, "containers": [
            {"name": "app", "image": "minikube-py/busybox:local"}]}}))
    deadline = time.monotonic() + 30
    phase = ""
    while time.monotonic() < deadline and phase != "Running":
        phase = ok(cluster, "get", "pod", "on-joined", "-o", "jsonpath={.status.phase}")
        time.sleep(0.3)
    assert phase == "Running"


def test_the_node_identity_cannot_write_another_node(cluster: RunningDaemon,
                                                      joined: tuple[str, Path]) -> None:
    node, credentials = joined
    others = [n for n in ok(cluster, "get", "nodes", "-o", "name").split()
              if n != f"node/{node}"]
    assert others
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    as_node = subprocess.run(["kubectl", "--kubeconfig", str(credentials), "label", others[0],
                              "hijacked=yes"], capture_output=True, text=True, env=env,
                             timeout=30, check=False)
    assert as_node.returncode == 1 and "Forbidden" in as_node.stderr, as_node.stderr
    own = subprocess.run(["kubectl", "--kubeconfig", str(credentials), "get", "node", node],
                         capture_output=True, text=True, env=env, timeout=30, check=False)
    assert own.returncode == 0, own.stderr
