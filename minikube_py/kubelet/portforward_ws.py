"""``pods/portforward`` over websocket channels (``v4.channel.k8s.io``), as the kubelet's
websocket port-forward serves the official clients (and ``minikube-py port-forward``).

One websocket is one connection to each port of the ``ports`` query: port i has data channel
2i and error channel 2i+1; each binary message is a channel byte then data, and both channels
of a port open with the port number (2 bytes, little-endian). What goes wrong reaching a port
is text on its error channel. The websocket closes once every port's connection has ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .serving import ForwardError, dial_pod

if TYPE_CHECKING:
    from .kubelet import Kubelet

log = logging.getLogger(__name__)
CHANNEL_PROTOCOLS = ("v4.channel.k8s.io", "portforward.k8s.io")
READ_SIZE = 1 << 16
Object = dict[str, Any]


async def serve_channels(request: web.BaseRequest, kubelet: Kubelet, pod: Object,
                         ports: list[int]) -> web.StreamResponse:
    ws = web.WebSocketResponse(protocols=CHANNEL_PROTOCOLS)
    await ws.prepare(request)
    if not ports:
        await ws.close(message=b"no ports given (ports=N)")
        return ws
    writers: dict[int, asyncio.StreamWriter] = {}
    pumps: list[asyncio.Task[None]] = []
    meta = pod["metadata"]
    for index, port in enumerate(ports):
        head = struct.pack("<H", port)
        await ws.send_bytes(bytes([2 * index]) + head)
        await ws.send_bytes(bytes([2 * index + 1]) + head)
        try:
            reader, writer = await dial_pod(kubelet, pod, port)
        except ForwardError as exc:
            await ws.send_bytes(bytes([2 * index + 1]) + str(exc).encode())
            continue
        writers[2 * index] = writer
        pumps.append(asyncio.get_running_loop().create_task(
            _download(ws, reader, 2 * index), name=f"portforward-ws-{meta.get('name')}-{port}"))

    async def upload() -> None:
        async for msg in ws:
            if msg.type is not WSMsgType.BINARY or not msg.data:
                continue
            writer = writers.get(msg.data[0])
            if writer is not None and not writer.is_closing():
                writer.write(msg.data[1:])
                await writer.drain()

    uploading = asyncio.get_running_loop().create_task(upload(), name="portforward-ws-upload")
    try:
        if pumps:
            downloads = asyncio.ensure_future(_all(pumps))
            await asyncio.wait([uploading, downloads], return_when=asyncio.FIRST_COMPLETED)
            downloads.cancel()
    finally:
        for task in (uploading, *pumps):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for writer in writers.values():
            writer.close()
        await ws.close()
    return ws


async def _all(tasks: list[asyncio.Task[None]]) -> None:
    await asyncio.gather(*tasks)


async def _download(ws: web.WebSocketResponse, reader: asyncio.StreamReader,
                    channel: int) -> None:
    prefix = bytes([channel])
    with contextlib.suppress(ConnectionError):
        while chunk := await reader.read(READ_SIZE):
            await ws.send_bytes(prefix + chunk)
