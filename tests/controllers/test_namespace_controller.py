"""The namespace controller empties a deleted namespace and lets it go."""

from __future__ import annotations

import asyncio

import pytest

from minikube_py.api.errors import NotFound
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.controllers.base import Requeue
from minikube_py.controllers.namespace import NamespaceController

NAMESPACES = REGISTRY.resolve("namespaces")
CONFIGMAPS = REGISTRY.resolve("configmaps")
DEPLOYMENTS = REGISTRY.resolve("deployments")


async def test_deleted_namespace_is_emptied_then_removed(client: Client) -> None:
    """Deleting a namespace removes its objects, then the namespace itself."""
    assert NAMESPACES and CONFIGMAPS and DEPLOYMENTS
    await client.create(NAMESPACES, {"metadata": {"name": "doomed"}})
    await client.create(CONFIGMAPS, {"metadata": {"name": "a", "namespace": "doomed"}})
    await client.create(CONFIGMAPS, {"metadata": {"name": "keep", "namespace": "default"}})
    informers = SharedInformerFactory(client)
    controller = NamespaceController(client, informers, grace=0.1)
    informers.start()
    await controller.start()
    try:
        deleted = await client.delete(NAMESPACES, "doomed")
        assert deleted["status"]["phase"] == "Terminating"
        for _ in range(100):
            try:
                await client.get(NAMESPACES, "doomed")
            except NotFound:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("namespace was not removed")
    finally:
        await controller.stop()
        await informers.shutdown()
    assert (await client.list(CONFIGMAPS, "doomed"))["items"] == []
    assert (await client.get(CONFIGMAPS, "keep", "default"))["metadata"]["name"] == "keep"


async def test_reconcile_waits_for_content_with_finalizers(client: Client) -> None:
    """A namespace whose content is held by a finalizer stays (reconcile asks to look again)
    until the finalizer goes; then one reconcile finalizes it."""
    assert NAMESPACES and CONFIGMAPS
    await client.create(NAMESPACES, {"metadata": {"name": "held"}})
    await client.create(CONFIGMAPS, {"metadata": {"name": "c", "namespace": "held",
                                                  "finalizers": ["example.com/hold"]}})
    await client.delete(NAMESPACES, "held")
    informers = SharedInformerFactory(client)
    controller = NamespaceController(client, informers)
    informers.start()
    try:
        assert await informers.wait_for_cache_sync(5)
        with pytest.raises(Requeue):
            await controller.reconcile("held")
        assert (await client.get(NAMESPACES, "held"))["status"]["phase"] == "Terminating"
        await client.patch(CONFIGMAPS, "c", {"metadata": {"finalizers": None}}, "held")
        await controller.reconcile("held")
        with pytest.raises(NotFound):
            await client.get(NAMESPACES, "held")
    finally:
        await informers.shutdown()
