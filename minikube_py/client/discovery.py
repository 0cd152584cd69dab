"""What a cluster serves, read from its aggregated discovery (``/apis``, apidiscovery v2):
the built-in kinds as ``api/registry.py`` registers them, plus every other resource
(custom resources, aggregated APIs) as discovery describes it.

The CLI resolves a name it does not know (``crontabs``, ``ct``, ``CronTab``) through it, as
kubectl's RESTMapper does.
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.registry import REGISTRY, Registry, ResourceType
from minikube_py.client.base import Client

AGGREGATED = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
              "application/json")


async def served_types(client: Client) -> Registry:
    """A registry of every resource the cluster serves now."""
    registry = REGISTRY.copy()
    doc: dict[str, Any] = await client.request("GET", "/apis", accept=AGGREGATED)
    for group in doc.get("items") or []:
        name = (group.get("metadata") or {}).get("name", "")
        for version in group.get("versions") or []:
            for entry in version.get("resources") or []:
                if REGISTRY.by_path(name, version["version"], entry["resource"]) is None:
                    registry.add(discovered(name, version["version"], entry))
    return registry


def discovered(group: str, version: str, entry: dict[str, Any]) -> ResourceType:
    """The resource type of one aggregated discovery entry."""
    return ResourceType(
        group, version, str((entry.get("responseKind") or {}).get("kind", "")),
        str(entry["resource"]), entry.get("scope") == "Namespaced",
        short_names=tuple(entry.get("shortNames") or ()),
        categories=tuple(entry.get("categories") or ()),
        verbs=tuple(entry.get("verbs") or ()),
        subresources=tuple(s["subresource"] for s in entry.get("subresources") or []),
        singular_name=str(entry.get("singularResource") or ""))
