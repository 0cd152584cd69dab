"""Answers in Kubernetes protobuf: objects, lists, Status objects and watch frames.

``handlers.py`` picks these when negotiation chose ``application/vnd.kubernetes.protobuf``;
``watch.py`` streams :class:`ProtobufFrames` instead of JSON lines. The encoding itself is
``api/codecs/protobuf_encode.py``.

As the JSON path splices stored bytes into lists and watch lines, this one encodes a stored
object once: :class:`MessageCache` maps the stored JSON bytes of an object (the same ``bytes``
the store, its index and every watcher share) to its protobuf message, so a list served again,
or one event sent to many watchers, costs a lookup per object, and a list's body is joined
from those messages in one copy. The cache is bounded by bytes and forgets the oldest first.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from minikube_py.api.codecs import protobuf_encode as pb
from minikube_py.api.errors import InternalError, StatusError
from minikube_py.api.registry import ResourceType
from minikube_py.api.wire import ApiResponse
from minikube_py.apiserver.negotiation import PROTOBUF
from minikube_py.store.interface import Entry
from minikube_py.store.watch import Event
from minikube_py.util import jsonutil, textsafe

log = logging.getLogger(__name__)

PROTOBUF_WATCH = PROTOBUF + ";stream=watch"
EncodeError = pb.EncodeError
PARTIAL = "io.k8s.apimachinery.pkg.apis.meta.v1.PartialObjectMetadata"
CACHE_BYTES = 64 << 20


class MessageCache:
    """Stored JSON bytes -> the object's protobuf message written as field 2
    (``protobuf_encode.raw_field``: an XList item and a body's ``raw`` alike). The oldest
    entries are forgotten first once the keys and values held pass ``max_bytes``; a hit costs
    a dict lookup (a stored ``bytes`` keeps its hash, and a hit is found by identity)."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.hits = self.misses = 0
        self._entries: dict[bytes, bytes] = {}

    def field(self, stored: bytes, definition: str) -> bytes:
        found = self._entries.get(stored)
        if found is not None:
            self.hits += 1
            return found
        return self._encode(stored, definition)

    def fields(self, entries: Sequence[Entry], definition: str) -> list[bytes]:
        """The fields of many stored objects (a list's items)."""
        get = self._entries.get
        out = [get(entry.value) for entry in entries]
        missing = [i for i, found in enumerate(out) if found is None]
        self.hits += len(out) - len(missing)
        for i in missing:
            out[i] = self._encode(entries[i].value, definition)
        return out  # type: ignore[return-value]  # every None was replaced

    def _encode(self, stored: bytes, definition: str) -> bytes:
        self.misses += 1
        encoded = pb.raw_field(pb.encode_message(jsonutil.loads(stored), definition, top=True))
        self._entries[stored] = encoded
        self.size += len(stored) + len(encoded)
        while self.size > self.max_bytes and self._entries:
            oldest = next(iter(self._entries))
            self.size -= len(oldest) + len(self._entries.pop(oldest))
        return encoded


def definition_of(rt: ResourceType) -> str | None:
    """The protobuf definition of a kind's objects, if it has one."""
    name = rt.schema.name if rt.schema is not None else None
    return name if pb.has_definition(name) else None


def has_protobuf(rt: ResourceType) -> bool:
    return definition_of(rt) is not None


def object_response(rt: ResourceType, obj: dict[str, Any], code: int = 200) -> ApiResponse:
    definition = definition_of(rt)
    if definition is None:  # negotiation offers protobuf only for kinds that have it
        raise InternalError(f"{rt.kind} has no protobuf form")
    return message_response(definition, obj, code)


def message_response(definition: str, obj: dict[str, Any], code: int = 200) -> ApiResponse:
    """One object of ``definition`` (a kind's, or a subresource's such as Scale). Raises
    :class:`EncodeError` (logged) when the object has what the definition cannot carry:
    the caller answers in the client's other accepted encoding."""
    try:
        raw = pb.encode_object(obj, definition)
    except pb.EncodeError as exc:
        log.error("cannot encode a %s as protobuf: %s", obj.get("kind"), exc)
        raise
    return ApiResponse(code, raw=raw, content_type=PROTOBUF)


def list_response(rt: ResourceType, cache: MessageCache, list_meta: dict[str, Any],
                  entries: Sequence[Entry]) -> ApiResponse:
    """An ``XList`` of stored entries, each item's message from the cache."""
    definition = definition_of(rt)
    assert definition is not None
    try:
        items = cache.fields(entries, definition)
    except pb.EncodeError as exc:
        log.error("cannot encode a %s as protobuf: %s", rt.kind, exc)
        raise
    raw = pb.list_body(rt.api_version, rt.list_kind, list_meta, items)
    return ApiResponse(200, raw=raw, content_type=PROTOBUF)


def objects_list_response(rt: ResourceType, list_meta: dict[str, Any],
                          objects: Sequence[dict[str, Any]]) -> ApiResponse:
    """An ``XList`` of decoded objects (deletecollection's answer)."""
    definition = definition_of(rt)
    assert definition is not None
    try:
        items = [pb.encode_message(obj, definition, top=True) for obj in objects]
    except pb.EncodeError as exc:
        log.error("cannot encode a %s as protobuf: %s", rt.kind, exc)
        raise
    raw = pb.envelope(rt.api_version, rt.list_kind, pb.encode_list(list_meta, items))
    return ApiResponse(200, raw=raw, content_type=PROTOBUF)


def partial_list_response(version: str, list_meta: dict[str, Any],
                          objects: Sequence[dict[str, Any]]) -> ApiResponse:
    """A ``meta.k8s.io PartialObjectMetadataList`` (client-go's metadata clients)."""
    items = [pb.raw_field(pb.encode_message({"metadata": obj.get("metadata") or {}}, PARTIAL))
             for obj in objects]
    raw = pb.list_body(f"meta.k8s.io/{version}", "PartialObjectMetadataList", list_meta, items)
    return ApiResponse(200, raw=raw, content_type=PROTOBUF)


def status_response(status: dict[str, Any], code: int,
                    headers: dict[str, str] | None = None) -> ApiResponse:
    return ApiResponse(code, raw=pb.encode_status(textsafe.scrub(status)),
                       content_type=PROTOBUF, headers=dict(headers or {}))


def error_response(err: StatusError, headers: dict[str, str]) -> ApiResponse:
    return status_response(err.to_status(), err.code, headers)


class ProtobufFrames:
    """The watch encoding of ``watch.py`` in protobuf: length-prefixed ``WatchEvent`` frames
    whose objects are whole protobuf bodies; the stored bytes of an event are encoded once
    for every watcher (through the cache)."""

    content_type = PROTOBUF_WATCH

    def __init__(self, rt: ResourceType, cache: MessageCache, *, partial: bool = False) -> None:
        definition = definition_of(rt)
        assert definition is not None
        self.definition = definition
        self.api_version, self.kind = rt.api_version, rt.kind
        if partial:  # the watch renders PartialObjectMetadata (never from stored bytes)
            self.definition = PARTIAL
            self.api_version, self.kind = "meta.k8s.io/v1", "PartialObjectMetadata"
        self.cache = cache

    def event(self, event_type: str, obj: dict[str, Any]) -> bytes:
        """A frame for an object decoded (and maybe changed) on the way: encoded fresh."""
        message = pb.encode_message(obj, self.definition, top=True)
        return pb.watch_event(event_type, pb.envelope(self.api_version, self.kind, message))

    def from_event(self, event: Event) -> bytes:
        return self.stored(event.type, event.value)

    def stored(self, event_type: str, stored: bytes) -> bytes:
        field = self.cache.field(stored, self.definition)
        return pb.watch_event(event_type, pb.enveloped_field(self.api_version, self.kind, field))

    def initial(self, entries: Sequence[Entry]) -> bytes:
        return b"".join(self.stored("ADDED", entry.value) for entry in entries)

    def error(self, err: StatusError) -> bytes:
        return pb.watch_event("ERROR", pb.encode_status(textsafe.scrub(err.to_status())))
