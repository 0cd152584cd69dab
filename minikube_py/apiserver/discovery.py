"""API discovery: which groups, versions and resources the apiserver serves.

Generated from the resource registry on every request, so a kind added to the registry (or a
custom resource, later) shows up at once, with the group-versions of aggregated APIServices
(what their Services last said they serve). Clients read it to map ``po`` or ``deploy`` to a
REST path, to list ``kubectl api-resources`` and to expand ``get all``. Two shapes, as
Kubernetes serves them:

- legacy discovery: ``/api`` (APIVersions), ``/apis`` (APIGroupList), ``/apis/{group}``
  (APIGroup), ``/api/v1`` and ``/apis/{group}/{version}`` (APIResourceList);
- aggregated discovery (``apidiscovery.k8s.io`` v2 and v2beta1): one APIGroupDiscoveryList at
  ``/api`` (the core group) and one at ``/apis`` (every other group), chosen by the ``Accept``
  header. kubectl 1.30+ offers v2 first, 1.27-1.29 offer only v2beta1.

The daemon calls :func:`install_discovery` to register the handlers on the ``ApiServer``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from minikube_py.api.errors import MethodNotAllowed, NotFound
from minikube_py.api.registry import SUBRESOURCE_KINDS, SUBRESOURCE_VERBS, Registry, ResourceType
from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.apiserver.negotiation import parse_accept
from minikube_py.apiserver.server import ApiServer

AGGREGATED_GROUP = "apidiscovery.k8s.io"
AGGREGATED_KIND = "APIGroupDiscoveryList"
AGGREGATED_VERSIONS = ("v2", "v2beta1")
SERVER_ADDRESS = "127.0.0.1:6443"

_VERSION_RE = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")
_STABILITY = {None: 0, "beta": 1, "alpha": 2}


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Sort key putting the preferred version first, as Kubernetes orders versions:
    GA before beta before alpha, then higher major, then higher minor; other names last."""
    match = _VERSION_RE.match(version)
    if match is None:
        return (3, 0, 0, version)
    major, stability, minor = match.groups()
    return (_STABILITY[stability], -int(major), -int(minor or 0), "")


# (group, version) -> (its APIResourceList, groupPriorityMinimum, versionPriority): the
# group-versions aggregated APIServices serve (``aggregation/remote.py``).
Remote = Mapping[tuple[str, str], tuple[dict[str, Any], int, int]]
NO_REMOTE: Remote = {}


def group_versions(registry: Registry, remote: Remote = NO_REMOTE) -> dict[str, list[str]]:
    """Group ("" for core) -> served versions, the preferred one first; the groups of
    aggregated APIServices after the local ones, the versions of each by versionPriority."""
    result = {group: sorted(versions, key=version_priority)
              for group, versions in registry.groups().items()}
    added: dict[str, list[tuple[int, str]]] = {}
    for (group, version), (_, _, priority) in remote.items():
        if version not in result.get(group, []):
            added.setdefault(group, []).append((-priority, version))
    for group in sorted(added, key=lambda g: -max(remote[(g, v)][1] for _, v in added[g])):
        result.setdefault(group, []).extend(v for _, v in sorted(added[group]))
    return result


def storage_version_hash(group: str, version: str, kind: str) -> str:
    """Kubernetes' opaque storage-version hash: the first 8 bytes of sha256("g/v/Kind")."""
    digest = hashlib.sha256(f"{group}/{version}/{kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def _group_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def _served(registry: Registry, group: str, version: str) -> list[ResourceType]:
    return [rt for rt in registry if rt.group == group and rt.version == version]


def _subresource_kind(rt: ResourceType, sub: str) -> tuple[str, str, str]:
    """(group, version, kind) a subresource speaks; the parent's own for status and finalize."""
    return SUBRESOURCE_KINDS.get(sub) or (rt.group, rt.version, rt.kind)


# -- legacy discovery ------------------------------------------------------------------------

def api_versions() -> dict[str, Any]:
    """``/api``: the core group's versions and where clients reach the server."""
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                            "serverAddress": SERVER_ADDRESS}]}


def _api_group(group: str, versions: list[str]) -> dict[str, Any]:
    entries = [{"groupVersion": _group_version(group, v), "version": v} for v in versions]
    return {"name": group, "versions": entries, "preferredVersion": entries[0]}


def api_group_list(registry: Registry, remote: Remote = NO_REMOTE) -> dict[str, Any]:
    """``/apis``: every named group (core is at ``/api``) with its versions."""
    groups = [_api_group(g, vs) for g, vs in group_versions(registry, remote).items() if g]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(registry: Registry, group: str, remote: Remote = NO_REMOTE) -> dict[str, Any]:
    """``/apis/{group}``: one group's versions."""
    versions = group_versions(registry, remote).get(group) if group else None
    if not versions:
        raise NotFound.generic()
    return {"kind": "APIGroup", "apiVersion": "v1", **_api_group(group, versions)}


def _legacy_resource(rt: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": rt.plural, "singularName": rt.singular,
                             "namespaced": rt.namespaced, "kind": rt.kind,
                             "verbs": list(rt.verbs)}
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    entry["storageVersionHash"] = storage_version_hash(rt.group, rt.version, rt.kind)
    return entry


def _legacy_subresource(rt: ResourceType, sub: str) -> dict[str, Any]:
    group, version, kind = _subresource_kind(rt, sub)
    entry: dict[str, Any] = {"name": f"{rt.plural}/{sub}", "singularName": "",
                             "namespaced": rt.namespaced}
    if (group, version) != (rt.group, rt.version):
        entry["group"], entry["version"] = group, version
    entry["kind"] = kind
    entry["verbs"] = list(SUBRESOURCE_VERBS.get(sub, ("get",)))
    return entry


def api_resource_list(registry: Registry, group: str, version: str) -> dict[str, Any]:
    """``/api/v1`` or ``/apis/{group}/{version}``: the resources and subresources served."""
    served = _served(registry, group, version)
    if not served:
        raise NotFound.generic()
    resources = []
    for rt in served:
        resources.append(_legacy_resource(rt))
        resources.extend(_legacy_subresource(rt, sub) for sub in rt.subresources)
    resources.sort(key=lambda r: r["name"])
    return {"kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": _group_version(group, version), "resources": resources}


# -- aggregated discovery --------------------------------------------------------------------

def aggregated_version(accept: str) -> str | None:
    """The apidiscovery version of the first ``as=APIGroupDiscoveryList`` media type the client
    offers that we serve (v2 or v2beta1); None when it asks for legacy discovery only."""
    for mt in parse_accept(accept):
        if (mt.type in ("application/json", "*/*") and mt.as_ == AGGREGATED_KIND
                and mt.params.get("g") == AGGREGATED_GROUP
                and mt.params.get("v") in AGGREGATED_VERSIONS):
            return mt.params["v"]
    return None


def aggregated_content_type(version: str) -> str:
    return f"application/json;g={AGGREGATED_GROUP};v={version};as={AGGREGATED_KIND}"


def _response_kind(group: str, version: str, kind: str) -> dict[str, str]:
    return {"group": group, "version": version, "kind": kind}


def _aggregated_resource(rt: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "resource": rt.plural,
        "responseKind": _response_kind(rt.group, rt.version, rt.kind),
        "scope": "Namespaced" if rt.namespaced else "Cluster",
        "singularResource": rt.singular,
        "verbs": list(rt.verbs),
    }
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    if rt.subresources:
        entry["subresources"] = [
            {"subresource": sub, "responseKind": _response_kind(*_subresource_kind(rt, sub)),
             "verbs": list(SUBRESOURCE_VERBS.get(sub, ("get",)))}
            for sub in sorted(rt.subresources)]
    return entry


def _from_legacy(group: str, version: str, listed: dict[str, Any]) -> list[dict[str, Any]]:
    """An aggregated APIService's APIResourceList as aggregated discovery's resources."""
    entries = [r for r in listed.get("resources") or [] if isinstance(r, dict)]
    out: dict[str, dict[str, Any]] = {}
    for r in entries:
        name = str(r.get("name") or "")
        parent, _, sub = name.partition("/")
        kind = _response_kind(r.get("group") or group, r.get("version") or version,
                              str(r.get("kind") or ""))
        if sub:
            if parent in out:
                out[parent].setdefault("subresources", []).append(
                    {"subresource": sub, "responseKind": kind, "verbs": r.get("verbs") or []})
            continue
        entry: dict[str, Any] = {"resource": name, "responseKind": kind,
                                 "scope": "Namespaced" if r.get("namespaced") else "Cluster",
                                 "singularResource": r.get("singularName") or "",
                                 "verbs": r.get("verbs") or []}
        for key in ("shortNames", "categories"):
            if r.get(key):
                entry[key] = r[key]
        out[name] = entry
    return sorted(out.values(), key=lambda e: e["resource"])


def _aggregated_group(registry: Registry, group: str, versions: list[str],
                      remote: Remote = NO_REMOTE) -> dict[str, Any]:
    def resources(v: str) -> list[dict[str, Any]]:
        if (group, v) in remote and not _served(registry, group, v):
            return _from_legacy(group, v, remote[(group, v)][0])
        return sorted((_aggregated_resource(rt) for rt in _served(registry, group, v)),
                      key=lambda r: r["resource"])
    return {
        "metadata": {"name": group},
        "versions": [{"version": v, "resources": resources(v), "freshness": "Current"}
                     for v in versions],
    }


def aggregated_discovery(registry: Registry, *, core: bool, version: str,
                         remote: Remote = NO_REMOTE) -> dict[str, Any]:
    """The APIGroupDiscoveryList of ``/api`` (``core=True``) or of ``/apis``."""
    items = [_aggregated_group(registry, g, vs, remote)
             for g, vs in group_versions(registry, remote).items() if (g == "") == core]
    return {"kind": AGGREGATED_KIND, "apiVersion": f"{AGGREGATED_GROUP}/{version}",
            "metadata": {}, "items": items}


# -- handlers --------------------------------------------------------------------------------

def _reply(body: dict[str, Any], content_type: str = "application/json") -> ApiResponse:
    # The answer depends on Accept (aggregated or legacy): caches must key on it.
    return ApiResponse(200, body, content_type=content_type, headers={"Vary": "Accept"})


def _root(registry: Registry, req: ApiRequest, *, core: bool,
          remote: Remote = NO_REMOTE) -> ApiResponse:
    version = aggregated_version(req.accept)
    if version is not None:
        return _reply(aggregated_discovery(registry, core=core, version=version, remote=remote),
                      aggregated_content_type(version))
    return _reply(api_versions() if core else api_group_list(registry, remote))


def serve(registry: Registry, req: ApiRequest, remote: Remote = NO_REMOTE) -> ApiResponse:
    """Answer a discovery request under ``/api`` or ``/apis``."""
    if req.method not in ("GET", "HEAD"):
        raise MethodNotAllowed(f"the server does not allow this method on the requested "
                               f"resource ({req.method})")
    parts = [p for p in req.path.split("/") if p]
    if parts == ["api"]:
        return _root(registry, req, core=True)
    if parts == ["apis"]:
        return _root(registry, req, core=False, remote=remote)
    if len(parts) == 2 and parts[0] == "api":
        return _reply(api_resource_list(registry, "", parts[1]))
    if len(parts) == 2 and parts[0] == "apis":
        return _reply(api_group(registry, parts[1], remote))
    if len(parts) == 3 and parts[0] == "apis":
        return _reply(api_resource_list(registry, parts[1], parts[2]))
    raise NotFound.generic()


def install_discovery(server: ApiServer) -> None:
    """Register the discovery handlers for ``/api`` and ``/apis`` and everything below them
    that is not a resource path (the server routes resource paths first)."""

    async def discovery(req: ApiRequest) -> ApiResponse:
        return serve(server.registry, req, server.aggregator.discovered())

    for path in ("/api", "/api/*", "/apis", "/apis/*"):
        server.non_resource[path] = discovery
