"""Reads at a revision the store has not reached yet (``resourceVersion`` in the future).

Kubernetes' watch cache waits up to three seconds for such a revision, then answers 504 with
reason ``ResourceVersionTooLarge`` (and ``Retry-After``) rather than serve older data or skip
what comes first. Lists and watches both go through :func:`require_revision`.

Reads of "the most recent" state (GET and LIST with ``resourceVersion=""``) go through
:func:`require_current`: on a shared store (etcd, other apiservers writing) the cache first
catches up with every write committed anywhere (Kubernetes' consistent reads from cache).
"""

from __future__ import annotations

from minikube_py.api.errors import Cause, Timeout
from minikube_py.store.interface import Storage

TOO_LARGE_WAIT = 3.0


async def require_revision(store: Storage, revision: int, *, wait: float | None = None) -> None:
    if await store.wait_for_revision(revision, TOO_LARGE_WAIT if wait is None else wait):
        return
    message = f"Too large resource version: {revision}, current: {store.revision}"
    raise Timeout(message, causes=[Cause("", message, "ResourceVersionTooLarge")],
                  retry_after=1)


async def require_current(store: Storage) -> None:
    """Wait until reads reflect every write committed through any apiserver; 504 when the
    store cannot say in time."""
    if not await store.sync(TOO_LARGE_WAIT):
        raise Timeout("Too large resource version: the store's current revision was not "
                      "reached in time", retry_after=1)
