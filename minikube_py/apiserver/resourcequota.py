"""ResourceQuota admission: a write that would take a namespace past a quota's ``hard`` is
refused (Kubernetes' ``plugin/pkg/admission/resourcequota``), the last validating plugin
before the requester-judging ones that authorization adds.

For each quota of the namespace that matches the object (its scopes) and constrains what the
object charges (``api/quota.py``): a pod lacking a request or limit the quota names is refused
``failed quota: q: must specify limits.cpu for: c``; a charge past ``hard`` is refused
``exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2``. Otherwise the charge
is added to the quota's ``status.used`` by a compare-and-swap on the quota (as Kubernetes
updates the quota with its resourceVersion before admitting), so two concurrent creates
cannot both take the last slot; a later refusal of the write leaves the quota over-charged
until the resource quota controller recomputes it (as in Kubernetes). Creates are charged;
updates only where they can grow usage (services, PVC resizes); dry runs check only.
"""

from __future__ import annotations

import asyncio
import weakref
from fractions import Fraction
from typing import Any

from minikube_py.api import quota
from minikube_py.api.errors import Forbidden
from minikube_py.api.registry import REGISTRY
from minikube_py.apiserver.admission import WriteContext
from minikube_py.apiserver.conversion import served, stored
from minikube_py.apiserver.storageviews import StorageViews
from minikube_py.store.interface import Entry, Keep, Write

QUOTAS = REGISTRY.require("", "v1", "resourcequotas")
_UPDATE_CHARGED = {("", "services"), ("", "persistentvolumeclaims")}


def _hard(q: dict[str, Any]) -> quota.Usage:
    status_hard = (q.get("status") or {}).get("hard")
    return quota.parse_list(status_hard or (q.get("spec") or {}).get("hard"))


class ResourceQuotaAdmission:
    def __init__(self, storage_for: StorageViews) -> None:
        self.storage_for = storage_for
        # One charge at a time per quota in this process (the compare-and-swap alone is
        # correct, but concurrent charges would retry each other quadratically); other
        # apiservers on the same etcd still meet at the swap.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = \
            weakref.WeakValueDictionary()

    def _delta(self, ctx: WriteContext) -> quota.Usage:
        assert ctx.obj is not None
        group, plural = ctx.rt.group, ctx.rt.plural
        new = quota.usage_of(plural, group, ctx.obj)
        if ctx.operation == "CREATE":
            return new
        old = quota.usage_of(plural, group, ctx.old or {})
        return {k: v - old.get(k, Fraction(0)) for k, v in new.items()
                if v - old.get(k, Fraction(0)) > 0}

    async def __call__(self, ctx: WriteContext) -> None:
        if ctx.subresource or ctx.obj is None or not ctx.namespace or not ctx.rt.namespaced:
            return
        if ctx.operation == "UPDATE" and (ctx.rt.group, ctx.rt.plural) not in _UPDATE_CHARGED:
            return
        if ctx.operation not in ("CREATE", "UPDATE"):
            return
        view = self.storage_for(QUOTAS)
        entries, _ = view.list_prefix(QUOTAS.prefix(ctx.namespace))
        if not entries:
            return
        delta = self._delta(ctx)
        if not delta:
            return
        charged: list[tuple[str, quota.Usage]] = []
        try:
            for entry in entries:
                q = served(QUOTAS, entry.decode())
                if not quota.quota_matches(q, ctx.rt.plural, ctx.rt.group, ctx.obj):
                    continue
                hard = _hard(q)
                wanted = quota.scoped_resources(q, hard) & set(delta)
                name = q["metadata"]["name"]
                if ctx.rt is REGISTRY.require("", "v1", "pods"):
                    missing = quota.pod_missing(ctx.obj, set(hard))
                    if missing:
                        raise self._refuse(ctx, f"failed quota: {name}: {missing}")
                if not wanted:
                    continue
                charge = {k: delta[k] for k in wanted}
                await self._charge(ctx, QUOTAS.key(ctx.namespace, name), charge)
                charged.append((QUOTAS.key(ctx.namespace, name), charge))
        except BaseException:
            for key, charge in charged:  # all quotas or none: give back what was taken
                await self._charge(ctx, key, {k: -v for k, v in charge.items()}, check=False)
            raise

    def _refuse(self, ctx: WriteContext, message: str) -> Forbidden:
        return Forbidden(f'{ctx.rt.plural} "{ctx.name}" is forbidden: {message}',
                         name=ctx.name, group=ctx.rt.group, kind=ctx.rt.plural)

    async def _charge(self, ctx: WriteContext, key: str, charge: quota.Usage, *,
                      check: bool = True) -> None:
        """Add ``charge`` to the quota's ``status.used`` by compare-and-swap (a refusal
        when it would exceed ``hard``)."""

        async def try_update(entry: Entry | None) -> Write | Keep:
            assert entry is not None
            q = served(QUOTAS, entry.decode())
            hard = _hard(q)
            status = q.setdefault("status", {})
            used = quota.parse_list(status.get("used"))
            after = {k: max(used.get(k, Fraction(0)) + v, Fraction(0))
                     for k, v in charge.items()}
            exceeded = sorted(k for k, v in after.items() if k in hard and v > hard[k])
            if check and exceeded:
                raise self._refuse(ctx, _exceeded(q["metadata"]["name"], exceeded, charge,
                                                  used, hard))
            if ctx.dry_run:
                return Keep(q)
            status.setdefault("hard", (q.get("spec") or {}).get("hard") or {})
            status["used"] = {**(status.get("used") or {}), **quota.format_list(after)}
            return Write(stored(QUOTAS, q))

        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        async with lock:
            await self.storage_for(QUOTAS).guaranteed_update(key, try_update)


def _exceeded(name: str, exceeded: list[str], charge: quota.Usage, used: quota.Usage,
              hard: quota.Usage) -> str:
    def only(usage: quota.Usage) -> str:
        return quota.pretty({k: usage.get(k, Fraction(0)) for k in exceeded})
    return (f"exceeded quota: {name}, requested: {only(charge)}, used: {only(used)}, "
            f"limited: {only(hard)}")
