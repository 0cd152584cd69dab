"""The resource quota controller: each ResourceQuota's ``status.hard`` (a copy of
``spec.hard``) and ``status.used`` (recomputed from the objects of its namespace), Kubernetes'
``pkg/controller/resourcequota``.

A quota is reconciled when it changes, when an object it can charge is deleted (or a pod
becomes terminal) in its namespace, and every :data:`RESYNC` seconds (5 minutes in
Kubernetes). Usage is computed by the same evaluators the admission plugin charges with
(``api/quota.py``): pods, services, PVCs, config maps, secrets and replication controllers
from informers; other ``count/<resource>.<group>`` names by a list of the namespace.
"""

from __future__ import annotations

import copy
from fractions import Fraction
from typing import Any

from minikube_py.api import quota
from minikube_py.api.registry import REGISTRY, ResourceType
from minikube_py.client.base import Client
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.client.store import split_meta_namespace_key
from minikube_py.controllers.base import Controller, Object

QUOTAS = REGISTRY.require("", "v1", "resourcequotas")
CHARGED = [REGISTRY.require("", "v1", plural) for plural in (
    "pods", "services", "persistentvolumeclaims", "configmaps", "secrets",
    "replicationcontrollers")]
RESYNC = 60.0


class ResourceQuotaController(Controller):
    name = "resourcequota"

    def __init__(self, client: Client, informers: SharedInformerFactory) -> None:
        super().__init__(client, informers)
        self.quotas = self.watch(QUOTAS).lister
        self.listers = {rt.plural: self.watch(rt, keys=self._quotas_of,
                                              changed=_usage_changed(rt)).lister
                        for rt in CHARGED}

    def _quotas_of(self, obj: Object) -> list[str]:
        ns = str((obj.get("metadata") or {}).get("namespace") or "")
        return [f"{ns}/{q['metadata']['name']}" for q in self.quotas.namespaced(ns).list()]

    async def _objects(self, rt: ResourceType, namespace: str) -> list[dict[str, Any]]:
        if rt.plural in self.listers and not rt.group:
            return list(self.listers[rt.plural].namespaced(namespace).list())
        listed = await self.client.list(rt, namespace)
        return list(listed.get("items") or [])

    async def usage(self, q: dict[str, Any]) -> quota.Usage:
        """What the objects of the quota's namespace charge to its hard names."""
        namespace = q["metadata"]["namespace"]
        hard = set((q.get("spec") or {}).get("hard") or {})
        wanted = quota.scoped_resources(q, hard)
        used: quota.Usage = {name: Fraction(0) for name in wanted}
        kinds = {quota.resource_of(name) for name in wanted} - {None}
        for plural, group in sorted(k for k in kinds if k is not None):
            rt = REGISTRY.resolve(f"{plural}.{group}" if group else plural)
            if rt is None or not rt.namespaced:
                continue
            for obj in await self._objects(rt, namespace):
                if quota.quota_matches(q, plural, group, obj):
                    charge = quota.usage_of(plural, group, obj)
                    quota.add(used, {k: v for k, v in charge.items() if k in wanted})
        return used

    async def reconcile(self, key: str) -> None:
        namespace, name = split_meta_namespace_key(key)
        current = self.quotas.get(name, namespace)
        if current is None:
            return
        status = {"hard": dict((current.get("spec") or {}).get("hard") or {}),
                  "used": quota.format_list(await self.usage(current))}
        if (current.get("status") or {}) != status:
            fixed = copy.deepcopy(current)
            fixed["status"] = status
            await self.client.update_status(QUOTAS, fixed)
        self.enqueue(key, after=RESYNC)


def _usage_changed(rt: ResourceType) -> Any:
    """Updates matter only when they change what the object charges (a pod turning
    terminal, a service's type, a claim's size)."""
    def changed(old: Object, new: Object) -> bool:
        return quota.usage_of(rt.plural, rt.group, old) != quota.usage_of(rt.plural, rt.group,
                                                                           new)
    return changed
