"""The ServiceAccount controller and the root CA publisher, one reconcile at a time on seeded
caches: what each writes for a namespace, and what it leaves alone."""

from __future__ import annotations

from typing import Any

import pytest

from minikube_py.api.registry import REGISTRY
from minikube_py.controllers.rootcacertpublisher import (
    CONFIGMAP_NAME,
    DESCRIPTION_ANNOTATION,
    RootCACertPublisher,
)
from minikube_py.controllers.serviceaccounts import ServiceAccountsController
from tests.controllers.fakes import FakeCluster

NAMESPACES = REGISTRY.require("", "v1", "namespaces")
ACCOUNTS = REGISTRY.require("", "v1", "serviceaccounts")
CONFIG_MAPS = REGISTRY.require("", "v1", "configmaps")
CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster()


def seed_namespace(cluster: FakeCluster, name: str, *, terminating: bool = False) -> None:
    meta: dict[str, Any] = {"name": name, "uid": f"uid-{name}", "resourceVersion": "1"}
    if terminating:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    cluster.informers.informer_for(NAMESPACES).indexer.add(
        {"metadata": meta, "status": {"phase": "Terminating" if terminating else "Active"}})


def seed_map(cluster: FakeCluster, namespace: str, data: dict[str, str],
             annotations: dict[str, str] | None = None) -> None:
    obj = cluster.put("configmaps", {"metadata": {"name": CONFIGMAP_NAME, "namespace": namespace,
                                                   "annotations": annotations or {}},
                                      "data": data})
    cluster.informers.informer_for(
        CONFIG_MAPS, field_selector=f"metadata.name={CONFIGMAP_NAME}").indexer.add(obj)


async def test_default_account_is_created_once(cluster: FakeCluster) -> None:
    """An active namespace without ``default`` gets it; with it, nothing is written."""
    controller = ServiceAccountsController(cluster.client, cluster.informers)
    seed_namespace(cluster, "team")
    await controller.reconcile("team")
    (write,) = cluster.writes()
    assert (write.verb, write.resource, write.namespace) == ("create", "serviceaccounts", "team")
    assert write.body["metadata"]["name"] == "default"
    cluster.clear()
    cluster.seed(ACCOUNTS, {"metadata": {"name": "default", "namespace": "team"}})
    await controller.reconcile("team")
    assert cluster.writes() == []


@pytest.mark.parametrize("state", ["terminating", "gone"])
async def test_no_account_in_terminating_or_missing_namespace(cluster: FakeCluster,
                                                              state: str) -> None:
    """A namespace being deleted, or not in the cache, gets nothing."""
    controller = ServiceAccountsController(cluster.client, cluster.informers)
    if state == "terminating":
        seed_namespace(cluster, "team", terminating=True)
    await controller.reconcile("team")
    assert cluster.writes() == []


async def test_deleted_default_account_requeues_its_namespace(cluster: FakeCluster) -> None:
    """Deleting ``default`` enqueues its namespace (another account's deletion does not)."""
    controller = ServiceAccountsController(cluster.client, cluster.informers)
    controller._account_gone({"metadata": {"name": "robot", "namespace": "a"}})
    controller._account_gone({"metadata": {"name": "default", "namespace": "b"}})
    assert len(controller.queue) == 1 and await controller.queue.get() == "b"


async def test_root_ca_map_created_with_description(cluster: FakeCluster) -> None:
    """A namespace without ``kube-root-ca.crt`` gets it, with ``ca.crt`` and the description."""
    controller = RootCACertPublisher(cluster.client, cluster.informers, root_ca=CA)
    seed_namespace(cluster, "team")
    await controller.reconcile("team")
    (write,) = cluster.writes()
    assert write.verb == "create" and write.body["data"] == {"ca.crt": CA}
    assert "kube-apiserver" in write.body["metadata"]["annotations"][DESCRIPTION_ANNOTATION]


@pytest.mark.parametrize(("data", "annotations", "writes"), [
    pytest.param({"ca.crt": CA}, {DESCRIPTION_ANNOTATION: "x"}, 0, id="as-it-should-be"),
    pytest.param({"ca.crt": "forged", "extra": "1"}, {DESCRIPTION_ANNOTATION: "x"}, 1,
                 id="data-changed"),
    pytest.param({"ca.crt": CA}, {}, 1, id="description-removed"),
])
async def test_root_ca_map_restored(cluster: FakeCluster, data: dict[str, str],
                                    annotations: dict[str, str], writes: int) -> None:
    """A changed map gets its data and description back; a right one is not written."""
    controller = RootCACertPublisher(cluster.client, cluster.informers, root_ca=CA)
    seed_namespace(cluster, "team")
    seed_map(cluster, "team", data, annotations)
    await controller.reconcile("team")
    assert len(cluster.writes()) == writes
    stored = cluster.get("configmaps", CONFIGMAP_NAME, "team")
    assert stored["data"] == {"ca.crt": CA}
    assert stored["metadata"]["annotations"][DESCRIPTION_ANNOTATION]


async def test_root_ca_map_not_made_in_terminating_namespace(cluster: FakeCluster) -> None:
    """A namespace being deleted gets no map."""
    controller = RootCACertPublisher(cluster.client, cluster.informers, root_ca=CA)
    seed_namespace(cluster, "team", terminating=True)
    await controller.reconcile("team")
    assert cluster.writes() == []
