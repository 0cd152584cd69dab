"""Named, guarded background tasks.

Every long-running coroutine in the daemon (the store's writer, the compactor, watch pumps,
controllers) is started through :func:`spawn`. The task gets a name that says its role, and a
guard logs any crash with that name and keeps the exception where the owner can surface it
(``TaskGroup.failed``), so no failure hides in a task nobody awaits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


def spawn(coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
    """Start ``coro`` as a task called ``name`` whose crash is logged, never swallowed."""
    task = asyncio.create_task(coro, name=name)
    task.add_done_callback(_report)
    return task


def _report(task: asyncio.Task[Any]) -> None:
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        log.error("task %s crashed: %r", task.get_name(), exc, exc_info=exc)


class TaskGroup:
    """A set of named tasks owned by one component, stopped together.

    ``failed`` lists the tasks that ended with an exception, so a health check can report them.
    """

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self._tasks: set[asyncio.Task[Any]] = set()
        self.failed: list[tuple[str, BaseException]] = []

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        task = spawn(coro, name=f"{self.owner}/{name}")
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.failed.append((task.get_name(), task.exception()))  # type: ignore[arg-type]

    async def stop(self) -> None:
        """Cancel every task and wait for all of them to end."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
