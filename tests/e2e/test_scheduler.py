"""The scheduler in a real daemon with three virtual nodes of different size, labels and
taints (``up --nodes-file``), seen through kubectl and our CLI: nodeSelector, spreading of one
Service's pods, a pod too big for every node (the exact FailedScheduling message) that a new
node then takes, preemption by priority, and leader election between two
``minikube-py scheduler --leader-elect`` processes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, RunningDaemon, start_daemon
from tests.e2e.test_controller_manager import eventually
from tests.e2e.test_kubectl import kubectl, ok

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl]

NODES = """\
- name: node-a
  cpu: "2"
  memory: 4Gi
  labels: {disktype: ssd, topology.kubernetes.io/zone: zone-a}
- name: node-b
  cpu: "4"
  memory: 8Gi
  labels: {disktype: hdd, topology.kubernetes.io/zone: zone-b}
- name: node-c
  cpu: "8"
  memory: 16Gi
  resources: {nvidia.com/gpu: "2"}
  labels: {topology.kubernetes.io/zone: zone-c}
  taints: [{key: dedicated, value: gpu, effect: NoSchedule}]
"""
GPU_TOLERATION = [{"key": "dedicated", "operator": "Equal", "value": "gpu",
                   "effect": "NoSchedule"}]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    """A daemon whose virtual nodes are the three of NODES."""
    base = tmp_path_factory.mktemp("sched")
    nodes = base / "nodes.yaml"
    nodes.write_text(NODES)
    running = start_daemon(base / "data", extra=("--nodes-file", str(nodes)))
    yield running
    running.stop()


def pod(name: str, *, cpu: str = "50m", labels: dict[str, str] | None = None,
        namespace: str = "default", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
            "spec": {"containers": [{"name": "c", "image": "minikube-py/busybox:local",
                                     "resources": {"requests": {"cpu": cpu,
                                                                "memory": "64Mi"}}}],
                     **spec}}


def apply(daemon: RunningDaemon, *objs: dict[str, Any]) -> None:
    ok(daemon, "apply", "-f", "-",
       input=json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objs)}))


def get(daemon: RunningDaemon, kind: str, name: str, namespace: str = "default",
        ) -> dict[str, Any] | None:
    result = kubectl(daemon, "get", kind, name, "-n", namespace, "-o", "json")
    return json.loads(result.stdout) if result.returncode == 0 else None


def node_of(daemon: RunningDaemon, name: str, namespace: str = "default") -> str:
    found = get(daemon, "pod", name, namespace)
    return str(((found or {}).get("spec") or {}).get("nodeName") or "")


def events_of(daemon: RunningDaemon, name: str, namespace: str = "default",
              ) -> list[dict[str, Any]]:
    out = ok(daemon, "get", "events", "-n", namespace, "-o", "json",
             "--field-selector", f"involvedObject.name={name}")
    return list(json.loads(out)["items"])


def test_node_selector_lands_on_ssd_node(cluster: RunningDaemon) -> None:
    """nodeSelector disktype=ssd puts the pod on the one ssd node; describe shows the
    Scheduled event and ``get pods -o wide`` the node."""
    apply(cluster, pod("fast", nodeSelector={"disktype": "ssd"}))
    eventually(lambda: node_of(cluster, "fast") == "node-a", what="fast bound to node-a")
    described = ok(cluster, "describe", "pod", "fast")
    assert "Scheduled" in described
    assert "Successfully assigned default/fast to node-a" in described
    wide = cluster.cli("get", "pods", "-o", "wide", check=True).stdout
    row = next(line for line in wide.splitlines() if line.startswith("fast "))
    assert "node-a" in row.split()


def test_pods_of_one_service_spread_over_nodes(cluster: RunningDaemon) -> None:
    """Ten pods one Service selects are spread over all three nodes (default topology
    spreading by the Service's selector), none left pending."""
    ok(cluster, "create", "namespace", "spread")
    service = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "web", "namespace": "spread"},
               "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}
    pods = [pod(f"web-{i}", labels={"app": "web"}, namespace="spread",
                tolerations=GPU_TOLERATION) for i in range(10)]
    apply(cluster, service, *pods)

    def placed() -> Counter[str]:
        items = json.loads(ok(cluster, "get", "pods", "-n", "spread", "-o", "json"))["items"]
        return Counter(p["spec"].get("nodeName") or "" for p in items)

    eventually(lambda: sum(n for k, n in placed().items() if k) == 10, what="10 pods bound")
    counts = placed()
    assert set(counts) == {"node-a", "node-b", "node-c"}
    assert max(counts.values()) - min(counts.values()) <= 2, counts


TOO_BIG = ("0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, "
           "2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not "
           "helpful for scheduling, 2 No preemption victims found for incoming pod.")


def test_too_big_pod_waits_then_a_new_node_takes_it(cluster: RunningDaemon) -> None:
    """A pod asking more cpu than any node has stays Pending with kube-scheduler's message
    (event and PodScheduled condition); adding a node that fits schedules it, with no other
    change."""
    apply(cluster, pod("huge", cpu="16"))

    def failed() -> list[dict[str, Any]]:
        return [e for e in events_of(cluster, "huge") if e["reason"] == "FailedScheduling"]

    eventually(lambda: bool(failed()), what="a FailedScheduling event")
    assert failed()[0]["message"] == TOO_BIG
    assert failed()[0]["type"] == "Warning"
    found = get(cluster, "pod", "huge")
    assert found is not None and found["status"]["phase"] == "Pending"
    condition = next(c for c in found["status"]["conditions"] if c["type"] == "PodScheduled")
    assert (condition["status"], condition["reason"], condition["message"]) == \
        ("False", "Unschedulable", TOO_BIG)
    assert "FailedScheduling" in ok(cluster, "describe", "pod", "huge")
    big_node = {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": "node-big", "labels": {"kubernetes.io/hostname":
                                                            "node-big"}},
                "status": {"capacity": {"cpu": "32", "memory": "64Gi", "pods": "110"},
                           "conditions": [{"type": "Ready", "status": "True"}]}}
    try:
        apply(cluster, big_node)
        eventually(lambda: node_of(cluster, "huge") == "node-big", what="huge on node-big")
    finally:
        ok(cluster, "delete", "pod", "huge", "--wait=false")
        ok(cluster, "delete", "node", "node-big", "--wait=false")


def test_high_priority_pod_preempts_low_one(cluster: RunningDaemon) -> None:
    """On a full node, a pod of a higher PriorityClass evicts the lower one (a Preempted
    event, a graceful delete), is nominated there and bound there."""
    only_a = {"nodeSelector": {"kubernetes.io/hostname": "node-a"}}
    apply(cluster, {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                    "metadata": {"name": "important"}, "value": 1000})
    apply(cluster, pod("low", cpu="1500m", **only_a))
    eventually(lambda: node_of(cluster, "low") == "node-a", what="low on node-a")
    apply(cluster, pod("vip", cpu="1500m", priorityClassName="important", **only_a))
    eventually(lambda: node_of(cluster, "vip") == "node-a", what="vip on node-a")
    assert get(cluster, "pod", "low") is None
    vip = get(cluster, "pod", "vip")
    assert vip is not None and vip["spec"]["priority"] == 1000
    assert vip["status"].get("nominatedNodeName") == "node-a"
    preempted = [e for e in events_of(cluster, "low") if e["reason"] == "Preempted"]
    assert preempted and preempted[0]["message"] == \
        f"Preempted by pod {vip['metadata']['uid']} on node node-a"


def test_system_priority_classes_exist(cluster: RunningDaemon) -> None:
    """The daemon creates the two system PriorityClasses; kubectl lists them."""
    out = ok(cluster, "get", "priorityclasses")
    assert "system-cluster-critical" in out and "2000000000" in out
    assert "system-node-critical" in out and "2000001000" in out


# -- leader election between processes ------------------------------------------------------

def start_scheduler(daemon: RunningDaemon, identity: str, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "minikube_py.cli.main", "scheduler",
             "--kubeconfig", str(daemon.kubeconfig), "--leader-elect", "--identity", identity,
             "--lease-duration", "4", "--renew-deadline", "3", "--retry-period", "0.5"],
            stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=dict(os.environ))


def holder(daemon: RunningDaemon) -> str:
    result = kubectl(daemon, "get", "lease", "kube-scheduler", "-n", "kube-system",
                     "-o", "jsonpath={.spec.holderIdentity}")
    return result.stdout.strip() if result.returncode == 0 else ""


def test_leader_election_between_two_schedulers(tmp_path: Path) -> None:
    """Of two ``minikube-py scheduler --leader-elect`` processes one holds the Lease
    kube-system/kube-scheduler and schedules; killed, the other takes over and schedules."""
    daemon = start_daemon(tmp_path / "bare", extra=("--without", "scheduler"))
    procs = {n: start_scheduler(daemon, n, tmp_path / f"{n}.log") for n in ("s-one", "s-two")}
    try:
        eventually(lambda: holder(daemon) in procs, what="a leader")
        leader = holder(daemon)
        apply(daemon, pod("first"))
        eventually(lambda: bool(node_of(daemon, "first")), what="first scheduled")
        procs[leader].send_signal(signal.SIGKILL)
        procs[leader].wait(timeout=10)
        follower = next(n for n in procs if n != leader)
        eventually(lambda: holder(daemon) == follower, seconds=15, what="the follower leads")
        apply(daemon, pod("second"))
        eventually(lambda: bool(node_of(daemon, "second")), what="second scheduled")
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        daemon.stop()


BIN_PACKING = """\
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
  plugins:
    score:
      disabled:
      - name: NodeResourcesBalancedAllocation
      - name: PodTopologySpread
"""


def test_nodes_flag_and_scheduler_config(tmp_path: Path) -> None:
    """``up --nodes 2`` registers node-1 and node-2; ``--scheduler-config`` with the
    MostAllocated strategy packs pods onto one node instead of spreading them."""
    config = tmp_path / "sched.yaml"
    config.write_text(BIN_PACKING)
    daemon = start_daemon(tmp_path / "packed", extra=("--nodes", "2", "--scheduler-config",
                                                     str(config)))
    try:
        names = ok(daemon, "get", "nodes", "-o", "jsonpath={.items[*].metadata.name}").split()
        assert names == ["node-1", "node-2"]
        apply(daemon, *(pod(f"packed-{i}", cpu="100m") for i in range(4)))
        eventually(lambda: all(node_of(daemon, f"packed-{i}") for i in range(4)),
                   what="4 pods bound")
        assert len({node_of(daemon, f"packed-{i}") for i in range(4)}) == 1
    finally:
        daemon.stop()
