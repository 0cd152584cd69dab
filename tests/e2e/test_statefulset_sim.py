"""A StatefulSet end to end on the simulated runtime, through the real kubectl: pods made in
order, each with its claim, ``rollout status`` and ``history``, scale down keeping the claims.

There is no PersistentVolume binder in the cluster, so the test plays it: every claim the
controller makes is bound to a hostPath PV of its own (what the kubelet mounts).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunningDaemon
from tests.e2e.kubelet_helpers import daemon_with_cleanup, ready, running
from tests.e2e.test_kubectl import kubectl, ok

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl]

MANIFEST = [
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
     "spec": {"clusterIP": "None", "selector": {"app": "web"}, "ports": [{"port": 80}]}},
    {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"},
     "spec": {"replicas": 3, "serviceName": "web", "selector": {"matchLabels": {"app": "web"}},
              "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                  "terminationGracePeriodSeconds": 1,
                  "containers": [{"name": "app", "image": "minikube-py/busybox:local",
                                  "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}},
              "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                  "accessModes": ["ReadWriteOnce"],
                  "resources": {"requests": {"storage": "1Gi"}}}}]}},
]


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    started = daemon_with_cleanup(tmp_path_factory.mktemp("sts"),
                                  f"ss-{uuid.uuid4().hex[:6]}", "--runtime", "sim")
    yield next(started)
    next(started, None)


def items(daemon: RunningDaemon, kind: str) -> list[dict[str, Any]]:
    return json.loads(ok(daemon, "get", kind, "-o", "json"))["items"]  # type: ignore[no-any-return]


def bind_claims(daemon: RunningDaemon, volumes: Path) -> None:
    """The PV binder's part: each unbound claim gets a hostPath PV of its own."""
    for claim in items(daemon, "pvc"):
        name = claim["metadata"]["name"]
        if claim["spec"].get("volumeName"):
            continue
        ok(daemon, "apply", "-f", "-", input=json.dumps({
            "apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": f"pv-{name}"},
            "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                     "hostPath": {"path": str(volumes / name)}}}))
        ok(daemon, "patch", "pvc", name, "--type=merge", "-p",
           json.dumps({"spec": {"volumeName": f"pv-{name}"}}))


def ready_since(pod: dict[str, Any]) -> str:
    return next(c["lastTransitionTime"] for c in pod["status"]["conditions"]
                if c["type"] == "Ready")


def test_pods_start_in_order_and_scale_down_keeps_the_claims(sim: RunningDaemon,
                                                              tmp_path: Path) -> None:
    """web-0, web-1, web-2 become Running one after another (each created once the previous
    is Ready), ``rollout status`` exits 0; scaled to 1, web-0 and the three claims remain."""
    ok(sim, "apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                  "items": MANIFEST}))
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        bind_claims(sim, tmp_path)
        pods = {p["metadata"]["name"]: p for p in items(sim, "pods")}
        if len(pods) == 3 and all(running(p) and ready(p) for p in pods.values()):
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"not all running: {sorted(pods)}")
    for i in (1, 2):  # RFC 3339 seconds compare as text
        assert pods[f"web-{i}"]["metadata"]["creationTimestamp"] >= ready_since(
            pods[f"web-{i - 1}"])
    web1 = pods["web-1"]
    assert (web1["spec"]["hostname"], web1["spec"]["subdomain"]) == ("web-1", "web")
    endpoints = json.loads(ok(sim, "get", "endpoints", "web", "-o", "json"))
    hostnames = sorted(a.get("hostname") for subset in endpoints.get("subsets") or []
                       for a in subset.get("addresses") or [])
    assert hostnames == ["web-0", "web-1", "web-2"]  # the names a cluster DNS would serve
    status = kubectl(sim, "rollout", "status", "statefulset/web", "--timeout=30s")
    assert status.returncode == 0, status.stderr
    assert "roll out complete" in status.stdout
    history = [line.split()[0] for line in
               ok(sim, "rollout", "history", "statefulset/web").splitlines()[1:] if line.strip()]
    assert history == ["REVISION", "1"], history
    events = ok(sim, "get", "events", "--field-selector", "involvedObject.kind=StatefulSet")
    assert "create Pod web-0 in StatefulSet web successful" in events

    ok(sim, "scale", "statefulset", "web", "--replicas=1")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        names = sorted(p["metadata"]["name"] for p in items(sim, "pods"))
        if names == ["web-0"]:
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"pods left: {names}")
    claims = sorted(c["metadata"]["name"] for c in items(sim, "pvc"))
    assert claims == ["data-web-0", "data-web-1", "data-web-2"]


def wait_revisions(daemon: RunningDaemon, name: str) -> dict[str, Any]:
    """The set's status once ``rollout status`` says it is done."""
    done = kubectl(daemon, "rollout", "status", f"statefulset/{name}", "--timeout=30s")
    assert done.returncode == 0, done.stderr
    return json.loads(ok(daemon, "get", "statefulset", name, "-o", "json"))[  # type: ignore[no-any-return]
        "status"]


def test_rollout_and_undo(sim: RunningDaemon) -> None:
    """A template change rolls the pods to a new revision; ``rollout undo`` brings the first
    template back as revision 3 (the old ControllerRevision renumbered); an undo to the
    current revision is skipped (kubectl compares the revision's bytes with the set's)."""
    sts = json.loads(json.dumps(MANIFEST[1]))
    sts["metadata"]["name"] = "db"
    sts["spec"].update(replicas=2, selector={"matchLabels": {"app": "db"}})
    sts["spec"]["template"]["metadata"]["labels"] = {"app": "db"}
    sts["spec"]["template"]["spec"]["containers"][0].pop("volumeMounts")
    del sts["spec"]["volumeClaimTemplates"]
    ok(sim, "apply", "-f", "-", input=json.dumps(sts))
    first = wait_revisions(sim, "db")["updateRevision"]
    ok(sim, "set", "env", "statefulset/db", "COLOUR=blue")
    second = wait_revisions(sim, "db")
    assert second["updateRevision"] != first and second["currentRevision"] == second[
        "updateRevision"] and second["updatedReplicas"] == 2
    ok(sim, "rollout", "undo", "statefulset/db")
    third = wait_revisions(sim, "db")
    assert third["updateRevision"] == first, third
    history = [line.split()[0] for line in
               ok(sim, "rollout", "history", "statefulset/db").splitlines()[2:] if line.strip()]
    assert history == ["2", "3"]
    again = ok(sim, "rollout", "undo", "statefulset/db", "--to-revision=3")
    assert "skipped rollback (current template already matches revision 3)" in again, again
    pod = json.loads(ok(sim, "get", "pod", "db-1", "-o", "json"))
    assert pod["metadata"]["labels"]["controller-revision-hash"] == first
    assert "env" not in pod["spec"]["containers"][0]
