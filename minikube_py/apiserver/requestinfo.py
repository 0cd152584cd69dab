"""Parse a request path into what it addresses (Kubernetes' RequestInfoFactory).

``/apis/apps/v1/namespaces/ns/deployments/web/scale`` -> group ``apps``, version ``v1``,
namespace ``ns``, resource ``deployments``, name ``web``, subresource ``scale``; the verb comes
from the method and the query (``watch=true`` makes a list a watch).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestInfo:
    is_resource: bool
    path: str
    verb: str = ""
    group: str = ""
    version: str = ""
    namespace: str = ""
    resource: str = ""
    name: str = ""
    subresource: str = ""
    parts: tuple[str, ...] = ()


_METHOD_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete",
                 "GET": "get", "HEAD": "get"}


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1")


def parse(method: str, path: str, query: Mapping[str, str]) -> RequestInfo:
    parts = [p for p in path.split("/") if p]
    if not parts or parts[0] not in ("api", "apis"):
        return RequestInfo(False, path, verb=method.lower())
    if parts[0] == "api":
        if len(parts) < 3:
            return RequestInfo(False, path, verb=method.lower())
        group, version, rest = "", parts[1], parts[2:]
    else:
        if len(parts) < 4:
            return RequestInfo(False, path, verb=method.lower())
        group, version, rest = parts[1], parts[2], parts[3:]
    verb = _METHOD_VERBS.get(method.upper(), method.lower())
    watch_prefix = False
    if rest and rest[0] == "watch":  # deprecated /api/v1/watch/... form
        watch_prefix = True
        rest = rest[1:]
    namespace = ""
    # /namespaces/{ns}/{resource}... addresses a namespaced resource; /namespaces and
    # /namespaces/{name}[/{sub}] address the Namespace objects themselves.
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace = rest[1]
        rest = rest[2:]
        if rest and rest[0] in ("status", "finalize") and len(rest) == 1:
            # /api/v1/namespaces/{name}/status
            return RequestInfo(True, path, verb=verb, group=group, version=version,
                               resource="namespaces", name=namespace, subresource=rest[0],
                               parts=tuple(parts))
    resource = rest[0] if rest else ""
    name = rest[1] if len(rest) > 1 else ""
    subresource = "/".join(rest[2:]) if len(rest) > 2 else ""
    watching = watch_prefix or _truthy(query.get("watch"))
    if verb == "get" and not subresource and (watching or not name):
        verb = "watch" if watching else "list"
    elif verb == "delete" and not name:
        verb = "deletecollection"
    return RequestInfo(True, path, verb=verb, group=group, version=version, namespace=namespace,
                       resource=resource, name=name, subresource=subresource, parts=tuple(parts))
