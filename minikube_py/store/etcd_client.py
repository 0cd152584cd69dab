"""A small asyncio client of etcd's v3 API, through its gRPC gateway (JSON over HTTP).

The etcd storage backend (``etcd.py``) is its only user. etcd serves every v3 RPC also as
``POST /v3/<service>/<method>`` with the protobuf messages in their JSON form (bytes in
base64, 64-bit numbers as strings); ``/v3/watch`` answers with a stream of JSON messages, one
a line. aiohttp is already the apiserver's HTTP library, so this needs no generated stubs and
no new dependency; keep-alive connections to the endpoints carry the requests.

Several endpoints (``etcd://a:2379,b:2379``) are tried in turn: a request that cannot connect
moves to the next one. TLS client certificates come in an ``ssl.SSLContext``.

Errors (the only ones this module raises)::

    EtcdError                 an error answer of etcd (code, message)
    ├── EtcdCompacted         the revision asked for is compacted (code 11, OutOfRange)
    └── EtcdUnavailable       no endpoint could be reached
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from minikube_py.util import jsonutil

COMPACTED = "required revision has been compacted"
PAGE = 5000  # keys per range request when reading a whole prefix


class EtcdError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"etcd: {message} (code {code})")
        self.code = code
        self.message = message


class EtcdCompacted(EtcdError):
    """The revision asked for is older than etcd's compacted revision."""

    def __init__(self, message: str, compact_revision: int = 0) -> None:
        super().__init__(11, message)
        self.compact_revision = compact_revision


class EtcdUnavailable(EtcdError):
    def __init__(self, message: str) -> None:
        super().__init__(14, message)


def b64(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.b64encode(raw).decode()


def unb64(text: str | None) -> bytes:
    return base64.b64decode(text) if text else b""


@dataclass(frozen=True)
class KeyValue:
    key: str
    value: bytes
    create_revision: int
    mod_revision: int

    @classmethod
    def of(cls, kv: dict[str, Any]) -> KeyValue:
        return cls(unb64(kv.get("key")).decode(), unb64(kv.get("value")),
                   int(kv.get("create_revision", 0)), int(kv.get("mod_revision", 0)))


@dataclass(frozen=True)
class WatchEvent:
    type: str  # "PUT" | "DELETE"
    kv: KeyValue
    prev: KeyValue | None


@dataclass(frozen=True)
class WatchResponse:
    """One message of a watch stream: events, a progress notification (no events: every
    change up to ``revision`` has been sent), or the watch's end (``canceled``)."""

    revision: int
    events: list[WatchEvent] = field(default_factory=list)
    created: bool = False
    canceled: bool = False
    compact_revision: int = 0
    reason: str = ""


def parse_endpoints(text: str, *, tls: bool) -> list[str]:
    """``etcd://a:2379,b:2379`` (or ``a:2379,b:2379``) -> base URLs."""
    rest = text.split("://", 1)[1] if "://" in text else text
    scheme = "https" if tls or text.startswith(("https://", "etcds://")) else "http"
    hosts = [h.strip().rstrip("/") for h in rest.split(",") if h.strip()]
    if not hosts:
        raise ValueError(f"invalid etcd address {text!r}: want etcd://HOST:PORT[,HOST:PORT...]")
    for host in hosts:
        if ":" not in host or not host.rsplit(":", 1)[1].isdigit():
            raise ValueError(f"invalid etcd endpoint {host!r} in {text!r}: want HOST:PORT")
    return [f"{scheme}://{h}" for h in hosts]


def tls_context(cafile: str | None, certfile: str | None,
                keyfile: str | None) -> ssl.SSLContext | None:
    """A client context for TLS endpoints (None when no TLS option is given)."""
    if not (cafile or certfile or keyfile):
        return None
    ctx = ssl.create_default_context(cafile=cafile)
    if certfile:
        ctx.load_cert_chain(certfile, keyfile)
    return ctx


class EtcdClient:
    """KV, compaction, status and watch over the gateway of ``endpoints``."""

    def __init__(self, endpoints: list[str], *, ssl_context: ssl.SSLContext | None = None,
                 timeout: float = 30.0) -> None:
        self.endpoints = list(endpoints)
        self._current = 0
        self._ssl = ssl_context
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=64, ssl=self._ssl if self._ssl else False)
            self._session = aiohttp.ClientSession(connector=connector, json_serialize=json.dumps)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``body`` to ``/v3/<path>`` on the first endpoint that answers."""
        data = jsonutil.dumps(body)
        last: Exception | None = None
        for attempt in range(len(self.endpoints)):
            base = self.endpoints[(self._current + attempt) % len(self.endpoints)]
            try:
                async with self._http().post(
                        f"{base}/v3/{path}", data=data,
                        headers={"Content-Type": "application/json"},
                        timeout=aiohttp.ClientTimeout(total=self._timeout)) as resp:
                    answer: dict[str, Any] = await resp.json(content_type=None)
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                last = exc
                continue
            self._current = (self._current + attempt) % len(self.endpoints)
            if "error" in answer or resp.status != 200:
                raise _error(answer)
            return answer
        raise EtcdUnavailable(f"no etcd endpoint answers ({', '.join(self.endpoints)}): "
                              f"{last or 'no endpoint'}")

    # -- KV ----------------------------------------------------------------------------------

    async def range(self, key: str, range_end: str | None = None, *, revision: int = 0,
                    limit: int = 0) -> tuple[list[KeyValue], int, bool]:
        """(kvs, revision of the read, more) of ``[key, range_end)``."""
        body: dict[str, Any] = {"key": b64(key)}
        if range_end is not None:
            body["range_end"] = b64(range_end)
        if revision:
            body["revision"] = str(revision)
        if limit:
            body["limit"] = str(limit)
        answer = await self.call("kv/range", body)
        kvs = [KeyValue.of(kv) for kv in answer.get("kvs", [])]
        return kvs, int(answer["header"]["revision"]), bool(answer.get("more"))

    async def range_all(self, key: str, range_end: str, *,
                        revision: int = 0) -> tuple[list[KeyValue], int]:
        """Every key of ``[key, range_end)`` at one revision (read in pages)."""
        out: list[KeyValue] = []
        start = key
        while True:
            kvs, rev, more = await self.range(start, range_end, revision=revision, limit=PAGE)
            revision = revision or rev  # later pages read at the first page's revision
            out.extend(kvs)
            if not more or not kvs:
                return out, revision
            start = kvs[-1].key + "\0"

    async def txn(self, compare: list[dict[str, Any]], success: list[dict[str, Any]],
                  failure: list[dict[str, Any]]) -> dict[str, Any]:
        return await self.call("kv/txn", {"compare": compare, "success": success,
                                          "failure": failure})

    async def compact(self, revision: int) -> None:
        try:
            await self.call("kv/compaction", {"revision": str(revision)})
        except EtcdCompacted:  # someone (another apiserver) compacted further already
            pass

    async def status(self) -> dict[str, Any]:
        return await self.call("maintenance/status", {})

    # -- watch -------------------------------------------------------------------------------

    async def watch(self, key: str, range_end: str, *, start_revision: int,
                    prev_kv: bool = True,
                    progress_notify: bool = True) -> AsyncIterator[WatchResponse]:
        """The responses of one watch on the current endpoint, until the stream ends
        (the caller re-watches from the last revision it saw)."""
        base = self.endpoints[self._current]
        request = {"create_request": {"key": b64(key), "range_end": b64(range_end),
                                      "start_revision": str(start_revision),
                                      "prev_kv": prev_kv, "progress_notify": progress_notify}}
        try:
            async with self._http().post(
                    f"{base}/v3/watch", data=jsonutil.dumps(request),
                    headers={"Content-Type": "application/json"},
                    timeout=aiohttp.ClientTimeout(total=None, sock_connect=self._timeout)) as resp:
                if resp.status != 200:
                    raise _error(await resp.json(content_type=None))
                _keepalive(resp)
                buffer = b""
                async for chunk in resp.content.iter_any():
                    buffer += chunk
                    while (end := buffer.find(b"\n")) >= 0:
                        line, buffer = buffer[:end], buffer[end + 1:]
                        if line.strip():
                            yield _watch_response(jsonutil.loads(line))
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
            # (a stream cut mid-message is a payload error; a torn line a ValueError)
            self._current = (self._current + 1) % len(self.endpoints)
            raise EtcdUnavailable(f"etcd watch on {base} broke: {exc!r}") from exc


KEEPALIVE = (10, 5, 3)  # idle seconds, probe interval, probes: a dead peer is found in ~25 s


def _keepalive(resp: aiohttp.ClientResponse) -> None:
    """TCP keepalive on a watch's connection: a watch waits for events indefinitely, so an
    etcd that vanished without closing (host down, network cut) is noticed by the kernel and
    the watch moves to the next endpoint, instead of hanging until the next write."""
    conn = resp.connection
    sock = conn.transport.get_extra_info("socket") if conn and conn.transport else None
    if sock is None:
        return
    idle, interval, count = KEEPALIVE
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, idle)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, interval)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, count)


def _watch_response(message: dict[str, Any]) -> WatchResponse:
    if "error" in message:
        raise _error(message["error"] if isinstance(message["error"], dict) else message)
    result = message.get("result") or {}
    header = result.get("header") or {}
    events = [WatchEvent(e.get("type", "PUT"), KeyValue.of(e["kv"]),
                         KeyValue.of(e["prev_kv"]) if e.get("prev_kv") else None)
              for e in result.get("events", [])]
    return WatchResponse(int(header.get("revision", 0)), events,
                         created=bool(result.get("created")),
                         canceled=bool(result.get("canceled")),
                         compact_revision=int(result.get("compact_revision", 0)),
                         reason=str(result.get("cancel_reason", "")))


def _error(answer: dict[str, Any]) -> EtcdError:
    message = str(answer.get("message") or answer.get("error") or answer)
    code = int(answer.get("code", 2))
    if COMPACTED in message:
        return EtcdCompacted(message)
    if code == 14:
        return EtcdUnavailable(message)
    return EtcdError(code, message)
