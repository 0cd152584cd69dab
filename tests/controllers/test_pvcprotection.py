"""The pvc-protection controller on seeded caches: a deleted claim keeps its finalizer while
a pod that may run uses it (in the cache, or only in the API's list), and loses it once the
only users have finished."""

from __future__ import annotations

from typing import Any

from minikube_py.api.registry import REGISTRY
from minikube_py.controllers.pvcprotection import PVC_PROTECTION, PVCProtectionController
from tests.controllers.fakes import FakeCluster

CLAIMS = REGISTRY.require("", "v1", "persistentvolumeclaims")
PODS = REGISTRY.require("", "v1", "pods")


def claim(name: str = "data", *, deleted: bool = True) -> Any:
    meta: dict[str, Any] = {"name": name, "namespace": "team",
                            "finalizers": [PVC_PROTECTION, "example.com/keep"]}
    if deleted:
        meta["deletionTimestamp"] = "2026-12-04T00:00:00Z"
    return {"metadata": meta, "spec": {"accessModes": ["ReadWriteOnce"]}}


def pod(name: str, claim_name: str = "data", phase: str = "Running") -> Any:
    return {"metadata": {"name": name, "namespace": "team"},
            "spec": {"containers": [{"name": "c"}], "volumes": [
                {"name": "v", "persistentVolumeClaim": {"claimName": claim_name}}]},
            "status": {"phase": phase}}


async def test_a_used_claim_keeps_its_finalizer_until_its_pods_finish() -> None:
    cluster = FakeCluster()
    controller = PVCProtectionController(cluster.client, cluster.informers)
    cluster.seed(CLAIMS, claim())
    cluster.seed(PODS, pod("user"), pod("other", claim_name="elsewhere"))
    await controller.reconcile("team/data")
    assert cluster.writes() == []
    cluster.put("pods", pod("user", phase="Succeeded"), namespace="team")
    cluster.sync_caches()
    await controller.reconcile("team/data")
    (write,) = cluster.writes()
    assert (write.verb, write.resource, write.name) == ("patch", "persistentvolumeclaims",
                                                        "data")
    assert write.body["metadata"]["finalizers"] == ["example.com/keep"]
    assert cluster.get("persistentvolumeclaims", "data", "team")["metadata"][
        "finalizers"] == ["example.com/keep"]


async def test_a_pod_the_cache_has_not_seen_still_holds_the_claim() -> None:
    cluster = FakeCluster()
    controller = PVCProtectionController(cluster.client, cluster.informers)
    cluster.seed(CLAIMS, claim())
    cluster.put("pods", pod("new"), namespace="team")  # in the API, not yet in the cache
    await controller.reconcile("team/data")
    assert cluster.writes() == []


async def test_a_claim_not_being_deleted_is_left_alone() -> None:
    cluster = FakeCluster()
    controller = PVCProtectionController(cluster.client, cluster.informers)
    cluster.seed(CLAIMS, claim(deleted=False))
    await controller.reconcile("team/data")
    assert cluster.writes() == []
