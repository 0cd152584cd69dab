"""The namespace controller empties a deleted namespace and lets it go."""

from __future__ import annotations

import asyncio

import pytest

from minikube_py.api.errors import NotFound
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
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
    controller = NamespaceController(client)
    task = asyncio.create_task(controller.run())
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
        task.cancel()
    assert (await client.list(CONFIGMAPS, "doomed"))["items"] == []
    assert (await client.get(CONFIGMAPS, "keep", "default"))["metadata"]["name"] == "keep"


async def test_reconcile_waits_for_content_with_finalizers(client: Client) -> None:
    """A namespace whose content is held by a finalizer stays until the finalizer goes."""
    assert NAMESPACES and CONFIGMAPS
    await client.create(NAMESPACES, {"metadata": {"name": "held"}})
    await client.create(CONFIGMAPS, {"metadata": {"name": "c", "namespace": "held",
                                                  "finalizers": ["example.com/hold"]}})
    await client.delete(NAMESPACES, "held")
    controller = NamespaceController(client)
    assert await controller.reconcile("held") is False
    assert (await client.get(NAMESPACES, "held"))["status"]["phase"] == "Terminating"
    await client.patch(CONFIGMAPS, "c", {"metadata": {"finalizers": None}}, "held")
    assert await controller.reconcile("held") is True
    with pytest.raises(NotFound):
        await client.get(NAMESPACES, "held")
