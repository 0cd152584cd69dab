"""Watch streams: store events filtered and encoded as Kubernetes watch events.

One JSON object per line, ``{"type": ADDED|MODIFIED|DELETED|BOOKMARK|ERROR, "object": ...}``
(:class:`JsonLines`), or length-prefixed protobuf ``WatchEvent`` frames for clients that asked
for protobuf (``protobuf_responses.ProtobufFrames``): a ``WireFormat`` writes the events.
With a selector, an object that starts matching arrives as ADDED and one that stops matching
as DELETED, as a Kubernetes watch cache does. ``timeoutSeconds`` ends the stream; bookmarks
carry the newest revision when the client allows them (and tell us early when it is gone).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, Protocol

from minikube_py.api.errors import Gone, InternalError, StatusError
from minikube_py.api.registry import ResourceType
from minikube_py.apiserver.freshness import require_revision
from minikube_py.apiserver.options import ListOptions, parse_resource_version
from minikube_py.store.errors import Compacted
from minikube_py.store.interface import Entry, Storage
from minikube_py.store.watch import ADDED, DELETED, MODIFIED, Event, Watcher, WatchOverflow
from minikube_py.util import jsonutil

log = logging.getLogger(__name__)

BOOKMARK_INTERVAL = 10.0
DEFAULT_TIMEOUT = 1800
LIVENESS_INTERVAL = 5.0  # how often a quiet stream checks that its client is still there
# Bytes of stored objects per chunk of the initial state: small enough that a watcher's chunk
# in flight (and its encrypted copy in the TLS transport) stays ~0.3 MB, large enough that a
# chunk's overhead is nothing.
INITIAL_CHUNK_BYTES = 128 << 10

Match = Callable[[dict[str, Any]], bool]
Render = Callable[[dict[str, Any], bool], dict[str, Any]]  # (object, first) -> wire object


def line(event_type: str, obj: Any) -> bytes:
    return jsonutil.dumps({"type": event_type, "object": obj}) + b"\n"


def error_line(err: StatusError) -> bytes:
    return jsonutil.dumps_go({"type": "ERROR", "object": err.to_status()}) + b"\n"


class WireFormat(Protocol):
    """How a watch writes its events."""

    content_type: str

    def event(self, event_type: str, obj: dict[str, Any]) -> bytes: ...

    def from_event(self, event: Event) -> bytes: ...

    def initial(self, entries: Sequence[Entry]) -> bytes: ...

    def error(self, err: StatusError) -> bytes: ...


class JsonLines:
    """JSON lines; the stored bytes go out as they are, inside the event's line."""

    content_type = "application/json"

    def event(self, event_type: str, obj: dict[str, Any]) -> bytes:
        return line(event_type, obj)

    def from_event(self, event: Event) -> bytes:
        return event.wire

    def initial(self, entries: Sequence[Entry]) -> bytes:
        # One copy of each stored value, into the chunk.
        parts = [_ADDED_HEAD, b"", _ADDED_TAIL] * len(entries)
        parts[1::3] = [entry.value for entry in entries]
        return b"".join(parts)

    def error(self, err: StatusError) -> bytes:
        return error_line(err)


JSON_LINES = JsonLines()


async def open_watch(store: Storage, rt: ResourceType, namespace: str, name: str,
                     opts: ListOptions, match: Match, render: Render | None,
                     disconnected: Callable[[], bool] = lambda: False,
                     fmt: WireFormat = JSON_LINES) -> AsyncIterator[bytes]:
    """Start a watch (errors such as a bad resourceVersion raise here, before any byte is
    sent) and return the stream of its lines.

    Where it starts: with the current state as ADDED events when the client wants initial
    events (``sendInitialEvents=true``, or by the legacy rule, no resourceVersion or "0");
    else after the given resourceVersion, or now (``sendInitialEvents=false`` without one)."""
    rv = opts.resource_version
    initial: list[Entry] = []
    prefix = rt.prefix(namespace) + (name if name else "")
    after = store.revision
    if rv not in ("", "0"):
        after = parse_resource_version(rv)
        await require_revision(store, after)
    if opts.wants_initial_events:
        # The stored entries, shared with the store and every other watcher: the initial
        # state is encoded from their bytes chunk by chunk as the stream goes out.
        initial, after = store.list_prefix(rt.prefix(namespace))
    try:
        watcher = await store.watch(prefix, after)
    except Compacted as exc:
        return _single(fmt.error(Gone(f"too old resource version: {after} "
                                       f"({exc.compacted})")))
    return _stream(store, rt, watcher, initial, name, opts, match, render, disconnected, fmt)


async def _single(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _stream(store: Storage, rt: ResourceType, watcher: Watcher,
                  initial: list[Entry], name: str, opts: ListOptions, match: Match,
                  render: Render | None, disconnected: Callable[[], bool],
                  fmt: WireFormat) -> AsyncIterator[bytes]:
    """The lines of one watch; events that arrive together leave as one chunk."""
    first = True

    def out(event_type: str, obj: dict[str, Any]) -> bytes:
        nonlocal first
        wire = render(obj, first) if render else obj
        first = False
        return fmt.event(event_type, wire)

    loop = asyncio.get_running_loop()
    timeout = opts.timeout_seconds or DEFAULT_TIMEOUT  # 0 means the default, as Kubernetes
    deadline = loop.time() + timeout
    # Without a selector, name or table, the stored bytes go out as they are.
    filtered = not (name == "" and render is None and _matches_all(match))
    try:
        start = 0
        while start < len(initial):
            end, size = start, 0
            while end < len(initial) and (size < INITIAL_CHUNK_BYTES or end == start):
                size += len(initial[end].value)
                end += 1
            lines = _initial_lines(initial[start:end], name, filtered, match, out, fmt)
            start = end
            if lines:
                yield lines
        initial = []  # the stream no longer holds the snapshot
        if opts.send_initial_events and opts.allow_bookmarks:
            yield fmt.event("BOOKMARK", _bookmark(rt, store.revision, initial_done=True))
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            wait = min(remaining, BOOKMARK_INTERVAL if opts.allow_bookmarks
                       else LIVENESS_INTERVAL)
            try:
                batch = await watcher.next_batch(wait)
            except WatchOverflow:
                # As Kubernetes' watch cache drops an unresponsive watcher: the stream just
                # ends, and the client watches again from the last resourceVersion it saw.
                log.info("watch of %s closed: the client stopped reading", rt.group_resource)
                return
            if batch is None:
                return
            if not batch:
                if disconnected():
                    return  # the client left: free the subscription now, not at timeout
                if opts.allow_bookmarks and watcher.pending() == 0:
                    # Nothing of ours is queued: every change up to now has been sent.
                    yield fmt.event("BOOKMARK", _bookmark(rt, store.revision))
                continue
            chunk: list[bytes] = []
            for event in batch:
                if name and not event.key.endswith("/" + name):
                    continue
                if not filtered:
                    chunk.append(fmt.from_event(event))
                    continue
                translated = _translate(event, match)
                if translated is not None:
                    chunk.append(out(*translated))
            if chunk:
                yield b"".join(chunk)
    except Exception as exc:  # a bug while rendering: end with an ERROR event, not a cut
        log.exception("watch of %s failed", rt.group_resource)
        yield fmt.error(InternalError(f"Internal error occurred: {exc!r}"))
    finally:
        watcher.close()


def _initial_lines(entries: list[Entry], name: str, filtered: bool, match: Match,
                   out: Callable[[str, dict[str, Any]], bytes], fmt: WireFormat) -> bytes:
    """ADDED events of a slice of the initial state: from the stored bytes when the watch
    filters nothing, else decoded, matched and rendered."""
    if not filtered and not name:
        return fmt.initial(entries)
    lines: list[bytes] = []
    for entry in entries:
        if name and not entry.key.endswith("/" + name):
            continue
        if not filtered:
            lines.append(fmt.initial([entry]))
            continue
        obj = entry.decode()
        if match(obj):
            lines.append(out(ADDED, obj))
    return b"".join(lines)


_ADDED_HEAD = b'{"type":"ADDED","object":'
_ADDED_TAIL = b"}\n"


def _matches_all(match: Match) -> bool:
    return getattr(match, "everything", False)


def _translate(event: Event, match: Match) -> tuple[str, dict[str, Any]] | None:
    now_matches = match(event.object)
    if event.type == DELETED:
        return (DELETED, event.object) if now_matches else None
    previous = jsonutil.loads(event.prev) if event.prev is not None else None
    before = previous is not None and match(previous)
    if event.type == ADDED or not before:
        return (ADDED, event.object) if now_matches else None
    if now_matches:
        return (MODIFIED, event.object)
    # It stopped matching: the last state the watcher was entitled to, at this revision.
    assert previous is not None
    previous.setdefault("metadata", {})["resourceVersion"] = str(event.rev)
    return (DELETED, previous)


def _bookmark(rt: ResourceType, rev: int, *, initial_done: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {"resourceVersion": str(rev)}
    if initial_done:
        meta["annotations"] = {"k8s.io/initial-events-end": "true"}
    return {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": meta}
