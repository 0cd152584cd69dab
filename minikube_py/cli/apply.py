"""Client-side apply, as ``kubectl apply`` does it.

The applied configuration is kept in the ``kubectl.kubernetes.io/last-applied-configuration``
annotation (the same format kubectl writes, so both tools can take turns). On the next apply
a three-way patch is computed: fields in the new configuration that differ from the live
object are set, fields that were in the last applied configuration but are gone from the new
one are removed (``null``), and fields others set are left alone. No difference: no request,
and the object is reported ``unchanged``.
"""

from __future__ import annotations

import json
from typing import Any

from minikube_py.api.errors import NotFound
from minikube_py.api.machinery.patch import MERGE, merge_patch
from minikube_py.cli.manifests import Manifest
from minikube_py.client.base import Client
from minikube_py.util import jsonutil

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def with_last_applied(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` plus the annotation recording it (without the annotation itself)."""
    recorded = jsonutil.copy(obj)
    annotations = (recorded.get("metadata") or {}).get("annotations") or {}
    annotations.pop(LAST_APPLIED, None)
    if not annotations:
        recorded["metadata"].pop("annotations", None)
    result: dict[str, Any] = jsonutil.copy(obj)
    result["metadata"].setdefault("annotations", {})[LAST_APPLIED] = (
        json.dumps(recorded, separators=(",", ":"), sort_keys=True) + "\n")
    return result


def three_way_patch(last: dict[str, Any] | None, new: dict[str, Any],
                    live: dict[str, Any]) -> dict[str, Any]:
    """A JSON merge patch taking ``live`` to ``new`` while keeping what others own: set what
    ``new`` has and ``live`` lacks or holds differently; remove what ``last`` (the previous
    apply) had and ``new`` dropped."""
    patch: dict[str, Any] = {}
    for key, value in new.items():
        live_value = live.get(key)
        last_value = last.get(key) if isinstance(last, dict) else None
        if isinstance(value, dict) and isinstance(live_value, dict):
            sub = three_way_patch(last_value if isinstance(last_value, dict) else None,
                                  value, live_value)
            if sub:
                patch[key] = sub
        elif not _contained(value, live_value):
            patch[key] = value
    if isinstance(last, dict):
        for key in last:
            if key not in new and key in live:
                patch[key] = None
    return patch


def _contained(new: Any, live: Any) -> bool:
    """``new`` is already in ``live``: the server may have added defaults, nothing else
    differs (how kubectl's diff ignores fields only the live object has)."""
    if isinstance(new, dict) and isinstance(live, dict):
        return all(k in live and _contained(v, live[k]) for k, v in new.items())
    if isinstance(new, list) and isinstance(live, list):
        return len(new) == len(live) and all(
            _contained(a, b) for a, b in zip(new, live, strict=True))
    return bool(new == live)


async def apply_one(client: Client, manifest: Manifest, namespace: str) -> str:
    """Create or update one object; returns ``created``, ``configured`` or ``unchanged``."""
    rt, obj = manifest.rt, jsonutil.copy(manifest.obj)
    ns = None
    if rt.namespaced:
        ns = obj["metadata"].get("namespace") or namespace
        obj["metadata"]["namespace"] = ns
    desired = with_last_applied(obj)
    name = obj["metadata"].get("name")
    live = None
    if name:
        try:
            live = await client.get(rt, name, ns)
        except NotFound:
            live = None
    if live is None:
        await client.create(rt, desired, ns, field_validation="Strict")
        return "created"
    annotation = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    last = None
    if annotation:
        try:
            last = json.loads(annotation)
        except ValueError:
            last = None
    patch = three_way_patch(last, desired, live)
    if not patch or merge_patch(live, patch) == live:
        return "unchanged"
    await client.patch(rt, name, patch, ns, patch_type=MERGE, field_validation="Strict")
    return "configured"
