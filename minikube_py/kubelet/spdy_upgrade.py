"""Taking an HTTP connection over for a SPDY/3.1 session (:mod:`minikube_py.util.spdy`).

Two ways in, as kube-apiserver accepts them:
- websocket with subprotocol ``SPDY/3.1+<protocol>`` (kubectl 1.31+ ``port-forward``): the
  SPDY bytes travel in binary messages (client-go's TunnelingConnection);
- ``Connection: Upgrade``/``Upgrade: SPDY/3.1`` with ``X-Stream-Protocol-Version`` naming the
  protocols the client speaks (kubectl before 1.31 ``port-forward``, before 1.30 ``exec``):
  a 101 answer naming the chosen one, then raw SPDY on the connection. aiohttp's protocol
  hands the bytes to a payload parser we install, as it does for its own websockets.

:func:`serve_spdy` runs the session until the peer goes; ``on_stream`` is called for every
stream the client opens and must not block (it starts its own tasks).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import WSMsgType, web

from minikube_py.util import jsonutil
from minikube_py.util.spdy import ProtocolError, SpdySession, SpdyStream

log = logging.getLogger(__name__)
SPDY_UPGRADE = "SPDY/3.1"
TUNNEL_PREFIX = "SPDY/3.1+"
PAUSE_AT = 64  # chunks waiting for the session before the socket stops being read

OnStream = Callable[[SpdyStream], Awaitable[None]]


def _status(code: int, reason: str, message: str) -> web.Response:
    body = jsonutil.dumps_go({"kind": "Status", "apiVersion": "v1", "metadata": {},
                              "status": "Failure", "message": message, "reason": reason,
                              "details": {}, "code": code}) + b"\n"
    return web.Response(status=code, body=body, content_type="application/json")


def offered_protocols(request: web.BaseRequest) -> list[str]:
    """The X-Stream-Protocol-Version values of an SPDY upgrade, in the client's order."""
    out: list[str] = []
    for value in request.headers.getall("X-Stream-Protocol-Version", []):
        out.extend(p.strip() for p in value.split(",") if p.strip())
    return out


async def serve_spdy(request: web.BaseRequest, protocols: tuple[str, ...],
                     on_stream: Callable[[str], OnStream],
                     tunnel: bool = True) -> web.StreamResponse:
    """Upgrade ``request`` to SPDY speaking one of ``protocols`` (best first) and serve it.

    ``on_stream(protocol)`` gives the stream callback for the protocol chosen."""
    upgrade = request.headers.get("Upgrade", "").lower()
    if upgrade == "websocket" and tunnel:
        ws = web.WebSocketResponse(protocols=tuple(TUNNEL_PREFIX + p for p in protocols))
        await ws.prepare(request)
        if not ws.ws_protocol:
            await ws.close(message=b"no supported subprotocol")
            return ws
        session = SpdySession(ws.send_bytes, on_stream(ws.ws_protocol[len(TUNNEL_PREFIX):]))
        try:
            async for msg in ws:
                if msg.type is WSMsgType.BINARY:
                    await session.feed(msg.data)
        except ProtocolError as exc:
            log.info("SPDY session over websocket ended: %s", exc)
        finally:
            session.close()
            await ws.close()
        return ws
    if upgrade != SPDY_UPGRADE.lower():
        return _status(400, "BadRequest", "this subresource needs a websocket "
                       "(SPDY/3.1+...) or an SPDY/3.1 upgrade")
    offered = offered_protocols(request)
    chosen = next((p for p in protocols if p in offered), None)
    if chosen is None:
        return _status(403, "Forbidden", f"unable to upgrade: none of the client's "
                       f"protocols {offered} is supported: {list(protocols)}")
    return await _raw_session(request, chosen, on_stream(chosen))


class _RawParser:
    """What aiohttp's protocol feeds once the connection is SPDY: bytes into a queue."""

    def __init__(self, queue: asyncio.Queue[bytes | None], transport: Any) -> None:
        self._queue = queue
        self._transport = transport
        self.paused = False

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self._queue.put_nowait(bytes(data))
        if self._queue.qsize() >= PAUSE_AT and not self.paused and self._transport is not None:
            self.paused = True
            self._transport.pause_reading()
        return False, b""

    def feed_eof(self) -> None:
        self._queue.put_nowait(None)

    def resume(self) -> None:
        if self.paused and self._queue.qsize() < PAUSE_AT // 2:
            self.paused = False
            with contextlib.suppress(Exception):
                self._transport.resume_reading()


async def _raw_session(request: web.BaseRequest, protocol: str,
                       on_stream: OnStream) -> web.StreamResponse:
    resp = web.StreamResponse(status=101, headers={
        "Connection": "Upgrade", "Upgrade": SPDY_UPGRADE,
        "X-Stream-Protocol-Version": protocol})
    resp.force_close()
    await resp.prepare(request)
    transport = request.transport
    queue: asyncio.Queue[bytes | None] = asyncio.Queue()
    parser = _RawParser(queue, transport)
    request.protocol.set_parser(parser)  # type: ignore[arg-type]

    async def send(frame: bytes) -> None:
        if transport is None or transport.is_closing():
            raise ConnectionResetError("the client went away")
        transport.write(frame)
        drain = getattr(request.protocol, "_drain_helper", None)
        if drain is not None and transport.get_write_buffer_size() > 1 << 20:
            await drain()

    session = SpdySession(send, on_stream)
    try:
        while True:
            chunk = await queue.get()
            if chunk is None:
                break
            parser.resume()
            await session.feed(chunk)
    except (ProtocolError, ConnectionError) as exc:
        log.info("SPDY session ended: %s", exc)
    finally:
        session.close()
        if transport is not None:
            transport.close()
    return resp
