"""The in-memory storage backend: the revisioned core with its log in a list.

Nothing survives the process. It is what unit tests of the apiserver use, and what
``--storage memory`` gives for throwaway clusters; it keeps the contract of
``interface.Storage`` exactly as the SQLite backend does (the same contract tests run on
both).
"""

from __future__ import annotations

import bisect
from pathlib import Path

from minikube_py.store.history import History
from minikube_py.store.revisioned import Batch, RevisionedStore
from minikube_py.store.watch import Event


class MemoryStorage(RevisionedStore):
    def __init__(self, *, history: History | None = None) -> None:
        super().__init__(history=history)
        self._log: list[Event] = []  # in revision order
        self._revs: list[int] = []  # the revision of each log entry, for bisecting
        self._start(revision=0, compact_revision=0, entries=())

    @classmethod
    async def open(cls, *, history: History | None = None) -> MemoryStorage:
        return cls(history=history)

    async def close(self) -> None:
        await self._stop_writer()

    async def _persist(self, batch: Batch) -> None:
        self._log.extend(batch.events)
        self._revs.extend(e.rev for e in batch.events)

    def _since(self, after: int) -> list[Event]:
        return self._log[bisect.bisect_right(self._revs, after):]

    async def _log_after(self, prefix: str, after: int) -> list[Event]:
        return [e for e in self._since(after) if e.key.startswith(prefix)]

    async def _log_undo(self, prefix: str, after: int) -> list[tuple[str, bytes | None]]:
        return [(e.key, e.prev) for e in reversed(self._since(after))
                if e.key.startswith(prefix)]

    async def _drop_log(self, upto: int) -> None:
        start = bisect.bisect_right(self._revs, upto)
        self._log, self._revs = self._log[start:], self._revs[start:]

    async def _reclaim(self) -> None:
        return None  # the dropped log is garbage already

    async def backup(self, dest: str | Path) -> None:
        raise NotImplementedError("an in-memory store has nothing to back up to a file")
