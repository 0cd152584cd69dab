"""``pods/portforward``: kubectl port-forward through the API, as the kubelet serves it.

The protocol is ``portforward.k8s.io`` over SPDY (:mod:`.spdy_upgrade`): for every local
connection kubectl opens two streams with the same ``requestid`` and ``port`` headers, an
``error`` stream (what went wrong, as text, then closed) and a ``data`` stream (the bytes,
both ways; FIN is a half-close). Each pair becomes one TCP connection to the pod's port:
the pod IP on a routed pod network, the port Docker published on 127.0.0.1 on a published
one (:meth:`Kubelet.dial_address`). kubectl's ``svc/NAME`` and ``deploy/NAME`` forms pick a
pod on the client side and end up here too. The older websocket protocol of the official
clients and ``minikube-py port-forward`` (channels per port) is :mod:`.portforward_ws`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiohttp import web

from minikube_py.api.errors import BadRequest
from minikube_py.api.registry import ResourceType
from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.util.spdy import SpdyStream

from .kubelet import Kubelet
from .portforward_ws import CHANNEL_PROTOCOLS, serve_channels
from .serving import ForwardError, dial_pod, kubelet_of, pod_of
from .spdy_upgrade import serve_spdy

log = logging.getLogger(__name__)
PROTOCOL = "portforward.k8s.io"
PAIR_TIMEOUT = 30.0  # Kubernetes' streamCreationTimeout
READ_SIZE = 1 << 16
Object = dict[str, Any]


def _ports(req: ApiRequest) -> list[int]:
    """The ``ports`` query of the websocket protocol (repeated or comma-separated); SPDY
    clients name theirs per stream instead."""
    out: list[int] = []
    for value in req.query_all.get("ports") or []:
        for raw in str(value).split(","):
            try:
                port = int(raw)
            except ValueError:
                raise BadRequest(f'unable to parse "{raw}" as a port: not a number') from None
            if not 0 < port < 65536:
                raise BadRequest(f"port {port} must be between 1 and 65535")
            out.append(port)
    return out


class PortForwarder:
    """The streams of one port-forward session, paired and spliced to the pod."""

    def __init__(self, kubelet: Kubelet, pod: Object) -> None:
        self.kubelet = kubelet
        self.pod = pod
        self._pairs: dict[str, dict[str, SpdyStream]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def _pod_name(self) -> str:
        meta = self.pod["metadata"]
        return f"{meta.get('namespace')}/{meta.get('name')}"

    async def on_stream(self, stream: SpdyStream) -> None:
        kind = stream.headers.get("streamtype", "")
        if kind not in ("error", "data"):
            await stream.abort()
            return
        await stream.reply()
        request_id = stream.headers.get("requestid")
        if request_id is None:  # clients before requestID: the data stream follows its error
            request_id = str(stream.id if kind == "error" else stream.id - 2)
        pair = self._pairs.setdefault(request_id, {})
        pair[kind] = stream
        if kind == "error":
            stream.discard = True  # the client only closes it
        if len(pair) == 1:
            self._spawn(self._expire(request_id), f"portforward-expire-{request_id}")
        else:
            del self._pairs[request_id]
            self._spawn(self._forward(pair["data"], pair["error"]),
                        f"portforward-{self._pod_name}-{request_id}")

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("port-forward task %s failed", task.get_name(),
                      exc_info=task.exception())

    async def _expire(self, request_id: str) -> None:
        await asyncio.sleep(PAIR_TIMEOUT)
        pair = self._pairs.pop(request_id, None)
        for stream in (pair or {}).values():
            await stream.abort()

    async def _forward(self, data: SpdyStream, error: SpdyStream) -> None:
        raw_port = data.headers.get("port", "")
        try:
            port = int(raw_port)
            if not 0 < port < 65536:
                raise ValueError
        except ValueError:
            await self._fail(data, error, f'invalid port "{raw_port}"')
            return
        try:
            reader, writer = await dial_pod(self.kubelet, self.pod, port)
        except ForwardError as exc:
            await self._fail(data, error, str(exc))
            return
        upload = asyncio.get_running_loop().create_task(
            self._upload(data, writer), name=f"portforward-upload-{self._pod_name}")
        try:
            while True:
                chunk = await reader.read(READ_SIZE)
                if not chunk:
                    break
                await data.write(chunk)
                if data.reset:
                    break
        except ConnectionError:
            pass
        finally:
            with contextlib.suppress(Exception):
                await data.close()
                await error.close()
            await _settle(upload)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _upload(self, data: SpdyStream, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                chunk = await data.read()
                if not chunk:
                    break
                writer.write(chunk)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()
        except ConnectionError:
            pass

    async def _fail(self, data: SpdyStream, error: SpdyStream, message: str) -> None:
        log.info("port-forward: %s", message)
        await error.write(message.encode())
        await error.close()
        await data.close()

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            await _settle(task)


async def _settle(task: asyncio.Task[None]) -> None:
    # A finished task's outcome is logged by the done callback; a waiting one is let go.
    if not task.done():
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task


async def pod_portforward(server: Any, req: ApiRequest, info: Any,
                          rt: ResourceType) -> ApiResponse:
    pod = await pod_of(server, req, info)
    kubelet = kubelet_of(pod)
    if (pod.get("status") or {}).get("phase") not in ("Running",):
        raise BadRequest(f"pod {pod['metadata']['name']} is not running "
                         f"(phase {(pod.get('status') or {}).get('phase') or 'Pending'})")

    ports = _ports(req)

    async def serve(request: web.BaseRequest) -> web.StreamResponse:
        offered = request.headers.get("Sec-WebSocket-Protocol", "")
        if request.headers.get("Upgrade", "").lower() == "websocket" and \
                any(p.strip() in CHANNEL_PROTOCOLS for p in offered.split(",")):
            return await serve_channels(request, kubelet, pod, ports)
        forwarder = PortForwarder(kubelet, pod)
        try:
            return await serve_spdy(request, (PROTOCOL,), lambda _: forwarder.on_stream)
        finally:
            await forwarder.stop()

    return ApiResponse(101, upgrade=serve)
