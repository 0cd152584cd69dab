"""``pods/exec`` over SPDY (``v4.channel.k8s.io``), what kubectl before 1.30 speaks.

The client opens one stream per channel, named by its ``streamtype`` header: ``error``
always, ``stdin``/``stdout``/``stderr`` as the request's flags ask (no ``stderr`` with a
TTY), ``resize`` with a TTY. Once all the expected streams are there the command runs; its
output goes to the stdout/stderr streams, stdin's FIN closes the command's stdin, and the end
is a metav1.Status on the error stream (Success, or NonZeroExitCode with the code in
``details.causes``), as the kubelet's remotecommand server writes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiohttp import web

from minikube_py.util.spdy import SpdyStream

from .runtime.base import ContainerId, ContainerRuntime, ContainerRuntimeError, OutputStream
from .spdy_upgrade import serve_spdy

log = logging.getLogger(__name__)
PROTOCOLS = ("v4.channel.k8s.io",)
STREAM_TIMEOUT = 30.0  # Kubernetes' streamCreationTimeout


class SpdyExec:
    """One exec session: collect the streams, then run the command over them."""

    def __init__(self, runtime: ContainerRuntime, container: ContainerId, command: list[str],
                 *, stdin: bool, stdout: bool, stderr: bool, tty: bool,
                 status: Any) -> None:
        self.runtime, self.container, self.command = runtime, container, command
        self.stdin, self.tty = stdin, tty
        self.expected = {"error"} | {name for name, wanted in (
            ("stdin", stdin), ("stdout", stdout), ("stderr", stderr and not tty),
            ("resize", tty)) if wanted}
        self.streams: dict[str, SpdyStream] = {}
        self._status = status
        self.task: asyncio.Task[None] | None = None

    async def on_stream(self, stream: SpdyStream) -> None:
        kind = stream.headers.get("streamtype", "")
        if kind not in ("error", "stdin", "stdout", "stderr", "resize") or kind in self.streams:
            await stream.abort()
            return
        await stream.reply()
        if kind != "stdin":
            stream.discard = True  # resize sizes are not applied; the rest we only write
        self.streams[kind] = stream
        if self.task is None and self.expected <= set(self.streams):
            self.task = asyncio.get_running_loop().create_task(
                self._run(), name=f"exec-spdy-{self.container}")

    async def _run(self) -> None:
        error = self.streams["error"]
        try:
            session = await self.runtime.exec(self.container, self.command, stdin=self.stdin,
                                              tty=self.tty)
        except ContainerRuntimeError as exc:
            await error.write(json.dumps({"metadata": {}, "status": "Failure",
                                          "message": str(exc)}).encode())
            await self._close_all()
            return
        pump = asyncio.get_running_loop().create_task(
            self._stdin(session), name=f"exec-spdy-stdin-{self.container}")
        try:
            async for stream, chunk in session.output():
                name = "stderr" if stream is OutputStream.STDERR and not self.tty else "stdout"
                out = self.streams.get(name)
                if out is not None:
                    await out.write(chunk)
            code = await session.wait()
            await error.write(json.dumps(self._status(code, self.command)).encode())
        except (ConnectionError, ContainerRuntimeError) as exc:
            log.info("exec in %s ended: %s", self.container, exc)
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pump
            await session.close()
            await self._close_all()

    async def _stdin(self, session: Any) -> None:
        stream = self.streams.get("stdin")
        if stream is None:
            return
        while chunk := await stream.read():
            await session.write(chunk)
        await session.close_stdin()

    async def _close_all(self) -> None:
        for stream in self.streams.values():
            with contextlib.suppress(Exception):
                await stream.close()

    async def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task


async def serve_exec_spdy(request: web.BaseRequest, exec_: SpdyExec) -> web.StreamResponse:
    async def expire() -> None:
        await asyncio.sleep(STREAM_TIMEOUT)
        if exec_.task is None and request.transport is not None:
            request.transport.close()  # the client never opened its streams

    timer = asyncio.get_running_loop().create_task(expire(), name="exec-spdy-streams")
    try:
        return await serve_spdy(request, PROTOCOLS, lambda _: exec_.on_stream, tunnel=False)
    finally:
        timer.cancel()
        await exec_.stop()
