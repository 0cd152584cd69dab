"""The SPDY/3.1 session of kubectl's port-forward and old exec, against a client built here
from the spec's frame layouts (zlib header blocks with the SPDY/3 dictionary)."""

from __future__ import annotations

import asyncio
import hashlib
import struct
import zlib

import pytest

from minikube_py.util import spdy

# sha256 of the dictionary as printed in draft-mbelshe-httpbis-spdy-00 §2.6.10.1 (1423 bytes).
DICTIONARY_SHA256 = "51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02"


class Client:
    """The peer: writes frames as spdystream does, reads what the session sends."""

    def __init__(self) -> None:
        self.deflate = zlib.compressobj(zdict=spdy.DICTIONARY)
        self.inflate = zlib.decompressobj(zdict=spdy.DICTIONARY)
        self.sent: list[bytes] = []

    async def receive(self, frame: bytes) -> None:
        self.sent.append(frame)

    def syn_stream(self, stream_id: int, headers: dict[str, str], fin: bool = False) -> bytes:
        block = spdy.encode_headers(self.deflate, headers)
        payload = struct.pack(">IIH", stream_id, 0, 0) + block
        return spdy.control_frame(spdy.SYN_STREAM, spdy.FLAG_FIN if fin else 0, payload)

    def frames(self) -> list[tuple[str, int, int, bytes]]:
        """(kind, stream or control type, flags, payload) of everything received."""
        out = []
        data = b"".join(self.sent)
        while data:
            word, flags_length = struct.unpack_from(">II", data)
            length, flags = flags_length & 0xFFFFFF, flags_length >> 24
            payload, data = data[8:8 + length], data[8 + length:]
            if word & 0x80000000:
                out.append(("control", word & 0xFFFF, flags, payload))
            else:
                out.append(("data", word, flags, payload))
        return out


def test_the_dictionary_is_the_specs() -> None:
    assert len(spdy.DICTIONARY) == 1423
    assert hashlib.sha256(spdy.DICTIONARY).hexdigest() == DICTIONARY_SHA256


def test_header_blocks_round_trip_through_one_context() -> None:
    deflate = zlib.compressobj(zdict=spdy.DICTIONARY)
    inflate = zlib.decompressobj(zdict=spdy.DICTIONARY)
    for i in range(3):  # the contexts are stateful: later blocks depend on earlier ones
        headers = {"streamtype": "data", "port": str(8080 + i), "requestid": str(i)}
        assert spdy.decode_headers(inflate, spdy.encode_headers(deflate, headers)) == headers


async def test_streams_are_offered_replied_and_carry_data_both_ways() -> None:
    client = Client()
    seen: list[spdy.SpdyStream] = []

    async def on_stream(stream: spdy.SpdyStream) -> None:
        seen.append(stream)
        await stream.reply()

    session = spdy.SpdySession(client.receive, on_stream)
    # Two frames in one write, the second split across two: framing is by length.
    wire = client.syn_stream(1, {"streamtype": "data", "port": "80"}) + \
        spdy.data_frame(1, 0, b"hello") + spdy.data_frame(1, spdy.FLAG_FIN, b"!")
    await session.feed(wire[:-3])
    await session.feed(wire[-3:])
    (stream,) = seen
    assert stream.headers == {"streamtype": "data", "port": "80"}
    assert await stream.read() == b"hello"
    assert await stream.read() == b"!"
    assert await stream.read() == b""
    await stream.write(b"x" * (spdy.CHUNK + 1))
    await stream.close()
    frames = client.frames()
    assert frames[0][:2] == ("control", spdy.SYN_REPLY)
    assert struct.unpack(">I", frames[0][3][:4])[0] == 1
    assert spdy.decode_headers(client.inflate, frames[0][3][4:]) == {}
    assert [(k, s, len(p)) for k, s, _, p in frames[1:3]] == \
        [("data", 1, spdy.CHUNK), ("data", 1, 1)]
    assert frames[3] == ("data", 1, spdy.FLAG_FIN, b"")
    assert 1 not in session.streams  # both sides closed: forgotten


async def test_ping_is_echoed_and_reset_ends_the_stream() -> None:
    client = Client()
    seen: list[spdy.SpdyStream] = []

    async def on_stream(stream: spdy.SpdyStream) -> None:
        seen.append(stream)

    session = spdy.SpdySession(client.receive, on_stream)
    await session.feed(spdy.control_frame(spdy.PING, 0, struct.pack(">I", 7)))
    await session.feed(client.syn_stream(3, {"streamtype": "error"}))
    await session.feed(spdy.control_frame(spdy.RST_STREAM, 0, struct.pack(">II", 3, 5)))
    assert client.frames() == [("control", spdy.PING, 0, struct.pack(">I", 7))]
    assert await seen[0].read() == b"" and seen[0].reset


async def test_a_slow_reader_holds_the_session_back() -> None:
    """feed() returns only once the stream's bounded queue took the data: back-pressure."""
    client = Client()
    seen: list[spdy.SpdyStream] = []

    async def on_stream(stream: spdy.SpdyStream) -> None:
        seen.append(stream)

    session = spdy.SpdySession(client.receive, on_stream)
    await session.feed(client.syn_stream(1, {"streamtype": "data"}))
    chunks = b"".join(spdy.data_frame(1, 0, b"%d" % i) for i in range(40))
    feeding = asyncio.ensure_future(session.feed(chunks))
    await asyncio.sleep(0.05)
    assert not feeding.done()  # the queue holds 16; nobody reads
    got = [await seen[0].read() for _ in range(40)]
    await asyncio.wait_for(feeding, 1)
    assert got == [b"%d" % i for i in range(40)]


async def test_garbage_is_a_protocol_error() -> None:
    async def on_stream(stream: spdy.SpdyStream) -> None:
        return

    session = spdy.SpdySession(Client().receive, on_stream)
    with pytest.raises(spdy.ProtocolError):
        await session.feed(struct.pack(">HHI", 0x8000 | 2, spdy.PING, 4) + b"\0\0\0\1")
    with pytest.raises(spdy.ProtocolError):
        await spdy.SpdySession(Client().receive, on_stream).feed(
            spdy.control_frame(spdy.SYN_STREAM, 0, struct.pack(">IIH", 1, 0, 0) + b"nozlib"))
