"""The resource quota controller, one reconcile at a time on seeded caches: status.hard
copied from spec.hard, status.used recomputed from the namespace's objects (and again after
deletes), terminal pods and other namespaces not charged."""

from __future__ import annotations

from typing import Any

from minikube_py.api.registry import REGISTRY
from minikube_py.controllers.resourcequota import ResourceQuotaController
from tests.controllers.fakes import FakeCluster

QUOTAS = REGISTRY.require("", "v1", "resourcequotas")
PODS = REGISTRY.require("", "v1", "pods")
SERVICES = REGISTRY.require("", "v1", "services")


def pod(name: str, cpu: str, *, namespace: str = "team", phase: str = "Running") -> Any:
    return {"metadata": {"name": name, "namespace": namespace},
            "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": cpu}}}]},
            "status": {"phase": phase}}


async def test_used_recomputed_and_follows_deletes() -> None:
    """Used counts the live non-terminal pods and services; after a delete it drops."""
    cluster = FakeCluster()
    controller = ResourceQuotaController(cluster.client, cluster.informers)
    hard = {"pods": "5", "requests.cpu": "4", "services": "2", "count/deployments.apps": "1"}
    cluster.seed(QUOTAS, {"metadata": {"name": "q", "namespace": "team"},
                          "spec": {"hard": hard}})
    cluster.seed(PODS, pod("a", "500m"), pod("b", "1"), pod("done", "2", phase="Succeeded"),
                 pod("elsewhere", "1", namespace="other"))
    cluster.seed(SERVICES, {"metadata": {"name": "s", "namespace": "team"},
                            "spec": {"type": "ClusterIP"}})
    await controller.reconcile("team/q")
    (write,) = cluster.writes()
    assert (write.verb, write.subresource) == ("update", "status")
    assert write.body["status"] == {"hard": hard, "used": {
        "count/deployments.apps": "0", "pods": "2", "requests.cpu": "1500m", "services": "1"}}
    cluster.sync_caches()
    cluster.clear()
    del cluster.objects[("pods", "team", "b")]
    cluster.sync_caches()
    await controller.reconcile("team/q")
    (write,) = cluster.writes()
    assert write.body["status"]["used"]["pods"] == "1"
    assert write.body["status"]["used"]["requests.cpu"] == "500m"
    cluster.sync_caches()
    cluster.clear()
    await controller.reconcile("team/q")
    assert cluster.writes() == []  # nothing changed: nothing written
