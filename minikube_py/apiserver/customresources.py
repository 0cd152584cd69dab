"""Serving custom resources: the apiserver's part of apiextensions (Kubernetes'
``apiextensions-apiserver``: the naming, establishing and finalizer controllers and the
CRD handler's registration of served versions).

:class:`CustomResourceServing` reads the CRDs from the apiserver's own store when it starts
(so a CRD written before a restart is served from the first request), then follows the
store's watch of CRDs. For each CRD it:

1. decides the accepted names (``NamesAccepted``: no other CRD of the group serves one of
   them) and ``Established``, and writes ``status`` through the ``/status`` subresource when
   that changes (``status.acceptedNames``, the conditions);
2. serves the types :func:`~minikube_py.api.kinds.apiextensions.customresource.resource_types`
   makes of it, by ``Registry.replace_owned`` on the server's registry (whose change hook
   refreshes OpenAPI, and lets other modules follow: ``Registry.subscribe``);
3. when it is being deleted (finalizer ``customresourcecleanup.apiextensions.k8s.io``):
   stops creates, deletes every object of the kind, waits until they are gone (their own
   finalizers run), then removes the finalizer; the CRD goes and its types stop being served.

Writes go through :class:`~minikube_py.apiserver.rest.RestStorage`, as any client's would.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from minikube_py.api.errors import Conflict, NotFound, StatusError
from minikube_py.api.kinds.apiextensions import customresourcedefinition as crd_kind
from minikube_py.api.kinds.apiextensions.customresource import (
    CLEANUP_FINALIZER,
    condition,
    owner_key,
    resource_types,
)
from minikube_py.api.machinery.patch import MERGE
from minikube_py.api.resource import Registry, ResourceType
from minikube_py.apiserver.options import DeleteOptions, WriteOptions
from minikube_py.apiserver.rest import RestStorage
from minikube_py.store.interface import Storage
from minikube_py.store.watch import DELETED, WatchOverflow
from minikube_py.util import jsonutil
from minikube_py.util.tasks import TaskGroup

log = logging.getLogger(__name__)

MANAGER = "apiextensions-apiserver"
CLEANUP_RECHECK = 0.5  # seconds between looks while a kind's objects are going away
CRDS = crd_kind.RESOURCE
Obj = dict[str, Any]


class CustomResourceServing:
    """Keeps a registry's custom resource types in step with the CRDs in a store."""

    def __init__(self, store: Storage, rest: RestStorage, registry: Registry) -> None:
        self.store = store
        self.rest = rest
        self.registry = registry
        self.tasks = TaskGroup("customresources")
        # CRD name -> what its served types were built from (rebuilt only when it changes).
        self._built: dict[str, tuple[Any, ...]] = {}
        self._cleaning: set[str] = set()
        # CRD name -> (group, accepted names): what the naming check compares with, kept
        # here so that a check costs the CRDs' count, not decoding each of them.
        self._names: dict[str, tuple[str, Obj]] = {}

    async def start(self) -> None:
        """Serve what the store holds now, then follow its changes."""
        revision = await self._sync_all()
        self.tasks.spawn(self._follow(revision), name="crd-watcher")

    async def stop(self) -> None:
        await self.tasks.stop()

    def health(self) -> str | None:
        """For ``/healthz``: the watcher's crash, if it crashed."""
        if not self.tasks.failed:
            return None
        return "; ".join(f"{name}: {exc!r}" for name, exc in self.tasks.failed)

    async def _sync_all(self) -> int:
        """Serve every CRD of the store (and nothing of CRDs gone); the revision read at."""
        entries, revision = self.store.list_prefix(CRDS.prefix())
        crds = [entry.decode() for entry in entries]
        present = {owner_key(crd) for crd in crds}
        for name in list(self._built):
            if f"crd:{name}" not in present:
                self._unserve({"metadata": {"name": name}})
        for crd in crds:
            self._serve(crd)
        for crd in crds:
            await self._reconcile_guarded(crd)
        return revision

    async def _follow(self, revision: int) -> None:
        """The store's CRD events, in order; a watch that fell behind lists again."""
        while True:
            watcher = await self.store.watch(CRDS.prefix(), revision)
            try:
                while True:
                    batch = await watcher.next_batch(None)
                    if batch is None:
                        return  # the store is closing
                    for event in batch:
                        crd = jsonutil.copy(event.object)
                        if event.type == DELETED:
                            self._unserve(crd)
                        else:
                            await self._reconcile_guarded(crd)
            except WatchOverflow:
                log.warning("custom resources: the CRD watch fell behind; listing again")
            finally:
                watcher.close()
            revision = await self._sync_all()

    async def _reconcile_guarded(self, crd: Obj) -> None:
        """One CRD's reconcile; its failure is logged and does not stop the others (a
        concurrent write is retried by the event it makes)."""
        try:
            await self.reconcile(crd)
        except StatusError as exc:
            log.debug("CRD %s: %s", crd["metadata"].get("name"), exc)
        except Exception:
            log.exception("CRD %s could not be reconciled", crd["metadata"].get("name"))

    # -- one CRD -----------------------------------------------------------------------------

    async def reconcile(self, crd: Obj) -> None:
        name = crd["metadata"]["name"]
        wanted = self._status(crd)
        if wanted is not None:
            crd = await self._write_status(crd, wanted)
        self._serve(crd)
        if crd["metadata"].get("deletionTimestamp") and name not in self._cleaning \
                and CLEANUP_FINALIZER in (crd["metadata"].get("finalizers") or []):
            self._cleaning.add(name)
            self.tasks.spawn(self._cleanup(name), name=f"cleanup/{name}")

    def _status(self, crd: Obj) -> Obj | None:
        """The status the CRD should have, or None when it has it already."""
        new = jsonutil.copy(crd)
        status = new.setdefault("status", {})
        names = (crd.get("spec") or {}).get("names") or {}
        conflict = self._conflict(crd, names)
        if conflict:
            crd_kind.set_condition(new, "NamesAccepted", "False", conflict[0], conflict[1])
        else:
            status["acceptedNames"] = {k: v for k, v in names.items() if v not in (None, [])}
            crd_kind.set_condition(new, "NamesAccepted", "True", "NoConflicts",
                                   "no conflicts found")
        accepted = bool((status.get("acceptedNames") or {}).get("plural"))
        if accepted and not crd["metadata"].get("deletionTimestamp"):
            established = condition(new, "Established")
            if established is None or established.get("status") != "True":
                crd_kind.set_condition(new, "Established", "True", "InitialNamesAccepted",
                                       "the initial names have been accepted")
        elif not accepted:
            crd_kind.set_condition(new, "Established", "False", "NotAccepted",
                                   "not all names are accepted")
        return None if new.get("status") == crd.get("status") else new

    def _conflict(self, crd: Obj, names: Obj) -> tuple[str, str] | None:
        """Why a name of ``crd`` is taken by another CRD of its group (None: it is not)."""
        group = (crd.get("spec") or {}).get("group")
        mine = crd["metadata"]["name"]
        for other, (other_group, taken) in self._names.items():
            if other == mine or other_group != group:
                continue
            resources = {taken.get("plural"), taken.get("singular"),
                         *(taken.get("shortNames") or [])} - {None, ""}
            kinds = {taken.get("kind"), taken.get("listKind")} - {None, ""}
            for field, used in (("plural", resources), ("singular", resources),
                                ("kind", kinds), ("listKind", kinds)):
                value = names.get(field)
                if value and value in used:
                    return (f"{field[0].upper()}{field[1:]}Conflict",
                            f'"{value}" is already in use')
            for short in names.get("shortNames") or []:
                if short in resources:
                    return "ShortNamesConflict", f'"{short}" is already in use'
        return None

    async def _write_status(self, crd: Obj, wanted: Obj) -> Obj:
        written = await self.rest.update(
            CRDS, "", crd["metadata"]["name"], wanted, subresource="status",
            manager=MANAGER, opts=WriteOptions(dry_run=False, field_validation="Ignore",
                                               field_manager=MANAGER, force=None))
        return written.obj

    def _serve(self, crd: Obj) -> None:
        name = crd["metadata"]["name"]
        meta, status = crd["metadata"], crd.get("status") or {}
        self._names[name] = (str((crd.get("spec") or {}).get("group") or ""),
                             dict(status.get("acceptedNames") or {}))
        basis = (meta.get("uid"), meta.get("generation"), bool(meta.get("deletionTimestamp")),
                 jsonutil.dumps_sorted_text(status.get("acceptedNames") or {}),
                 (condition(crd, "Established") or {}).get("status"))
        if self._built.get(name) == basis:
            return
        self._built[name] = basis
        types = resource_types(crd)
        self.registry.replace_owned(owner_key(crd), types)
        log.info("custom resource %s: serving %s", name,
                 ", ".join(rt.version for rt in types) or "nothing")

    def _unserve(self, crd: Obj) -> None:
        self._built.pop(crd["metadata"]["name"], None)
        self._names.pop(crd["metadata"]["name"], None)
        self.registry.replace_owned(owner_key(crd), [])

    # -- deletion ----------------------------------------------------------------------------

    async def _cleanup(self, name: str) -> None:
        """Delete every object of the CRD's kind, then let the CRD go."""
        try:
            while True:
                crd = self.rest.find(CRDS, "", name)
                if crd is None or not crd["metadata"].get("deletionTimestamp"):
                    return
                served = self.registry.owned(owner_key(crd))
                if served and await self._delete_all(served[0]):
                    await asyncio.sleep(CLEANUP_RECHECK)
                    continue
                if await self._finalize(crd):
                    return
        finally:
            self._cleaning.discard(name)

    async def _finalize(self, crd: Obj) -> bool:
        """Remove the cleanup finalizer; False if the CRD changed meanwhile (look again)."""
        meta = crd["metadata"]
        finalizers = [f for f in meta.get("finalizers") or [] if f != CLEANUP_FINALIZER]
        patch = {"metadata": {"finalizers": finalizers,
                              "resourceVersion": meta["resourceVersion"]}}
        try:
            await self.rest.patch(CRDS, "", meta["name"], jsonutil.dumps(patch), MERGE,
                                  manager=MANAGER, opts=WriteOptions(
                                      dry_run=False, field_validation="Ignore",
                                      field_manager=MANAGER, force=None))
        except NotFound:
            return True
        except Conflict:
            return False
        return True

    async def _delete_all(self, rt: ResourceType) -> int:
        """Ask every object of ``rt`` to go; how many are still there."""
        entries, _ = self.store.list_prefix(rt.prefix())
        for entry in entries:
            obj = entry.decode()
            meta = obj["metadata"]
            if meta.get("deletionTimestamp"):
                continue
            with contextlib.suppress(NotFound, Conflict):
                await self.rest.delete(rt, meta.get("namespace") or "", meta["name"],
                                       DeleteOptions(propagation_policy="Background"))
        return len(entries)
