"""The files of ``projected`` and ``downwardAPI`` volumes (Kubernetes'
``pkg/volume/projected`` and ``pkg/volume/downwardapi``), written by :mod:`.volumes`.

A projected volume is one directory holding the files of all its sources: ConfigMap and
Secret keys (``items`` pick and rename them; a missing object fails the mount unless
``optional``), pod fields through the downward API, and service account tokens from the
kubelet's :class:`~.tokens.TokenManager` (bound to the pod; the file is rewritten when the
token is refreshed). The token volume every pod gets from the ServiceAccount admission is one
of these: ``token``, ``ca.crt`` (the ``kube-root-ca.crt`` ConfigMap) and ``namespace``.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any

from .env import EnvError, field_value, resource_value

Object = dict[str, Any]
# (resource plural, namespace, name) -> object or None when missing
Lookup = Callable[[str, str, str], Awaitable[Object | None]]
# (pod, audience, expirationSeconds) -> a token bound to the pod
TokenSource = Callable[[Object, str, int], Awaitable[str]]
# relative path -> (content, mode or None for the volume's default mode)
Files = dict[str, tuple[bytes, int | None]]


class ProjectionError(Exception):
    """A source of the volume cannot be projected; the message says which."""


def key_files(obj: Object, plural: str, items: list[Object] | None) -> Files:
    """The files of a ConfigMap's or Secret's keys (all of them, or the ``items``)."""
    if plural == "secrets":
        raw = {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
    else:
        raw = {k: str(v).encode() for k, v in (obj.get("data") or {}).items()}
        raw.update({k: base64.b64decode(v) for k, v in (obj.get("binaryData") or {}).items()})
    if not items:
        return {k: (v, None) for k, v in raw.items()}
    return {str(i.get("path")): (raw[str(i["key"])], _mode(i)) for i in items
            if i.get("key") in raw}


def downward_files(pod: Object, items: list[Object]) -> Files:
    """The files of downward API items: pod fields and container resources."""
    out: Files = {}
    containers = [*((pod.get("spec") or {}).get("initContainers") or []),
                  *((pod.get("spec") or {}).get("containers") or [])]
    for item in items:
        path = str(item.get("path"))
        try:
            if item.get("fieldRef"):
                value = field_value(pod, str(item["fieldRef"].get("fieldPath")), "", "")
            elif item.get("resourceFieldRef"):
                ref = item["resourceFieldRef"]
                container = next((c for c in containers
                                  if c.get("name") == ref.get("containerName")), None)
                if container is None:
                    raise ProjectionError(f'container "{ref.get("containerName")}" not found')
                value = resource_value(container, str(ref.get("resource")), ref.get("divisor"))
            else:
                continue
        except EnvError as exc:
            raise ProjectionError(str(exc)) from exc
        out[path] = (value.encode(), _mode(item))
    return out


async def projected_files(pod: Object, source: Object, lookup: Lookup,
                          tokens: TokenSource | None) -> Files:
    """Every file of a projected volume's sources, in order (a later source's file of the
    same path wins, as the upstream writer's map does)."""
    namespace = str(pod["metadata"].get("namespace") or "default")
    out: Files = {}
    for projection in source.get("sources") or []:
        if projection.get("configMap") or projection.get("secret"):
            plural = "secrets" if projection.get("secret") else "configmaps"
            ref = projection.get("secret") or projection["configMap"]
            obj = await lookup(plural, namespace, str(ref.get("name")))
            if obj is None:
                if ref.get("optional"):
                    continue
                raise ProjectionError(f'{plural[:-1]} "{ref.get("name")}" not found')
            out.update(key_files(obj, plural, ref.get("items")))
        elif projection.get("downwardAPI"):
            out.update(downward_files(pod, projection["downwardAPI"].get("items") or []))
        elif projection.get("serviceAccountToken"):
            spec = projection["serviceAccountToken"]
            if tokens is None:
                raise ProjectionError("this kubelet cannot request service account tokens")
            token = await tokens(pod, str(spec.get("audience") or ""),
                                 int(spec.get("expirationSeconds") or 3600))
            out[str(spec.get("path") or "token")] = (token.encode(), None)
        elif projection.get("clusterTrustBundle"):
            if not projection["clusterTrustBundle"].get("optional"):
                raise ProjectionError("clusterTrustBundle projections are not supported")
    return out


def _mode(item: Object) -> int | None:
    mode = item.get("mode")
    return int(mode) if isinstance(mode, int) else None
