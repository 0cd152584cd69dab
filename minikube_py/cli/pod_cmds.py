"""``minikube-py logs POD`` and ``minikube-py exec POD -- CMD``: pods/log and pods/exec of
the API (served from the daemon's kubelets), as kubectl uses them: logs as text (streamed with
``-f``), exec over the websocket channel protocol v5.channel.k8s.io (stdout, stderr, exit code).
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import sys
import threading
from typing import Any
from urllib.parse import quote

import aiohttp
import click

from minikube_py.cli.context import CliError, fail, kubeconfig_option, kubeconfig_path
from minikube_py.cli.resources import namespace_option
from minikube_py.client import kubeconfig
from minikube_py.util import clock

STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255


def stream_session(kubeconfig_file: str | None) -> tuple[aiohttp.ClientSession, str]:
    try:
        config = kubeconfig.load(kubeconfig_path(kubeconfig_file))
    except kubeconfig.KubeConfigError as exc:
        raise CliError(str(exc)) from exc
    ctx = ssl.create_default_context(cadata=config.ca_pem.decode()) if config.ca_pem \
        else ssl.create_default_context()
    headers = {"User-Agent": "minikube-py"}
    if config.token:
        headers["Authorization"] = f"Bearer {config.token}"
    return aiohttp.ClientSession(headers=headers, connector=aiohttp.TCPConnector(ssl=ctx),
                                 timeout=aiohttp.ClientTimeout(total=None)), config.server


def _since_seconds(text: str) -> int:
    """``--since``: whole seconds of a Go-style duration (``90s``, ``5m``), at least 1."""
    seconds = clock.parse_duration(text.strip())
    if seconds is None:
        raise click.BadParameter(f'invalid duration "{text}" (e.g. 30s, 5m, 1h)',
                                 param_hint="--since")
    return max(int(seconds), 1)


def status_message(body: bytes) -> str:
    try:
        return str(json.loads(body).get("message") or body.decode())
    except (ValueError, AttributeError):
        return body.decode(errors="replace")


class _Terminal:
    """exec's stdin: copied to channel 0 (closed with v5's channel 255 at EOF), the terminal
    in raw mode with its size on channel 4 for ``-t``; restored on the way out."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, *, stdin: bool, tty: bool) -> None:
        self.ws, self.stdin, self.tty = ws, stdin, tty and sys.stdin.isatty()
        self._saved: Any = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> _Terminal:
        if self.tty:
            import shutil
            import termios
            import tty as tty_module

            self._saved = termios.tcgetattr(sys.stdin.fileno())
            tty_module.setraw(sys.stdin.fileno())
            size = shutil.get_terminal_size()
            await self.ws.send_bytes(bytes([RESIZE]) + json.dumps(
                {"Width": size.columns, "Height": size.lines}).encode())
        if self.stdin:
            self._task = asyncio.get_running_loop().create_task(self._pump(), name="exec-stdin")
        return self

    async def _pump(self) -> None:
        # A daemon thread reads (stdin may be a file, a pipe or a terminal) so that a command
        # ending first does not leave the exit waiting on a blocked read.
        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue[bytes] = asyncio.Queue(8)

        def reader() -> None:
            fd = sys.stdin.fileno()
            while True:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    chunk = b""
                asyncio.run_coroutine_threadsafe(chunks.put(chunk), loop).result()
                if not chunk:
                    return

        threading.Thread(target=reader, name="exec-stdin", daemon=True).start()
        while chunk := await chunks.get():
            await self.ws.send_bytes(bytes([STDIN]) + chunk)
        if self.ws.protocol == "v5.channel.k8s.io":
            await self.ws.send_bytes(bytes([CLOSE, STDIN]))

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._saved is not None:
            import termios

            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, self._saved)


@click.command()
@click.argument("pod")
@click.option("-c", "--container", default="", help="Container name.")
@click.option("-f", "--follow", is_flag=True, help="Stream the logs.")
@click.option("-p", "--previous", is_flag=True, help="The previous instance's logs.")
@click.option("--tail", type=int, default=None, help="Lines from the end.")
@click.option("--timestamps", is_flag=True, help="Prefix each line with its RFC3339 time.")
@click.option("--since", default="", metavar="DURATION",
              help="Only lines newer than this (5s, 2m, 3h).")
@namespace_option
@kubeconfig_option
def logs(pod: str, container: str, follow: bool, previous: bool, tail: int | None,
         timestamps: bool, since: str, namespace: str | None,
         kubeconfig_file: str | None) -> None:
    """Print a container's logs."""
    since_seconds = _since_seconds(since) if since else None

    async def main() -> None:
        session, server = stream_session(kubeconfig_file)
        params = {k: v for k, v in {"container": container, "follow": "true" if follow else "",
                                    "previous": "true" if previous else "",
                                    "timestamps": "true" if timestamps else "",
                                    "sinceSeconds": "" if since_seconds is None
                                    else str(since_seconds),
                                    "tailLines": "" if tail is None else str(tail)}.items()
                  if v}
        url = f"{server}/api/v1/namespaces/{namespace or 'default'}/pods/{quote(pod)}/log"
        async with session, session.get(url, params=params) as resp:
            if resp.status >= 400:
                raise CliError(status_message(await resp.read()))
            async for chunk in resp.content.iter_any():
                sys.stdout.buffer.write(chunk)
                sys.stdout.buffer.flush()

    try:
        asyncio.run(main())
    except CliError as err:
        fail(str(err))
    except KeyboardInterrupt:
        sys.exit(130)


@click.command("exec", context_settings={"ignore_unknown_options": True})
@click.argument("pod")
@click.argument("command", nargs=-1, required=True)
@click.option("-c", "--container", default="", help="Container name.")
@click.option("-i", "--stdin", "stdin", is_flag=True, help="Pass stdin to the container.")
@click.option("-t", "--tty", "tty", is_flag=True, help="Stdin is a TTY (with -i: raw mode).")
@namespace_option
@kubeconfig_option
def exec_(pod: str, command: tuple[str, ...], container: str, stdin: bool, tty: bool,
          namespace: str | None, kubeconfig_file: str | None) -> None:
    """Run a command in a container: minikube-py exec POD -- CMD ARGS..."""

    async def main() -> int:
        session, server = stream_session(kubeconfig_file)
        params = [("stdout", "true"), ("stderr", "false" if tty else "true"),
                  *(("command", c) for c in command)]
        if container:
            params.append(("container", container))
        if stdin:
            params.append(("stdin", "true"))
        if tty:
            params.append(("tty", "true"))
        url = f"{server}/api/v1/namespaces/{namespace or 'default'}/pods/{quote(pod)}/exec"
        code = 0
        async with session:
            try:
                ws = await session.ws_connect(url, params=params,
                                              protocols=("v5.channel.k8s.io",
                                                         "v4.channel.k8s.io"))
            except aiohttp.WSServerHandshakeError as exc:
                raise CliError(f"exec failed: {exc.message}") from exc
            async with ws, _Terminal(ws, stdin=stdin, tty=tty):
                async for msg in ws:
                    if msg.type is not aiohttp.WSMsgType.BINARY or not msg.data:
                        continue
                    channel, data = msg.data[0], msg.data[1:]
                    if channel == STDOUT:
                        sys.stdout.buffer.write(data)
                        sys.stdout.buffer.flush()
                    elif channel == STDERR:
                        sys.stderr.buffer.write(data)
                        sys.stderr.buffer.flush()
                    elif channel == ERROR:
                        status = json.loads(data)
                        if status.get("status") != "Success":
                            causes = (status.get("details") or {}).get("causes") or []
                            codes = [c["message"] for c in causes if c.get("reason") == "ExitCode"]
                            if not codes:
                                raise CliError(str(status.get("message")))
                            code = int(codes[0])
        return code

    try:
        sys.exit(asyncio.run(main()))
    except CliError as err:
        fail(str(err))
    except KeyboardInterrupt:
        sys.exit(130)
