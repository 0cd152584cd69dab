"""The ClusterRole aggregation controller (Kubernetes' ``pkg/controller/clusterroleaggregation``):
a ClusterRole with an ``aggregationRule`` gets the rules of every other ClusterRole its
selectors match, so ``admin``, ``edit`` and ``view`` grow with the roles labelled
``rbac.authorization.k8s.io/aggregate-to-*`` (the defaults', a CRD's operator's).

``reconcile(name)``: gone or not aggregated → done; else the union of the rules of the
matching roles (by name, each rule once, in order) replaces its rules when they differ, by a
merge patch of ``rules``. Any ClusterRole event enqueues every aggregated ClusterRole: a
change of one role's labels or rules may change any aggregate.
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.registry import REGISTRY
from minikube_py.api.validation.meta import selector_matches
from minikube_py.client.base import Client
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.controllers.base import Controller

Object = dict[str, Any]
CLUSTER_ROLES = REGISTRY.require("rbac.authorization.k8s.io", "v1", "clusterroles")


def aggregated_rules(role: Object, roles: list[Object]) -> list[Object]:
    """The rules ``role``'s aggregationRule collects from ``roles`` (AggregationRule order:
    selector by selector, matching roles by name, each distinct rule once)."""
    name = (role.get("metadata") or {}).get("name")
    rules: list[Object] = []
    selectors = ((role.get("aggregationRule") or {}).get("clusterRoleSelectors") or [])
    ordered = sorted(roles, key=lambda r: str((r.get("metadata") or {}).get("name")))
    for selector in selectors:
        for other in ordered:
            meta = other.get("metadata") or {}
            if meta.get("name") == name or not selector_matches(selector, meta.get("labels")):
                continue
            for rule in other.get("rules") or []:
                if rule not in rules:
                    rules.append(rule)
    return rules


class ClusterRoleAggregationController(Controller):
    name = "clusterrole-aggregation"

    def __init__(self, client: Client, informers: SharedInformerFactory) -> None:
        super().__init__(client, informers)
        self.roles = self.watch(CLUSTER_ROLES, keys=self._aggregated_keys).lister

    def _aggregated_keys(self, _changed: Object) -> list[str]:
        return [str(r["metadata"]["name"]) for r in self.roles.list()
                if r.get("aggregationRule") is not None]

    async def reconcile(self, key: str) -> None:
        role = self.roles.get(key)
        if role is None or role.get("aggregationRule") is None:
            return
        rules = aggregated_rules(role, self.roles.list())
        if rules == (role.get("rules") or []):
            return
        await self.client.patch(CLUSTER_ROLES, key, {"rules": rules})
