"""The ServiceAccount controller: a ``default`` ServiceAccount in every active namespace
(Kubernetes' ``pkg/controller/serviceaccount`` serviceaccounts_controller.go).

Driven by namespace events (a namespace created or updated is reconciled) and by the
deletion of an account it keeps (which reconciles its namespace, so a deleted ``default`` is
made again at once). Terminating namespaces are left alone. No token Secrets are made: pods
get bound tokens through the TokenRequest subresource (the kubelet's projected volumes).
"""

from __future__ import annotations

import contextlib
from typing import Any

from minikube_py.api.errors import AlreadyExists, Forbidden, NotFound
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.client.store import DeletedFinalStateUnknown
from minikube_py.controllers.base import Controller

NAMESPACES = REGISTRY.require("", "v1", "namespaces")
SERVICE_ACCOUNTS = REGISTRY.require("", "v1", "serviceaccounts")
MANAGED = ("default",)


def _active(ns: dict[str, Any]) -> bool:
    return not (ns.get("metadata") or {}).get("deletionTimestamp") and \
        (ns.get("status") or {}).get("phase", "Active") == "Active"


class ServiceAccountsController(Controller):
    name = "serviceaccount"

    def __init__(self, client: Client, informers: SharedInformerFactory) -> None:
        super().__init__(client, informers)
        self.namespaces = self.watch(NAMESPACES, keys=lambda ns: [ns["metadata"]["name"]]).lister
        accounts = self.informer(SERVICE_ACCOUNTS)
        accounts.add_event_handler(on_delete=self._account_gone)
        self.accounts = accounts.lister

    def _account_gone(self, obj: dict[str, Any] | DeletedFinalStateUnknown) -> None:
        last = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        meta = (last.get("metadata") or {}) if isinstance(last, dict) else {}
        if meta.get("name") in MANAGED and meta.get("namespace"):
            self.enqueue(str(meta["namespace"]))

    async def reconcile(self, key: str) -> None:
        ns = self.namespaces.get(key)
        if ns is None or not _active(ns):
            return
        for name in MANAGED:
            if self.accounts.get(name, key) is not None:
                continue
            # Gone namespaces and terminating ones (403) are not worth a retry.
            with contextlib.suppress(AlreadyExists, NotFound, Forbidden):
                await self.client.create(SERVICE_ACCOUNTS, {
                    "apiVersion": "v1", "kind": "ServiceAccount",
                    "metadata": {"name": name, "namespace": key}})
