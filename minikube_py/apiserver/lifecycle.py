"""What every write does to an object before it is stored, whatever its kind (Kubernetes'
``rest.BeforeCreate``, ``BeforeUpdate`` and ``BeforeDelete``), around the kind's strategy.

- create: status is set by the system, not by a create (unless the kind reports its own);
  ``metadata.generation`` starts at 1 for kinds that keep one; then the strategy's
  ``prepare_for_create``;
- update of the object: status stays as stored; system metadata comes from the stored object;
  generation counts changes of the kind's generation parts; then ``prepare_for_update``;
- update through ``/status``: only status changes; through ``/finalize``: only
  ``spec.finalizers``;
- delete: the propagation policy becomes a finalizer, a graceful kind gets its grace period,
  the start of a deletion is a new generation, and whether the object may go at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from minikube_py.api.registry import ResourceType
from minikube_py.api.schema import Schema
from minikube_py.api.wire import UserInfo
from minikube_py.apiserver.options import DeleteOptions
from minikube_py.util import clock, jsonutil

SYSTEM_METADATA = ("creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                   "generation", "selfLink")
PROPAGATION_FINALIZERS = {"Orphan": "orphan", "Foreground": "foregroundDeletion"}


def generation_view(rt: ResourceType, obj: dict[str, Any]) -> list[Any]:
    """The parts of ``obj`` whose change bumps ``generation`` for its kind."""
    return rt.strategy.generation_view(obj)


def prepare_for_create(rt: ResourceType, obj: dict[str, Any],
                       user: UserInfo | None = None) -> None:
    if rt.has_status and not rt.strategy.status_on_create:
        obj.pop("status", None)
    meta = obj["metadata"]
    if rt.strategy.generation:
        meta["generation"] = 1
    else:
        meta.pop("generation", None)
    rt.strategy.prepare_for_create(obj)
    rt.strategy.prepare_for_create_by(obj, user)


def fill_empty_status(rt: ResourceType, obj: dict[str, Any]) -> None:
    """A kind with a status has one from its first write on: its empty value (``{}``, a
    Service's ``{"loadBalancer": {}}``), as Kubernetes encodes an empty status struct; clients
    read ``obj["status"]`` without a guard."""
    if rt.has_status and not isinstance(obj.get("status"), dict):
        empty = rt.strategy.empty_status()
        if empty is None:
            return
        status_schema = rt.schema.field("status") if rt.schema is not None else None
        obj["status"] = {**_zero(status_schema), **empty}


_ZEROS: dict[str, Any] = {"integer": 0, "number": 0, "string": "", "boolean": False}


def _zero(schema: Schema | None) -> dict[str, Any]:
    """The required fields of a struct at their zero values (what Go encodes for a field
    without omitempty: a ReplicaSet's empty status is ``{"replicas": 0}``)."""
    if schema is None or schema.type != "object":
        return {}
    out: dict[str, Any] = {}
    for name in sorted(schema.required):
        child = schema.fields.get(name)
        if child is None:
            continue
        if child.type in _ZEROS:
            out[name] = _ZEROS[child.type]
        elif child.type == "object":
            out[name] = _zero(child)
        elif child.type in ("array", "map"):
            continue  # nil slices and maps are left out, as Go's encoder writes null
    return out


def prepare_for_update(rt: ResourceType, new: dict[str, Any], old: dict[str, Any]) -> None:
    """An update of the object itself: status stays as stored; generation bumps when the
    kind's generation parts change."""
    _carry_system_meta(new, old)
    if rt.has_status:
        if "status" in old:
            new["status"] = jsonutil.copy(old["status"])
        else:
            new.pop("status", None)
    meta = new["metadata"]
    if not rt.strategy.generation:
        meta.pop("generation", None)
    else:
        generation = int((old.get("metadata") or {}).get("generation") or 1)
        if generation_view(rt, new) != generation_view(rt, old):
            generation += 1
        meta["generation"] = generation
    rt.strategy.prepare_for_update(new, old)


def _carry_system_meta(new: dict[str, Any], old: dict[str, Any]) -> None:
    """Fields only the system sets come from the stored object."""
    nm, om = new["metadata"], old.get("metadata") or {}
    for key in SYSTEM_METADATA:
        if key in om:
            nm[key] = om[key]
        else:
            nm.pop(key, None)
    if not nm.get("uid"):
        nm["uid"] = om.get("uid")


def prepare_for_status_update(rt: ResourceType, new: dict[str, Any],
                              old: dict[str, Any]) -> dict[str, Any]:
    """A status update changes only status: everything else comes from the stored object."""
    result: dict[str, Any] = jsonutil.copy(old)
    if "status" in new:
        result["status"] = new["status"]
    else:
        result.pop("status", None)
    for field in rt.strategy.status_metadata:
        value = (new.get("metadata") or {}).get(field)
        if value is None:
            result["metadata"].pop(field, None)
        else:
            result["metadata"][field] = jsonutil.copy(value)
    rt.strategy.prepare_for_status_update(result, old)
    return result


def prepare_for_finalize(new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """``namespaces/{name}/finalize`` changes only ``spec.finalizers``."""
    result: dict[str, Any] = jsonutil.copy(old)
    result.setdefault("spec", {})["finalizers"] = list(
        (new.get("spec") or {}).get("finalizers") or [])
    return result


def finalized(rt: ResourceType, obj: dict[str, Any]) -> bool:
    """Deletion was requested and the last finalizer is gone: the object may go now."""
    meta = obj["metadata"]
    if not meta.get("deletionTimestamp") or meta.get("finalizers"):
        return False
    return rt.strategy.removable(obj)


def begin_deletion(rt: ResourceType, obj: dict[str, Any], options: DeleteOptions) -> bool:
    """Mark ``obj`` for deletion if it cannot go at once; True if it stays for now."""
    meta = obj["metadata"]
    stays = rt.strategy.begin_deletion(obj)  # first: it may add a finalizer of its own
    finalizers: list[str] = list(meta.get("finalizers") or [])
    wanted = PROPAGATION_FINALIZERS.get(options.propagation_policy or "")
    if wanted and wanted not in finalizers:
        finalizers.append(wanted)
    grace = rt.strategy.grace_period(obj, options.grace_period_seconds)
    if not finalizers and not stays and not grace:
        return False
    if finalizers:
        meta["finalizers"] = finalizers
    if not meta.get("deletionTimestamp") and int(meta.get("generation") or 0) > 0:
        # A controller's object changes behaviour once it is being deleted: as Kubernetes,
        # the start of a deletion is a new generation.
        meta["generation"] = int(meta["generation"]) + 1
    now = clock.now()
    if grace is None:
        meta.setdefault("deletionTimestamp", clock.rfc3339(now))
        meta.setdefault("deletionGracePeriodSeconds", 0)
        return True
    # A graceful kind: the earliest deadline asked for wins (a grace of 0, a force delete,
    # replaces any longer one, so the object goes when its finalizers do).
    when = clock.rfc3339(now + dt.timedelta(seconds=grace))
    existing = meta.get("deletionTimestamp")
    if not existing or when < existing or grace == 0:
        meta["deletionTimestamp"] = when if not existing or when < existing else existing
        meta["deletionGracePeriodSeconds"] = grace
    return True
