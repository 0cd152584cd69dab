"""Generic REST storage: the verbs every resource shares (Kubernetes' registry/generic Store).

The handlers have parsed the path, the options and the body; this module does what every
kind's writes do — structural decode, the lifecycle rules of ``lifecycle.py``, the kind's
strategy, field ownership, admission, validation — and then reads or writes through the
:class:`~minikube_py.store.interface.Storage` seam. It never asks what kind it holds: what
differs per kind comes from ``rt.strategy``. The store's errors become API errors here, in
:func:`store_errors`, and nowhere else.
"""

from __future__ import annotations

import bisect
import contextlib
import contextvars
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from minikube_py.api import validation
from minikube_py.api.access import Reviewer
from minikube_py.api.codecs.body import decode_yaml
from minikube_py.api.errors import (
    AlreadyExists,
    BadRequest,
    Cause,
    Conflict,
    Gone,
    Invalid,
    NotFound,
    RequestEntityTooLarge,
    ServiceUnavailable,
)
from minikube_py.api.machinery import meta as metautil
from minikube_py.api.machinery.apply import record_update, server_side_apply
from minikube_py.api.machinery.fieldselectors import FieldSelector, object_fields
from minikube_py.api.machinery.patch import apply_patch
from minikube_py.api.machinery.selectors import LabelSelector
from minikube_py.api.registry import REGISTRY, ResourceType
from minikube_py.api.validation.base import required
from minikube_py.api.wire import UserInfo
from minikube_py.apiserver import lifecycle
from minikube_py.apiserver.admission import AdmissionChain, WriteContext
from minikube_py.apiserver.allocators import ClusterIPAllocator, NodePortAllocator
from minikube_py.apiserver.conversion import converter, served, stored
from minikube_py.apiserver.freshness import require_current, require_revision
from minikube_py.apiserver.indexes import index_queries
from minikube_py.apiserver.options import EXACT, DeleteOptions, ListOptions, WriteOptions
from minikube_py.apiserver.paging import LATEST, decode_continue, encode_continue, expired
from minikube_py.apiserver.storageviews import StorageViews
from minikube_py.store import versioner
from minikube_py.store.errors import (
    Compacted,
    InvalidResourceVersion,
    KeyExists,
    KeyNotFound,
    RevisionMismatch,
    StoreClosed,
    TooManyAttempts,
    Unencodable,
    ValueTooLarge,
)
from minikube_py.store.interface import Decision, Entry, Keep, Remove, Storage, Write
from minikube_py.util import clock, jsonutil
from minikube_py.util.textsafe import go_quote

MODIFIED = ("the object has been modified; please apply your changes to the latest version "
            "and try again")


@contextlib.contextmanager
def store_errors(rt: ResourceType, name: str) -> Iterator[None]:
    """The one place the store's errors become API errors."""
    try:
        yield
    except KeyExists as exc:
        raise AlreadyExists.of(rt.group, rt.plural, name) from exc
    except KeyNotFound as exc:
        raise NotFound.of(rt.group, rt.plural, name) from exc
    except RevisionMismatch as exc:
        raise Conflict.of(rt.group, rt.plural, name, MODIFIED) from exc
    except TooManyAttempts as exc:
        raise Conflict.of(rt.group, rt.plural, name,
                          "too many concurrent updates; try again") from exc
    except ValueTooLarge as exc:
        raise RequestEntityTooLarge(f"Request entity too large: the object is {exc.size} "
                                    f"bytes encoded, the limit per object is {exc.limit}") from exc
    except InvalidResourceVersion as exc:
        raise BadRequest(str(exc)) from exc
    except Compacted as exc:
        raise Gone("The resourceVersion for the provided list is too old.") from exc
    except Unencodable as exc:
        raise BadRequest(f"the object cannot be stored as JSON: {exc}") from exc
    except StoreClosed as exc:
        raise ServiceUnavailable(f"the store is not taking writes: {exc}") from exc


@dataclass
class Written:
    obj: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    created: bool = False


@dataclass
class Listed:
    """A page of a list: stored entries (and their decoded objects, when a selector had to
    decode them), the revision it was read at, and where the next page starts."""

    entries: list[Entry]
    decoded: list[dict[str, Any]] | None
    revision: int
    continue_token: str = ""
    remaining: int | None = None
    #: The served form of a stored object, when it differs (see :func:`served`).
    convert: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    def objects(self) -> list[dict[str, Any]]:
        found = self.decoded if self.decoded is not None else [e.decode()
                                                                for e in self.entries]
        return [self.convert(o) for o in found] if self.convert else found

    def raw_items(self) -> list[bytes]:
        if self.convert is not None:
            return [jsonutil.dumps(o) for o in self.objects()]
        return [e.value for e in self.entries]


# The claims an update's allocations made (node ports, cluster IPs), released if its store
# write is refused; one scope per update, patch or apply call.
_ALLOCATION_SCOPE: contextvars.ContextVar[contextlib.AsyncExitStack | None] = \
    contextvars.ContextVar("allocation_scope", default=None)


@contextlib.asynccontextmanager
async def allocation_scope() -> AsyncIterator[None]:
    async with contextlib.AsyncExitStack() as stack:
        token = _ALLOCATION_SCOPE.set(stack)
        try:
            yield
        finally:
            _ALLOCATION_SCOPE.reset(token)


@dataclass
class Deleted:
    """What a DELETE did: the object's last state, and whether it is gone."""

    obj: dict[str, Any]
    removed: bool


class RestStorage:
    """Verbs over a :class:`Storage` for every registered kind."""

    def __init__(self, store: Storage, admission: AdmissionChain | None = None) -> None:
        self.store = store
        self.admission = admission or AdmissionChain()
        services = REGISTRY.require("", "v1", "services").prefix()
        self.allocators: dict[str, ClusterIPAllocator | NodePortAllocator] = {
            "cluster-ip": ClusterIPAllocator(self._services, store, services),
            "node-port": NodePortAllocator(self._services, store, services)}
        # The store as a type sees it (converting for a second version: storageviews.py).
        self.storage_for = StorageViews(store)

    def _services(self) -> list[dict[str, Any]]:
        services = REGISTRY.require("", "v1", "services")
        return [e.decode() for e in self.store.list_prefix(services.prefix())[0]]

    # -- reads -------------------------------------------------------------------------------

    def find(self, rt: ResourceType, namespace: str, name: str) -> dict[str, Any] | None:
        """The object, or None (what admission plugins read)."""
        entry = self.storage_for(rt).get(rt.key(namespace, name))
        return served(rt, entry.decode()) if entry is not None else None

    def find_all(self, rt: ResourceType, namespace: str | None = None) -> list[dict[str, Any]]:
        """Every object of a resource (or of one namespace of it): what admission lists."""
        entries, _ = self.storage_for(rt).list_prefix(rt.prefix(namespace))
        return [served(rt, entry.decode()) for entry in entries]

    def get(self, rt: ResourceType, namespace: str, name: str) -> dict[str, Any]:
        obj = self.find(rt, namespace, name)
        if obj is None:
            raise NotFound.of(rt.group, rt.plural, name)
        return obj

    async def list_objects(self, rt: ResourceType, namespace: str,
                           opts: ListOptions) -> Listed:
        """Matching objects in key order, read at the revision the options ask for: the
        latest; exactly N (``resourceVersionMatch=Exact``, while the log keeps N); or, for a
        continued list, the revision of its first page, so that all pages are one snapshot.

        At the latest revision a selector is answered from the store's indexes (labels,
        the kind's indexed fields, the name), so its cost follows the matches; a page costs
        its length, found by bisection from the continue key."""
        prefix = rt.prefix(namespace)
        label, fields = opts.label_selector, opts.field_selector
        selecting = not (label.empty() and fields.empty())
        # Without a selector a page reads one entry past its end (to know there is more).
        fetch = opts.limit + 1 if opts.limit is not None and not selecting else None
        with store_errors(rt, ""):
            rev, start = await self._list_revision(opts, prefix)
            if rev is None or rev >= self.store.revision:
                entries, rev = self._current(rt, namespace, start, opts, rev, fetch)
            else:
                entries = await self.storage_for(rt).list_at(prefix, rev, start, fetch)
        page: list[Entry] = []
        decoded: list[dict[str, Any]] = []
        for entry in entries:
            obj = None
            if selecting:
                obj = entry.decode()
                if not matches(rt, obj, label, fields):
                    continue
            if opts.limit is not None and len(page) >= opts.limit:
                token = encode_continue(rev, page[-1].key, prefix)
                # As Kubernetes: a count of what is left only when nothing is filtered out.
                remaining = None if selecting else self.storage_for(rt).count(prefix, entry.key)
                return Listed(page, decoded if selecting else None, rev, token, remaining,
                              converter(rt))
            page.append(entry)
            if obj is not None:
                decoded.append(obj)
        return Listed(page, decoded if selecting else None, rev, convert=converter(rt))

    def _current(self, rt: ResourceType, namespace: str, start: str, opts: ListOptions,
                 rev: int | None, limit: int | None) -> tuple[list[Entry], int]:
        """Candidate entries at the latest revision: through an index when the selector
        names an indexed value, else the prefix from ``start``. Every candidate is still
        matched against the whole selector by the caller."""
        prefix = rt.prefix(namespace)
        name = opts.field_selector.requires_exact_match("metadata.name")
        if name is not None and (namespace or not rt.namespaced):
            entry = self.storage_for(rt).get(rt.key(namespace, name))
            found = [entry] if entry is not None and entry.key >= start else []
            return found, self.store.revision if rev is None else rev
        candidates = None
        for index, values in index_queries(rt, opts):
            hits = self.storage_for(rt).lookup(prefix, index, values)
            if hits is not None and (candidates is None or len(hits) < len(candidates)):
                candidates = hits
        if candidates is None:
            entries, now = self.storage_for(rt).list_prefix(prefix, start, limit)
        else:
            now = self.store.revision
            entries = candidates[bisect.bisect_left([e.key for e in candidates], start):] \
                if start else candidates
        return entries, now if rev is None else rev

    async def _list_revision(self, opts: ListOptions, prefix: str) -> tuple[int | None, str]:
        """The revision to list at (None: the latest) and the key to start from."""
        if opts.continue_token:
            token = decode_continue(opts.continue_token)
            if token.revision == LATEST:
                return None, prefix + token.start
            if token.revision > self.store.revision:
                raise BadRequest("continue key is not valid: its resourceVersion is newer "
                                 "than the store's")
            if token.revision < self.store.compact_revision:
                raise expired(token.start, prefix)
            return token.revision, prefix + token.start
        rv = opts.resource_version
        if rv == "":  # the most recent state: what every apiserver has committed by now
            await require_current(self.store)
            return None, ""
        if rv == "0":  # any state: this cache's
            return None, ""
        wanted = versioner.parse(rv)
        await require_revision(self.store, wanted)
        if opts.resource_version_match == EXACT:
            return wanted, ""
        return None, ""  # NotOlderThan: the latest state is not older than ``wanted``

    # -- create ------------------------------------------------------------------------------

    async def create(self, rt: ResourceType, namespace: str, obj: Any, *, opts: WriteOptions,
                     manager: str | None, duplicates: Iterable[str] = (),
                     user: UserInfo | None = None) -> Written:
        """POST. ``manager`` records an ``Update`` entry in managedFields (None: the object
        already carries its managedFields, as server-side apply's result does)."""
        obj = self._check_kind(rt, obj)
        meta = metautil.meta(obj)
        self._check_namespace(rt, namespace, meta)
        if not meta.get("name") and meta.get("generateName"):
            # As Kubernetes' SimpleNameGenerator: the base is cut to 58 so the name fits 63.
            meta["name"] = f"{str(meta['generateName'])[:58]}{metautil.random_suffix()}"
        name = meta.get("name") or ""
        warnings = self._decode(rt, obj, opts.field_validation or "Warn", name, duplicates)
        if not name:
            raise Invalid.of(rt.group, rt.kind, "", [required(
                "metadata.name", "name or generateName is required")])
        for system_field in ("uid", "resourceVersion", "deletionTimestamp",
                             "deletionGracePeriodSeconds", "selfLink"):
            meta.pop(system_field, None)
        meta["uid"] = metautil.new_uid()
        meta["creationTimestamp"] = clock.rfc3339()
        lifecycle.prepare_for_create(rt, obj, user)
        rt.strategy.default(obj)
        if manager is not None:
            meta.pop("managedFields", None)
            record_update(None, obj, manager=manager, schema=rt.schema, now=clock.rfc3339())
        lifecycle.fill_empty_status(rt, obj)  # after managedFields: no one owns an empty status
        ctx = WriteContext(rt, "CREATE", namespace, name, obj, None, dry_run=opts.dry_run)
        await self.admission.mutate(ctx)
        self._validate(rt, obj, validation.validate(rt, obj))
        await self.admission.validate(ctx)
        warnings += ctx.warnings + rt.strategy.warnings_on_create(obj)
        key = rt.key(namespace, name)
        if self.storage_for(rt).get(key) is not None:
            raise AlreadyExists.of(rt.group, rt.plural, name)
        with store_errors(rt, name):
            async with contextlib.AsyncExitStack() as allocations:
                for allocation in rt.strategy.allocations:
                    await allocations.enter_async_context(
                        self.allocators[allocation].allocate(obj, dry_run=opts.dry_run))
                if opts.dry_run:
                    self.storage_for(rt).check_size(obj, key)
                    return Written(obj, warnings, created=True)
                created = await self.storage_for(rt).create(key, stored(rt, obj))
        return Written(served(rt, created), warnings, created=True)

    async def answer(self, rt: ResourceType, namespace: str, obj: Any, *, opts: WriteOptions,
                     user: UserInfo, reviewer: Reviewer,
                     duplicates: Iterable[str] = ()) -> Written:
        """POST of a kind not stored (the reviews): checked as a create, answered by its
        strategy for ``user``, never written (so a dry run is the same call)."""
        obj = self._check_kind(rt, obj)
        self._check_namespace(rt, namespace, metautil.meta(obj))
        warnings = self._decode(rt, obj, opts.field_validation or "Warn", "", duplicates)
        rt.strategy.default(obj)
        self._validate(rt, obj, rt.strategy.validate(obj))
        answered = await rt.strategy.answer(obj, user=user, reviewer=reviewer)
        return Written(answered, warnings, created=True)

    # -- update ------------------------------------------------------------------------------

    async def update(self, rt: ResourceType, namespace: str, name: str, obj: Any, *,
                     opts: WriteOptions, manager: str, subresource: str = "",
                     duplicates: Iterable[str] = ()) -> Written:
        """PUT: replace the object; a resourceVersion in the body is a precondition."""
        obj = self._check_kind(rt, obj)
        meta = metautil.meta(obj)
        self._check_namespace(rt, namespace, meta)
        if meta.get("name") and meta["name"] != name:
            raise BadRequest(f"the name of the object ({meta['name']}) does not match the "
                             f"name on the URL ({name})")
        meta["name"] = name
        warnings = self._decode(rt, obj, opts.field_validation or "Warn", name, duplicates)
        expected = meta.get("resourceVersion") or None
        if expected is not None:
            with store_errors(rt, name):
                versioner.parse(expected)

        admitted: list[str] = []  # admission's warnings, of the last attempt

        async def try_update(entry: Entry | None) -> Decision:
            assert entry is not None
            if expected is not None and str(expected) != str(entry.mod_rev):
                raise Conflict.of(rt.group, rt.plural, name, MODIFIED)
            admitted.clear()
            return await self._update_decision(rt, namespace, name, jsonutil.copy(obj),
                                               served(rt, entry.decode()), subresource,
                                               opts.dry_run, manager=manager,
                                               warnings=admitted)

        # With a resourceVersion the client asked for compare-and-swap: a change in between
        # is its conflict. Without one the update is unconditional and simply tried again.
        with store_errors(rt, name):
            async with allocation_scope():
                result = await self.storage_for(rt).guaranteed_update(
                    rt.key(namespace, name), try_update, retry=expected is None)
        return Written(served(rt, result), warnings + admitted)

    async def patch(self, rt: ResourceType, namespace: str, name: str, body: bytes,
                    content_type: str, *, opts: WriteOptions, manager: str,
                    subresource: str = "") -> Written:
        """PATCH: apply to the current state, retrying on a concurrent change (as Kubernetes'
        GuaranteedUpdate) unless the patch itself pins a resourceVersion."""
        warnings: list[str] = []

        async def try_update(entry: Entry | None) -> Decision:
            assert entry is not None
            current = served(rt, entry.decode())
            patched, duplicates = apply_patch(content_type, current, body, rt.schema)
            patched = self._check_kind(rt, patched)
            meta = metautil.meta(patched)
            if meta.get("name") != name:
                raise BadRequest("metadata.name: the name of a patched object cannot change")
            if rt.namespaced and meta.get("namespace") != namespace:
                raise BadRequest("metadata.namespace: the namespace of a patched object "
                                 "cannot change")
            # A patch that sets metadata.resourceVersion is a precondition; one that does not
            # leaves the current value in place and is re-applied after a concurrent change
            # (where a pinned one then no longer matches and conflicts).
            pinned = str(meta.get("resourceVersion") or "")
            if pinned and pinned != str(entry.mod_rev):
                versioner.parse(pinned)
                raise Conflict.of(rt.group, rt.plural, name, MODIFIED)
            warnings[:] = self._decode(rt, patched, opts.field_validation or "Warn", name,
                                       [f"patch: {d}" for d in duplicates])
            return await self._update_decision(rt, namespace, name, patched, current,
                                               subresource, opts.dry_run, manager=manager,
                                               warnings=warnings)

        with store_errors(rt, name):
            async with allocation_scope():
                result = await self.storage_for(rt).guaranteed_update(
                    rt.key(namespace, name), try_update)
        return Written(served(rt, result), warnings)

    async def apply(self, rt: ResourceType, namespace: str, name: str, body: bytes, *,
                    opts: WriteOptions, subresource: str = "",
                    user: UserInfo | None = None) -> Written:
        """Server-side apply: merge the configuration into the live object (creating it when
        missing) and track field owners; another manager's field set to a different value is
        a 409 conflict unless forced."""
        if subresource:
            raise BadRequest(f"server-side apply of the {subresource} subresource is not "
                             "supported")
        manager = opts.field_manager
        decoded = decode_yaml(body)  # the body is JSON or YAML; JSON is YAML
        applied = self._check_kind(rt, decoded.value)
        meta = metautil.meta(applied)
        if meta.get("name") and meta["name"] != name:
            raise BadRequest(f"the name of the object ({meta['name']}) does not match the "
                             f"name on the URL ({name})")
        meta["name"] = name
        self._check_namespace(rt, namespace, meta)
        warnings = self._decode(rt, applied, opts.field_validation or "Strict", name,
                                decoded.duplicates, check_required=False)
        created = False

        async def try_update(entry: Entry | None) -> Decision:
            nonlocal created
            live = served(rt, entry.decode()) if entry else None
            new = server_side_apply(live, jsonutil.copy(applied), manager=manager,
                                    force=bool(opts.force), schema=rt.schema,
                                    now=clock.rfc3339())
            self._require_fields(rt, new, name)
            if live is None:
                try:
                    written = await self.create(rt, namespace, new, manager=None,
                                                opts=WriteOptions(dry_run=opts.dry_run,
                                                                  field_validation="Ignore",
                                                                  field_manager=manager,
                                                                  force=None), user=user)
                except AlreadyExists as exc:  # created meanwhile: apply to it instead
                    raise KeyExists(rt.key(namespace, name)) from exc
                created = True
                admitted[:] = written.warnings
                return Keep(written.obj)
            admitted[:] = []
            return await self._update_decision(rt, namespace, name, new, live, "",
                                               opts.dry_run, manager=None, warnings=admitted)

        admitted: list[str] = []  # admission's warnings, of the last attempt
        with store_errors(rt, name):
            async with allocation_scope():
                result = await self.storage_for(rt).guaranteed_update(
                    rt.key(namespace, name), try_update, create=True)
        warnings += admitted
        return Written(served(rt, result), warnings, created=created)

    async def _update_decision(self, rt: ResourceType, namespace: str, name: str,
                               new: dict[str, Any], old: dict[str, Any], subresource: str,
                               dry_run: bool, manager: str | None,
                               warnings: list[str] | None = None) -> Decision:
        """The shared tail of update, patch and apply: what to store. ``manager`` takes
        ownership of the fields it changed (the apply path passes None: its result already
        carries its managedFields). ``subresource`` is status, finalize, scale or ""."""
        if subresource == "status":
            new = lifecycle.prepare_for_status_update(rt, new, old)
        elif subresource == "finalize":
            new = lifecycle.prepare_for_finalize(new, old)
        elif subresource == "approval":
            new = rt.strategy.prepare_for_approval(new, old)
        else:
            # Defaults first, so an update that only restates defaulted fields changes
            # nothing (no generation bump, no write).
            rt.strategy.default(new)
            lifecycle.prepare_for_update(rt, new, old)
        if manager is not None:
            record_update(old, new, manager=manager, schema=rt.schema, now=clock.rfc3339(),
                          subresource=subresource)
        lifecycle.fill_empty_status(rt, new)
        ctx = WriteContext(rt, "UPDATE", namespace, name, new, old, subresource,
                           dry_run=dry_run)
        await self.admission.mutate(ctx)
        self._validate(rt, new, validation.validate_update(rt, new, old))
        await self.admission.validate(ctx)
        if warnings is not None:
            warnings.extend(ctx.warnings)
        if not subresource:
            await self._allocate_update(rt, new, old, dry_run)
        if dry_run:
            self.storage_for(rt).check_size(new, rt.key(namespace, name))
            return Keep(new)
        if lifecycle.finalized(rt, new):
            return Remove()
        if _unchanged(new, old):
            return Keep(old)
        return Write(stored(rt, new))

    async def _allocate_update(self, rt: ResourceType, new: dict[str, Any],
                               old: dict[str, Any], dry_run: bool) -> None:
        """The kind's allocations for an update; a refused write releases them when the
        update's :func:`allocation_scope` ends (kept at once outside one)."""
        scope = _ALLOCATION_SCOPE.get()
        for allocation in rt.strategy.allocations:
            reservation = self.allocators[allocation].allocate(new, old, dry_run=dry_run)
            if scope is not None:
                await scope.enter_async_context(reservation)
            else:
                async with reservation:
                    pass

    # -- delete ------------------------------------------------------------------------------

    async def delete(self, rt: ResourceType, namespace: str, name: str,
                     options: DeleteOptions) -> dict[str, Any]:
        """Delete now, or begin a graceful/finalized deletion; returns the object's state."""
        return (await self.delete_object(rt, namespace, name, options)).obj

    async def delete_object(self, rt: ResourceType, namespace: str, name: str,
                            options: DeleteOptions) -> Deleted:
        """:meth:`delete`, saying whether the object is gone (else its deletion is pending:
        a grace period, finalizers)."""
        removed = False

        async def try_update(entry: Entry | None) -> Decision:
            nonlocal removed
            removed = False
            assert entry is not None
            obj = entry.decode()
            meta = obj["metadata"]
            if options.precondition_uid and options.precondition_uid != meta.get("uid"):
                raise Conflict.of(rt.group, rt.plural, name,
                                  f"Precondition failed: UID in precondition: "
                                  f"{options.precondition_uid}, UID in object meta: "
                                  f"{meta.get('uid')}")
            if options.precondition_rv and options.precondition_rv != str(entry.mod_rev):
                raise Conflict.of(rt.group, rt.plural, name,
                                  f"Precondition failed: ResourceVersion in precondition: "
                                  f"{options.precondition_rv}, ResourceVersion in object meta: "
                                  f"{entry.mod_rev}")
            await self.admission.validate(WriteContext(rt, "DELETE", namespace, name, None, obj,
                                                       dry_run=options.dry_run))
            refused = rt.strategy.deletion_in_progress(obj)
            if refused:
                raise Conflict.of(rt.group, rt.plural, name, refused)
            before = jsonutil.copy(obj)
            pending = lifecycle.begin_deletion(rt, obj, options)
            removed = not pending
            if options.dry_run or (pending and obj == before):
                return Keep(obj)  # already being deleted as asked: nothing to write
            return Write(obj) if pending else Remove()

        with store_errors(rt, name):
            obj = await self.storage_for(rt).guaranteed_update(rt.key(namespace, name),
                                                               try_update)
        return Deleted(served(rt, obj), removed)

    async def delete_collection(self, rt: ResourceType, namespace: str, opts: ListOptions,
                                options: DeleteOptions) -> list[dict[str, Any]]:
        """Delete every object the list options select (one delete each, as Kubernetes)."""
        listed = await self.list_objects(rt, namespace, opts)
        deleted = []
        for obj in listed.objects():
            try:
                deleted.append(await self.delete(
                    rt, metautil.namespace_of(obj), metautil.name_of(obj), options))
            except NotFound:
                continue
        return deleted

    async def bind(self, rt: ResourceType, namespace: str, name: str,
                   node: str, *, uid: str | None = None) -> dict[str, Any]:
        """``pods/binding``: set ``spec.nodeName`` of an unbound pod (the scheduler's write).

        Written without the pod update rules, which forbid changing ``spec.nodeName``: this
        subresource is the one way to set it, as in Kubernetes. A Binding that names a
        ``metadata.uid`` binds only that pod, not a new one of the same name (409)."""

        async def try_update(entry: Entry | None) -> Decision:
            assert entry is not None
            pod = entry.decode()
            if uid and pod["metadata"].get("uid") != uid:
                raise Conflict.of("", "pods", name,
                                  f"Precondition failed: UID in precondition: {uid}, UID in "
                                  f"object meta: {pod['metadata'].get('uid')}")
            bound = (pod.get("spec") or {}).get("nodeName")
            if bound:
                raise Conflict.of("", "pods", name,
                                  f'pod {name} is already assigned to node "{bound}"')
            if pod["metadata"].get("deletionTimestamp"):
                raise Conflict.of("", "pods", name, "pod is being deleted, cannot be assigned "
                                  "to a host")
            pod.setdefault("spec", {})["nodeName"] = node
            conditions = pod.setdefault("status", {}).setdefault("conditions", [])
            conditions[:] = [c for c in conditions if c.get("type") != "PodScheduled"]
            conditions.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                               "lastTransitionTime": clock.rfc3339()})
            return Write(pod)

        with store_errors(rt, name):
            return await self.store.guaranteed_update(rt.key(namespace, name), try_update)

    # -- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _check_kind(rt: ResourceType, obj: Any) -> dict[str, Any]:
        if not isinstance(obj, dict):
            raise BadRequest(f"{rt.kind} in version \"{rt.version}\" cannot be handled as a "
                             f"{rt.kind}: the object must be a JSON object")
        if obj.get("metadata") is not None and not isinstance(obj["metadata"], dict):
            raise BadRequest(f"{rt.kind} in version \"{rt.version}\" cannot be handled as a "
                             f"{rt.kind}: metadata: cannot unmarshal "
                             f"{type(obj['metadata']).__name__} into a field of type object")
        kind, api_version = obj.get("kind"), obj.get("apiVersion")
        if kind and kind != rt.kind:
            raise BadRequest(f"the kind of the object ({kind}) does not match the kind of the "
                             f"endpoint ({rt.kind})")
        if api_version and api_version != rt.api_version:
            raise BadRequest(f"the API version in the data ({api_version}) does not match the "
                             f"expected API version ({rt.api_version})")
        obj["kind"], obj["apiVersion"] = rt.kind, rt.api_version
        return obj

    @staticmethod
    def _check_namespace(rt: ResourceType, namespace: str, meta: dict[str, Any]) -> None:
        if not rt.namespaced:
            meta.pop("namespace", None)
            return
        given = meta.get("namespace")
        if given and given != namespace:
            raise BadRequest("the namespace of the provided object does not match the "
                             "namespace sent on the request")
        meta["namespace"] = namespace

    @staticmethod
    def _decode(rt: ResourceType, obj: dict[str, Any], mode: str, name: str,
                duplicates: Iterable[str] = (), *, check_required: bool = True) -> list[str]:
        """Structural decode: type errors are 400; unknown and duplicated fields per
        ``fieldValidation`` (Strict: 400, Warn: warnings, Ignore: dropped silently)."""
        result = rt.strategy.decode(rt.schema, obj)
        if result.type_errors:
            raise BadRequest(f"{rt.kind} in version \"{rt.version}\" cannot be handled as a "
                             f"{rt.kind}: " + "; ".join(result.type_errors))
        unknown = [f"duplicate field {go_quote(path)}" for path in duplicates]
        unknown += [f"unknown field {go_quote(path)}" for path in result.unknown]
        if unknown and mode == "Strict":
            raise BadRequest("strict decoding error: " + ", ".join(unknown))
        if result.missing and check_required:  # an apply configuration may be partial
            causes = [required(p) for p in result.missing]
            raise Invalid.of(rt.group, rt.kind, name, causes + _other_causes(rt, obj, causes))
        return unknown if mode == "Warn" else []

    @staticmethod
    def _require_fields(rt: ResourceType, obj: dict[str, Any], name: str) -> None:
        """422 when an applied result lacks a required field (an apply may drop one its
        manager owned; a partial configuration is checked only as a whole object)."""
        missing = rt.strategy.decode(rt.schema, jsonutil.copy(obj)).missing
        if missing:
            raise Invalid.of(rt.group, rt.kind, name, [required(p) for p in missing])

    @staticmethod
    def _validate(rt: ResourceType, obj: dict[str, Any], causes: list[Any]) -> None:
        if causes:
            raise Invalid.of(rt.group, rt.kind, metautil.name_of(obj), causes)


def matches(rt: ResourceType, obj: dict[str, Any], label: LabelSelector,
            fields: FieldSelector) -> bool:
    if not label.empty() and not label.matches(metautil.labels_of(obj)):
        return False
    if not fields.empty() and not fields.matches(object_fields(rt.strategy.fields, obj)):
        return False
    return True


def _other_causes(rt: ResourceType, obj: dict[str, Any], known: list[Cause]) -> list[Cause]:
    """What the kind's validation finds besides missing required fields, so that one answer
    lists every invalid field as Kubernetes' does (its validation sees the whole object). On
    a copy, defaulted first; an object too broken to validate gives nothing more."""
    candidate = jsonutil.copy(obj)
    try:
        rt.strategy.default(candidate)
        found = validation.validate(rt, candidate)
    except Exception:  # the required fields are reported either way
        return []
    seen = {c.field for c in known}
    return [c for c in found if c.field not in seen]


def _unchanged(new: dict[str, Any], old: dict[str, Any]) -> bool:
    """A write that changes nothing is not written (no new resourceVersion), as Kubernetes."""
    a = dict(new, metadata={k: v for k, v in new["metadata"].items() if k != "resourceVersion"})
    b = dict(old, metadata={k: v for k, v in old["metadata"].items() if k != "resourceVersion"})
    return a == b
