"""The etcd storage backend (``up --storage etcd://HOST:PORT[,...]``): etcd is the source of
truth, and this is its watch cache (Kubernetes' cacher).

Other apiservers may write to the same etcd, so nothing here decides a revision or trusts
its own writes: a write is one etcd transaction (create: ``create_revision == 0``; update and
delete: ``mod_revision`` equal to the expected one, or the key present), and its revision is
etcd's. What readers see comes from one etcd watch on ``/registry/`` (from the revision of the
initial list, with ``prev_kv`` and progress notifications) that feeds the shared core's
in-memory index, its event log for watch replay and its broadcaster, strictly in revision
order, whoever made the change. A write returns once that watch has delivered its revision,
so this apiserver reads its own writes (get, list, and the guaranteed-update loop); a
precondition that failed waits for the revision etcd evaluated it at, so the retry decides on
the state that beat it.

Values are the objects' JSON without ``resourceVersion`` (as Kubernetes stores them): an
object's resourceVersion is its etcd ``mod_revision``, stamped when it enters the cache.

What the cache's log does not hold (revisions before this process listed) is ``Compacted``
for watches (410, the client relists), as Kubernetes' watch cache answers after a restart;
reads at a past revision go to etcd itself (a range at that revision). Compaction is the
daemon's (``--history``): it compacts etcd and the cache's log to the same revision.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
from pathlib import Path
from typing import Any

from minikube_py.store import snapshotfile, versioner
from minikube_py.store.cache import CachedStore
from minikube_py.store.errors import (
    Compacted,
    KeyExists,
    KeyNotFound,
    RevisionMismatch,
    StoreClosed,
    Unencodable,
    ValueTooLarge,
)
from minikube_py.store.etcd_client import (
    EtcdClient,
    EtcdCompacted,
    EtcdError,
    KeyValue,
    WatchResponse,
    b64,
)
from minikube_py.store.history import History
from minikube_py.store.index import prefix_end
from minikube_py.store.interface import Entry, TryUpdate
from minikube_py.store.watch import ADDED, DELETED, MODIFIED, Event
from minikube_py.util import jsonutil
from minikube_py.util.tasks import spawn

log = logging.getLogger(__name__)

ROOT = "/registry/"
RETRY_WATCH = 0.5  # seconds before a broken watch is opened again
WRITE_VISIBLE_WAIT = 30.0  # how long a write waits for the watch to deliver its revision


class EtcdStorage(CachedStore):
    """Open with :meth:`open`; close with :meth:`close`."""

    def __init__(self, client: EtcdClient, *, history: History | None = None) -> None:
        super().__init__(history=history)
        self.client = client
        self._watcher: asyncio.Task[None] | None = None  # the etcd watch feeding the cache
        self._log: list[Event] = []  # what the watch delivered, in revision order
        self._revs: list[int] = []
        self._watch_error: str | None = None
        self._db_bytes: int | None = None  # etcd's database size, as of the last compaction
        self._next_read: asyncio.Future[int] | None = None  # the next revision request
        self._reading: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, client: EtcdClient, *, history: History | None = None) -> EtcdStorage:
        store = cls(client, history=history)
        try:
            await store._load()
        except BaseException:
            await client.close()
            raise
        return store

    async def _load(self) -> None:
        kvs, rev = await self.client.range_all(ROOT, prefix_end(ROOT))
        self._index.clear()
        self._index.load(_entry(kv) for kv in kvs)
        self._rev = rev
        # The cache's log starts here: a watch from before is 410 (its client relists).
        self._compact_rev = rev
        self._log, self._revs = [], []
        self._clock.observe(rev, self.monotonic())
        if self._watcher is None or self._watcher.done():
            self._watcher = spawn(self._watch_loop(), name="store/etcd-watch")

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for task in (self._watcher, self._reading):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self.broadcaster.close_all()
        await self.client.close()

    @property
    def writer_error(self) -> str | None:
        if self._closed:
            return None
        if self._watcher is not None and self._watcher.done():
            return f"etcd watch stopped: {self._watcher!r}"
        return self._watch_error

    # -- the watch that feeds the cache ------------------------------------------------------

    async def _watch_loop(self) -> None:
        while True:
            try:
                async for response in self.client.watch(ROOT, prefix_end(ROOT),
                                                         start_revision=self._rev + 1):
                    if response.canceled:
                        raise EtcdCompacted(response.reason or "watch canceled",
                                            response.compact_revision)
                    self._watch_error = None
                    self._apply(response)
            except EtcdCompacted:
                # Compacted past what this cache has seen (it was cut off too long): list
                # again; every watcher ends and comes back with a 410 for older revisions.
                log.warning("etcd watch compacted at revision %d: reloading", self._rev)
                self.broadcaster.close_all()
                await self._load_again()
                continue
            except EtcdError as exc:
                self._watch_error = f"etcd watch: {exc}"
                log.warning("etcd watch broke (%s); watching again", exc)
            except Exception as exc:  # a bug: the cache must not stop for good
                self._watch_error = f"etcd watch: {exc!r}"
                log.exception("etcd watch failed; watching again")
            await asyncio.sleep(RETRY_WATCH)

    async def _load_again(self) -> None:
        while True:
            try:
                kvs, rev = await self.client.range_all(ROOT, prefix_end(ROOT))
                break
            except EtcdError as exc:
                self._watch_error = f"etcd: {exc}"
                await asyncio.sleep(RETRY_WATCH)
        self._index.clear()
        self._index.load(_entry(kv) for kv in kvs)
        self._rev = self._compact_rev = rev
        self._log, self._revs = [], []

    def _apply(self, response: WatchResponse) -> None:
        """Enter one watch response into the cache, then publish it (revision order)."""
        if not response.events:
            if not response.created and response.revision > self._rev:  # progress
                self._advance(response.revision, [])
            return
        events: list[Event] = []
        for e in response.events:
            kv = e.kv
            if kv.mod_revision <= self._rev:  # delivered already (a watch opened again)
                continue
            old = self._index.get(kv.key)
            prev = self._previous(old, e.prev)
            if e.type == "DELETE":
                self._index.remove(kv.key)
                if prev is None:
                    continue  # nothing we ever held
                events.append(Event(kv.mod_revision, DELETED, kv.key,
                                    _stamped(prev, kv.mod_revision), prev))
            else:
                entry = _entry(kv)
                self._index.put(entry)
                kind = ADDED if kv.create_revision == kv.mod_revision else MODIFIED
                events.append(Event(kv.mod_revision, kind, kv.key, entry.value, prev))
        if events:
            self._advance(events[-1].rev, events)

    @staticmethod
    def _previous(old: Entry | None, prev: KeyValue | None) -> bytes | None:
        """The value before a change, stamped: the cache's own when it is that version
        (no decoding), else etcd's ``prev_kv``."""
        if prev is None:
            return old.value if old is not None else None
        if old is not None and old.mod_rev == prev.mod_revision:
            return old.value
        return _stamped(prev.value, prev.mod_revision)

    def _advance(self, rev: int, events: list[Event]) -> None:
        self._log.extend(events)
        self._revs.extend(e.rev for e in events)
        self.batches += 1 if events else 0
        self._publish(rev, events)

    # -- consistent reads ----------------------------------------------------------------------

    async def sync(self, within: float) -> bool:
        """Ask etcd for its current revision, then wait for the watch to reach it
        (Kubernetes' consistent reads from cache). Concurrent callers share one request,
        one that starts after each of them asked."""
        if self._next_read is None:
            self._next_read = asyncio.get_running_loop().create_future()
            if self._reading is None or self._reading.done():
                self._reading = spawn(self._read_revisions(), name="store/etcd-revision")
        try:
            rev = await asyncio.wait_for(asyncio.shield(self._next_read), within)
        except TimeoutError:
            return False
        return await self.wait_for_revision(rev, within)

    async def _read_revisions(self) -> None:
        while self._next_read is not None:
            future, self._next_read = self._next_read, None
            try:
                _, rev, _ = await self.client.range(ROOT, limit=1)
            except EtcdError as exc:
                future.set_exception(StoreClosed(f"etcd: {exc}"))
                future.exception()  # retrieved here: callers may have given up
                continue
            future.set_result(rev)

    # -- writes: one transaction each ---------------------------------------------------------

    async def guaranteed_update(self, key: str, try_update: TryUpdate, *,
                                retry: bool = True, create: bool = False) -> dict[str, Any]:
        """The shared loop, on a current view of ``key``: a key this cache lacks may have
        just been made through another apiserver, so the cache first catches up with etcd
        (a stale entry costs a failed compare-and-swap and another round instead)."""
        if self.get(key) is None:
            await self.sync(WRITE_VISIBLE_WAIT)
        return await super().guaranteed_update(key, try_update, retry=retry, create=create)

    def _value(self, key: str, obj: dict[str, Any]) -> bytes:
        meta = obj.get("metadata")
        rv = meta.pop("resourceVersion", None) if isinstance(meta, dict) else None
        try:
            value = jsonutil.dumps(obj)
        except (TypeError, ValueError) as exc:
            raise Unencodable(f"{key}: {exc}") from exc
        finally:
            if rv is not None:
                meta["resourceVersion"] = rv  # type: ignore[index]
        if len(value) > self.max_value_bytes:
            raise ValueTooLarge(key, len(value), self.max_value_bytes)
        return value

    async def _txn(self, compare: list[dict[str, Any]], success: dict[str, Any],
                   key: str) -> tuple[bool, int, KeyValue | None, dict[str, Any]]:
        """(succeeded, revision, the key's current kv on failure, the success response)."""
        if self._closed:
            raise StoreClosed("store is closed")
        try:
            answer = await self.client.txn(compare, [success],
                                           [{"request_range": {"key": b64(key)}}])
        except EtcdError as exc:
            raise StoreClosed(f"etcd: {exc}") from exc
        rev = int(answer["header"]["revision"])
        responses = answer.get("responses") or [{}]
        if answer.get("succeeded"):
            return True, rev, None, responses[0]
        kvs = (responses[0].get("response_range") or {}).get("kvs") or []
        current = KeyValue.of(kvs[0]) if kvs else None
        # The retry (guaranteed_update) must see the state that made this fail.
        await self.wait_for_revision(rev, WRITE_VISIBLE_WAIT)
        return False, rev, current, {}

    async def _visible(self, rev: int) -> None:
        if not await self.wait_for_revision(rev, WRITE_VISIBLE_WAIT):
            raise StoreClosed(f"etcd committed revision {rev} but its watch did not "
                              f"deliver it within {WRITE_VISIBLE_WAIT:g}s")

    async def create(self, key: str, obj: dict[str, Any]) -> dict[str, Any]:
        value = self._value(key, obj)
        ok, rev, _, _ = await self._txn(
            [{"target": "CREATE", "key": b64(key), "create_revision": "0"}],
            {"request_put": {"key": b64(key), "value": b64(value)}}, key)
        if not ok:
            raise KeyExists(key)
        await self._visible(rev)
        versioner.stamp(obj, rev)
        return obj

    def _guard(self, key: str, expected_rev: int | None) -> list[dict[str, Any]]:
        if expected_rev is None:  # present at all
            return [{"target": "CREATE", "key": b64(key), "result": "GREATER",
                     "create_revision": "0"}]
        return [{"target": "MOD", "key": b64(key), "mod_revision": str(expected_rev)}]

    def _refused(self, key: str, expected_rev: int | None,
                 current: KeyValue | None) -> Exception:
        if current is None:
            return KeyNotFound(key)
        return RevisionMismatch(key, int(expected_rev or 0), current.mod_revision)

    async def update(self, key: str, obj: dict[str, Any], *,
                     expected_rev: int | None = None) -> dict[str, Any]:
        value = self._value(key, obj)
        ok, rev, current, _ = await self._txn(
            self._guard(key, expected_rev),
            {"request_put": {"key": b64(key), "value": b64(value)}}, key)
        if not ok:
            raise self._refused(key, expected_rev, current)
        await self._visible(rev)
        versioner.stamp(obj, rev)
        return obj

    async def delete(self, key: str, *, expected_rev: int | None = None) -> dict[str, Any]:
        ok, rev, current, response = await self._txn(
            self._guard(key, expected_rev),
            {"request_delete_range": {"key": b64(key), "prev_kv": True}}, key)
        if not ok:
            raise self._refused(key, expected_rev, current)
        prev = (response.get("response_delete_range") or {}).get("prev_kvs") or []
        await self._visible(rev)
        last: dict[str, Any] = jsonutil.loads(KeyValue.of(prev[0]).value) if prev else {}
        versioner.stamp(last, rev)
        return last

    async def compact(self, revision: int | None = None) -> int:
        """Compact etcd and the cache's log up to ``revision`` (default: what the history
        no longer keeps)."""
        target = revision if revision is not None else self.history.compact_target(
            self._rev, self._clock, self.monotonic())
        target = min(max(target, 0), self._rev)
        if target > self._compact_rev:
            try:
                await self.client.compact(target)
            except EtcdError as exc:
                raise StoreClosed(f"etcd compaction: {exc}") from exc
            await self._drop_log(target)
        with contextlib.suppress(EtcdError, KeyError, ValueError):
            self._db_bytes = int((await self.client.status())["dbSize"])
        return self._compact_rev

    def _disk_usage(self) -> tuple[int | None, int | None]:
        """etcd's database size (the member answering), as of the last compaction."""
        return self._db_bytes, None

    # -- reads at a past revision: etcd itself -------------------------------------------------

    async def list_at(self, prefix: str, revision: int, start: str = "",
                      limit: int | None = None) -> list[Entry]:
        try:
            if limit is None:
                kvs, _ = await self.client.range_all(max(prefix, start), prefix_end(prefix),
                                                     revision=revision)
            else:
                kvs, _, _ = await self.client.range(max(prefix, start), prefix_end(prefix),
                                                    revision=revision, limit=limit)
        except EtcdCompacted as exc:
            raise Compacted(revision, self._compact_rev) from exc
        except EtcdError as exc:
            raise StoreClosed(f"etcd: {exc}") from exc
        return [_entry(kv) for kv in kvs]

    # -- the cache's log ----------------------------------------------------------------------

    async def _log_after(self, prefix: str, after: int) -> list[Event]:
        start = bisect.bisect_right(self._revs, after)
        return [e for e in self._log[start:] if e.key.startswith(prefix)]

    async def _drop_log(self, upto: int) -> None:
        start = bisect.bisect_right(self._revs, upto)
        self._log, self._revs = self._log[start:], self._revs[start:]
        self._compact_rev = max(self._compact_rev, upto)

    async def backup(self, dest: Any) -> None:
        """A snapshot file in the SQLite store's format (so ``snapshot restore`` takes it on
        either backend): every object under ``/registry/`` at one revision."""
        kvs, rev = await self.client.range_all(ROOT, prefix_end(ROOT))
        await asyncio.to_thread(snapshotfile.write, Path(dest), [_entry(kv) for kv in kvs], rev)


def _stamped(value: bytes, rev: int) -> bytes:
    obj = jsonutil.loads(value)
    if isinstance(obj, dict):
        versioner.stamp(obj, rev)
        return jsonutil.dumps(obj)
    return value


def _entry(kv: KeyValue) -> Entry:
    return Entry(kv.key, _stamped(kv.value, kv.mod_revision), kv.create_revision,
                 kv.mod_revision)


RESTORE_TXN_OPS = 100  # puts per transaction (etcd's --max-txn-ops is 128 by default)


async def restore(client: EtcdClient, snapshot: Path) -> int:
    """Replace everything under ``/registry/`` in etcd with the objects of ``snapshot``
    (no apiserver may be using it meanwhile). Objects keep their uids and timestamps; their
    resourceVersions become etcd's new revisions (clients relist). Returns the revision."""
    entries, _ = await asyncio.to_thread(snapshotfile.read, snapshot)
    await client.call("kv/deleterange", {"key": b64(ROOT), "range_end": b64(prefix_end(ROOT))})
    rev = 0
    for i in range(0, len(entries), RESTORE_TXN_OPS):
        puts = []
        for entry in entries[i:i + RESTORE_TXN_OPS]:
            obj = entry.decode()
            (obj.get("metadata") or {}).pop("resourceVersion", None)
            puts.append({"request_put": {"key": b64(entry.key),
                                         "value": b64(jsonutil.dumps(obj))}})
        answer = await client.txn([], puts, [])
        rev = int(answer["header"]["revision"])
    return rev
