"""Persistent storage as a laptop cluster's users meet it, through the real kubectl on a real
daemon with the simulated runtime: a claim naming no class is bound to a volume the host-path
provisioner makes under the data dir, a pod using it runs, ``kubectl get pvc,pv,sc`` shows
them, and deleting the claim (once no pod uses it: pvc-protection) removes the volume and its
directory."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunningDaemon
from tests.e2e.kubelet_helpers import daemon_with_cleanup, running, wait_pod
from tests.e2e.test_kubectl import kubectl, ok

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl]

CLAIM = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
         "spec": {"accessModes": ["ReadWriteOnce"],
                  "resources": {"requests": {"storage": "1Gi"}}}}
POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "user"},
       "spec": {"terminationGracePeriodSeconds": 0,
                "containers": [{"name": "app", "image": "minikube-py/busybox:local",
                                "volumeMounts": [{"name": "d", "mountPath": "/data"}]}],
                "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]}}


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    started = daemon_with_cleanup(tmp_path_factory.mktemp("storage"),
                                  f"st-{uuid.uuid4().hex[:6]}", "--runtime", "sim",
                                  "--kubelet-backoff", "0.2")
    yield next(started)
    next(started, None)


def wait(check: Any, seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s")


def get(daemon: RunningDaemon, *args: str) -> Any:
    result = kubectl(daemon, "get", *args, "-o", "json")
    return json.loads(result.stdout) if result.returncode == 0 else None


def test_claim_provisioned_bound_used_and_deleted(sim: RunningDaemon) -> None:
    """kubectl apply of a claim and a pod: Bound claim on pvc-<uid> under the data dir, a
    Running pod, the three kinds listed; deleting the claim removes the volume."""
    ok(sim, "apply", "-f", "-", input=json.dumps({"kind": "List", "apiVersion": "v1",
                                                  "items": [CLAIM, POD]}))
    claim = wait(lambda: (c := get(sim, "pvc", "data")) and
                 c.get("status", {}).get("phase") == "Bound" and c)
    name = claim["spec"]["volumeName"]
    assert claim["spec"]["storageClassName"] == "standard"
    assert name == f"pvc-{claim['metadata']['uid']}"
    directory = Path(sim.data_dir) / "volumes" / name
    assert directory.is_dir()
    wait_pod(sim, "user", running, what="Running")
    listing = ok(sim, "get", "pvc,pv,sc")
    assert f"persistentvolumeclaim/data   Bound    {name}" in listing, listing
    assert "standard (default)   minikube-py.io/hostpath   Delete" in listing, listing
    assert f"persistentvolume/{name}" in listing and "default/data" in listing, listing
    assert claim["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
    # Deleted while the pod runs: the claim waits (Terminating), the volume and its data stay.
    ok(sim, "delete", "pvc", "data", "--wait=false")
    time.sleep(1.5)
    held = get(sim, "pvc", "data")
    assert held is not None and held["metadata"].get("deletionTimestamp")
    assert held["status"]["phase"] == "Bound" and directory.is_dir()
    ok(sim, "delete", "pod", "user", "--wait=true")
    wait(lambda: kubectl(sim, "get", "pvc", "data").returncode != 0)
    wait(lambda: kubectl(sim, "get", "pv", name).returncode != 0)
    assert not directory.exists()
