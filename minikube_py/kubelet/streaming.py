"""``pods/log`` and ``pods/exec`` through the API: the apiserver's handlers for these
subresources find the pod's node's kubelet in this process (:data:`.kubelet.KUBELETS`) and
stream from its runtime, as kube-apiserver proxies them to the kubelet's port.

pods/log: ``container``, ``follow``, ``previous``, ``tailLines``, ``sinceSeconds``,
``timestamps``; text/plain, streamed while following. pods/exec: the websocket channel
protocol kubectl speaks (``v5.channel.k8s.io``, ``v4.channel.k8s.io``): each binary message is
a channel byte then data: 0 stdin, 1 stdout, 2 stderr, 3 the final metav1.Status (exit code in
``details.causes[ExitCode]``), 4 terminal resize; v5's channel 255 closes a stream (stdin).
A kubelet in its own process (``minikube-py kubelet``) is not reachable for either.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import WSMsgType, web

from minikube_py.api.errors import BadRequest, NotFound, ServiceUnavailable
from minikube_py.api.registry import ResourceType
from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.util import jsonutil

from .kubelet import KUBELETS, Kubelet
from .runtime.base import (
    LABEL_CONTAINER_NAME,
    LABEL_POD_UID,
    ContainerRuntimeError,
    ContainerStatus,
    OutputStream,
)

log = logging.getLogger(__name__)
PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
Object = dict[str, Any]


async def _pod(server: Any, req: ApiRequest, info: Any) -> Object:
    got: ApiResponse = await server.handle(ApiRequest(
        method="GET", path=f"/api/v1/namespaces/{info.namespace}/pods/{info.name}",
        user=req.user, accept="application/json"))
    if got.status >= 400:
        raise NotFound(f'pods "{info.name}" not found')
    body = got.body if got.body is not None else json.loads(got.raw or b"{}")
    return body  # type: ignore[no-any-return]


def _kubelet(pod: Object) -> Kubelet:
    node = (pod.get("spec") or {}).get("nodeName")
    if not node:
        raise BadRequest(f"pod {pod['metadata']['name']} is not scheduled to a node yet")
    kubelet = KUBELETS.get(str(node))
    if kubelet is None or kubelet.runtime is None:
        raise ServiceUnavailable(f"the kubelet of node {node} is not reachable from the "
                                 "apiserver (it does not run in the daemon)")
    return kubelet


def _container_name(pod: Object, wanted: str) -> str:
    spec = pod.get("spec") or {}
    names = [c["name"] for c in spec.get("containers") or []]
    init = [c["name"] for c in spec.get("initContainers") or []]
    if wanted:
        if wanted not in names and wanted not in init:
            raise BadRequest(f"container {wanted} is not valid for pod "
                             f"{pod['metadata']['name']}")
        return wanted
    if len(names) == 1:
        return str(names[0])
    raise BadRequest(f"a container name must be specified for pod {pod['metadata']['name']}, "
                     f"choose one of: [{' '.join(names)}]"
                     + (f" or one of the init containers: [{' '.join(init)}]" if init else ""))


async def _find(kubelet: Kubelet, pod: Object, name: str, *, previous: bool) -> ContainerStatus:
    assert kubelet.runtime is not None
    found = sorted(await kubelet.runtime.list_containers(
        {LABEL_POD_UID: pod["metadata"]["uid"], LABEL_CONTAINER_NAME: name}),
        key=lambda c: c.attempt)
    index = -2 if previous else -1
    if len(found) < (2 if previous else 1):
        what = "previous terminated container" if previous else "container"
        raise BadRequest(f'{what} "{name}" in pod "{pod["metadata"]["name"]}" not found')
    return found[index]


def _flag(req: ApiRequest, key: str) -> bool:
    return req.query.get(key, "").lower() in ("true", "1")


async def pod_log(server: Any, req: ApiRequest, info: Any, rt: ResourceType) -> ApiResponse:
    pod = await _pod(server, req, info)
    kubelet = _kubelet(pod)
    name = _container_name(pod, req.query.get("container", ""))
    target = await _find(kubelet, pod, name, previous=_flag(req, "previous"))
    try:
        tail = int(req.query["tailLines"]) if "tailLines" in req.query else None
        since_s = int(req.query["sinceSeconds"]) if "sinceSeconds" in req.query else None
    except ValueError as exc:
        raise BadRequest(f"invalid log option: {exc}") from exc
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=since_s) if since_s else None
    runtime = kubelet.runtime
    assert runtime is not None
    chunks = runtime.logs(target.id, follow=_flag(req, "follow"), tail_lines=tail, since=since,
                          timestamps=_flag(req, "timestamps"))
    if not _flag(req, "follow"):
        out = bytearray()
        try:
            async for chunk in chunks:
                out += chunk
        except ContainerRuntimeError as exc:
            raise BadRequest(str(exc)) from exc
        return ApiResponse(200, raw=bytes(out), content_type="text/plain")

    async def stream() -> AsyncIterator[bytes]:
        with contextlib.suppress(ContainerRuntimeError):
            async for chunk in chunks:
                yield chunk
                if req.disconnected():
                    return

    return ApiResponse(200, stream=stream(), content_type="text/plain")


def _status(code: int, command: list[str]) -> Object:
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {"metadata": {}, "status": "Failure", "reason": "NonZeroExitCode",
            "message": f"command terminated with non-zero exit code: error executing command "
                       f"{command}, exit code {code}",
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


async def pod_exec(server: Any, req: ApiRequest, info: Any, rt: ResourceType) -> ApiResponse:
    pod = await _pod(server, req, info)
    kubelet = _kubelet(pod)
    name = _container_name(pod, req.query.get("container", ""))
    target = await _find(kubelet, pod, name, previous=False)
    command = list(req.query_all.get("command") or [])
    if not command:
        raise BadRequest("you must specify at least 1 command")
    stdin, tty = _flag(req, "stdin"), _flag(req, "tty")
    runtime = kubelet.runtime
    assert runtime is not None

    async def serve(request: web.BaseRequest) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            message = ("pods/exec speaks the websocket protocols v5.channel.k8s.io and "
                       "v4.channel.k8s.io only (kubectl >= 1.30), not SPDY")
            body = jsonutil.dumps_go(BadRequest(message).to_status()) + b"\n"
            return web.Response(status=400, body=body, content_type="application/json")
        ws = web.WebSocketResponse(protocols=PROTOCOLS)
        await ws.prepare(request)
        v5 = ws.ws_protocol == PROTOCOLS[0]
        try:
            session = await runtime.exec(target.id, command, stdin=stdin, tty=tty)
        except ContainerRuntimeError as exc:
            await ws.send_bytes(bytes([ERROR]) + json.dumps(
                {"metadata": {}, "status": "Failure", "message": str(exc)}).encode())
            await ws.close()
            return ws

        async def pump_in() -> None:
            async for msg in ws:
                if msg.type is not WSMsgType.BINARY or not msg.data:
                    continue
                channel, data = msg.data[0], msg.data[1:]
                if channel == STDIN and stdin:
                    await session.write(data)
                elif channel == CLOSE and v5 and data[:1] == bytes([STDIN]):
                    await session.close_stdin()

        reader = asyncio.ensure_future(pump_in())
        try:
            async for stream, chunk in session.output():
                channel = STDERR if stream is OutputStream.STDERR else STDOUT
                await ws.send_bytes(bytes([channel]) + chunk)
            code = await session.wait()
            await ws.send_bytes(bytes([ERROR]) + json.dumps(_status(code, command)).encode())
        except (ConnectionError, ContainerRuntimeError) as exc:
            log.info("exec in %s ended: %s", target.id, exc)
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
            await session.close()
            await ws.close()
        return ws

    return ApiResponse(101, upgrade=serve)


def install(server: Any) -> None:
    """Serve pods/log and pods/exec from the kubelets of this process."""
    server.subresource_handlers["log"] = pod_log
    server.subresource_handlers["exec"] = pod_exec
