"""SPDY/3.1 framing, the server side of what kubectl's streaming speaks.

kubectl's ``port-forward`` (every version) and ``exec``/``attach`` before 1.30 open one SPDY
session per command and one stream per data channel, with the header block carrying the
stream's role (``streamtype``, ``port``, ``requestid``). kubectl 1.31+ tunnels the same bytes
through websocket binary messages (subprotocol ``SPDY/3.1+portforward.k8s.io``); older ones
upgrade the HTTP connection to ``SPDY/3.1``. Either way the session here sees a byte stream
(:meth:`SpdySession.feed`) and writes frames through an async ``send``.

What is implemented is what the moby/spdystream peers Kubernetes uses exercise: SYN_STREAM,
SYN_REPLY, RST_STREAM, DATA (with FIN), PING (echoed), GOAWAY, HEADERS; SETTINGS and
WINDOW_UPDATE are read and ignored, as spdystream does no flow control. Header blocks are
zlib-compressed with the SPDY/3 dictionary, one compression context per direction per
session. Back-pressure: :meth:`SpdySession.feed` returns only once each data frame has been
taken by its stream's bounded queue, so a slow consumer stops the reading of the session.
"""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import Awaitable, Callable

VERSION = 3
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS = 1, 2, 3, 4
PING, GOAWAY, HEADERS, WINDOW_UPDATE = 6, 7, 8, 9
FLAG_FIN = 0x01
MAX_FRAME = (1 << 24) - 1
CHUNK = 1 << 16  # data written in frames of at most this
RST_PROTOCOL_ERROR, RST_INVALID_STREAM, RST_CANCEL = 1, 2, 5


def _dictionary() -> bytes:
    """The SPDY/3 header compression dictionary (draft-mbelshe-httpbis-spdy-00 §2.6.10.1):
    length-prefixed common header names and values, then a run of common value text."""
    words = (
        "options head post put delete trace accept accept-charset accept-encoding "
        "accept-language accept-ranges age allow authorization cache-control connection "
        "content-base content-encoding content-language content-length content-location "
        "content-md5 content-range content-type date etag expect expires from host if-match "
        "if-modified-since if-none-match if-range if-unmodified-since last-modified location "
        "max-forwards pragma proxy-authenticate proxy-authorization range referer retry-after "
        "server te trailer transfer-encoding upgrade user-agent vary via warning "
        "www-authenticate method get status 200~OK version HTTP/1.1 url public set-cookie "
        "keep-alive origin"
    ).split(" ")
    out = bytearray()
    for word in words:
        part = word.replace("~", " ")
        out += struct.pack(">I", len(part)) + part.encode()
    out += (
        b"100101201202205206300302303304305306307402405406407408409410411412413414415416417"
        b"502504505203 Non-Authoritative Information204 No Content301 Moved Permanently"
        b"400 Bad Request401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error"
        b"501 Not Implemented503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct "
        b"Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,"
        b"image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
        b"text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8"
        b"charset=iso-8859-1,utf-,*,enq=0."
    )
    return bytes(out)


DICTIONARY = _dictionary()


class ProtocolError(Exception):
    """The peer sent something that is not SPDY/3.1: the session ends."""


def encode_headers(deflate: zlib._Compress, headers: dict[str, str]) -> bytes:
    block = bytearray(struct.pack(">I", len(headers)))
    for name, value in headers.items():
        key, val = name.lower().encode(), value.encode()
        block += struct.pack(">I", len(key)) + key + struct.pack(">I", len(val)) + val
    return deflate.compress(bytes(block)) + deflate.flush(zlib.Z_SYNC_FLUSH)


def decode_headers(inflate: zlib._Decompress, data: bytes) -> dict[str, str]:
    try:
        block = inflate.decompress(data)
    except zlib.error as exc:
        raise ProtocolError(f"bad header block: {exc}") from None
    try:
        (count,) = struct.unpack_from(">I", block, 0)
        offset, headers = 4, {}
        for _ in range(count):
            (n,) = struct.unpack_from(">I", block, offset)
            name = block[offset + 4:offset + 4 + n].decode("latin-1").lower()
            offset += 4 + n
            (n,) = struct.unpack_from(">I", block, offset)
            value = block[offset + 4:offset + 4 + n].decode("latin-1")
            offset += 4 + n
            # Several values of one name are NUL-separated; the first is what callers need.
            headers[name] = value.split("\x00", 1)[0]
    except struct.error:
        raise ProtocolError("truncated header block") from None
    return headers


def control_frame(kind: int, flags: int, payload: bytes) -> bytes:
    return struct.pack(">HHI", 0x8000 | VERSION, kind, (flags << 24) | len(payload)) + payload


def data_frame(stream_id: int, flags: int, payload: bytes) -> bytes:
    return struct.pack(">II", stream_id & 0x7FFFFFFF, (flags << 24) | len(payload)) + payload


class SpdyStream:
    """One stream of a session: its headers, what the peer sent (``read``), what we send."""

    QUEUE = 16

    def __init__(self, session: SpdySession, stream_id: int, headers: dict[str, str]) -> None:
        self.session = session
        self.id = stream_id
        self.headers = headers
        self._incoming: asyncio.Queue[bytes | None] = asyncio.Queue(self.QUEUE)
        self.remote_closed = False  # the peer sent FIN or reset the stream
        self.local_closed = False
        self.reset = False
        self.discard = False  # nobody reads this stream: drop its data

    async def read(self) -> bytes:
        """The next data the peer sent; b"" once it has closed its side."""
        if self.remote_closed and self._incoming.empty():
            return b""
        chunk = await self._incoming.get()
        if chunk is None:
            self.remote_closed = True
            return b""
        return chunk

    async def reply(self) -> None:
        await self.session.send_control(
            SYN_REPLY, 0, lambda h: struct.pack(">I", self.id) + h, {})

    async def write(self, data: bytes) -> None:
        if self.local_closed or self.reset:
            return
        view = memoryview(data)
        for start in range(0, len(view), CHUNK):
            await self.session.send(data_frame(self.id, 0, bytes(view[start:start + CHUNK])))

    async def close(self) -> None:
        """Half-close: a FIN; the peer may still send."""
        if self.local_closed or self.reset:
            return
        self.local_closed = True
        await self.session.send(data_frame(self.id, FLAG_FIN, b""))
        self.session.forget_if_done(self)

    async def abort(self, status: int = RST_CANCEL) -> None:
        if self.reset:
            return
        self.reset = self.local_closed = True
        await self.session.send(control_frame(RST_STREAM, 0, struct.pack(">II", self.id, status)))
        self._deliver_eof()
        self.session.streams.pop(self.id, None)

    async def _deliver(self, chunk: bytes) -> None:
        if not self.discard and not self.remote_closed:
            await self._incoming.put(chunk)

    def _deliver_eof(self) -> None:
        if not self.remote_closed:
            self.remote_closed = True
            try:
                self._incoming.put_nowait(None)
            except asyncio.QueueFull:
                pass  # the reader finds remote_closed once it has drained the queue


class SpdySession:
    """The server end of one SPDY/3.1 session over a byte stream."""

    def __init__(self, send: Callable[[bytes], Awaitable[None]],
                 on_stream: Callable[[SpdyStream], Awaitable[None]]) -> None:
        self._send = send
        self._on_stream = on_stream
        self._inflate = zlib.decompressobj(zdict=DICTIONARY)
        self._deflate = zlib.compressobj(zdict=DICTIONARY)
        self._buffer = bytearray()
        self._lock = asyncio.Lock()
        self.streams: dict[int, SpdyStream] = {}
        self.closed = False

    async def send(self, frame: bytes) -> None:
        if self.closed:
            return
        async with self._lock:
            await self._send(frame)

    async def send_control(self, kind: int, flags: int, build: Callable[[bytes], bytes],
                           headers: dict[str, str]) -> None:
        # The compression context is shared: compress and write under one lock, in order.
        if self.closed:
            return
        async with self._lock:
            block = encode_headers(self._deflate, headers)
            await self._send(control_frame(kind, flags, build(block)))

    def forget_if_done(self, stream: SpdyStream) -> None:
        if stream.local_closed and stream.remote_closed:
            self.streams.pop(stream.id, None)

    async def feed(self, data: bytes) -> None:
        """Take bytes from the peer; dispatch every whole frame they complete."""
        self._buffer += data
        while len(self._buffer) >= 8:
            (word, flags_length) = struct.unpack_from(">II", self._buffer, 0)
            length = flags_length & 0xFFFFFF
            if len(self._buffer) < 8 + length:
                return
            flags = flags_length >> 24
            payload = bytes(self._buffer[8:8 + length])
            del self._buffer[:8 + length]
            if word & 0x80000000:
                version, kind = (word >> 16) & 0x7FFF, word & 0xFFFF
                if version != VERSION:
                    raise ProtocolError(f"SPDY version {version}, not 3")
                await self._control(kind, flags, payload)
            else:
                await self._data(word & 0x7FFFFFFF, flags, payload)

    async def _data(self, stream_id: int, flags: int, payload: bytes) -> None:
        stream = self.streams.get(stream_id)
        if stream is None:
            return  # a stream we reset or closed: its late data is dropped
        if payload:
            await stream._deliver(payload)
        if flags & FLAG_FIN:
            stream._deliver_eof()
            self.forget_if_done(stream)

    async def _control(self, kind: int, flags: int, payload: bytes) -> None:
        if kind == SYN_STREAM:
            if len(payload) < 10:
                raise ProtocolError("short SYN_STREAM")
            stream_id = struct.unpack_from(">I", payload, 0)[0] & 0x7FFFFFFF
            headers = decode_headers(self._inflate, payload[10:])
            if stream_id in self.streams or stream_id % 2 == 0:
                await self.send(control_frame(
                    RST_STREAM, 0, struct.pack(">II", stream_id, RST_PROTOCOL_ERROR)))
                return
            stream = SpdyStream(self, stream_id, headers)
            self.streams[stream_id] = stream
            if flags & FLAG_FIN:
                stream._deliver_eof()
            await self._on_stream(stream)
        elif kind == RST_STREAM:
            if len(payload) >= 4:
                stream_id = struct.unpack_from(">I", payload, 0)[0] & 0x7FFFFFFF
                gone = self.streams.pop(stream_id, None)
                if gone is not None:
                    gone.reset = gone.local_closed = True
                    gone._deliver_eof()
        elif kind == HEADERS:
            if len(payload) >= 4:
                stream_id = struct.unpack_from(">I", payload, 0)[0] & 0x7FFFFFFF
                extra = decode_headers(self._inflate, payload[4:])
                if stream_id in self.streams:
                    self.streams[stream_id].headers.update(extra)
        elif kind == PING:
            await self.send(control_frame(PING, 0, payload))
        elif kind == GOAWAY:
            self.close()
        elif kind == SYN_REPLY:
            decode_headers(self._inflate, payload[4:])  # keep the shared context in step
        # SETTINGS, WINDOW_UPDATE and unknown kinds: ignored, as the spec asks for unknowns.

    def close(self) -> None:
        """The session ends: every stream sees the end of its input."""
        if self.closed:
            return
        self.closed = True
        for stream in list(self.streams.values()):
            stream._deliver_eof()
        self.streams.clear()
