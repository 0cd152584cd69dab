"""``minikube-py logs POD`` and ``minikube-py exec POD -- CMD``: pods/log and pods/exec of
the API (served from the daemon's kubelets), as kubectl uses them: logs as text (streamed with
``-f``), exec over the websocket channel protocol v5.channel.k8s.io (stdout, stderr, exit code).
"""

from __future__ import annotations

import asyncio
import json
import ssl
import sys
from urllib.parse import quote

import aiohttp
import click

from minikube_py.cli.context import CliError, fail, kubeconfig_option, kubeconfig_path
from minikube_py.cli.resources import namespace_option
from minikube_py.client import kubeconfig

STDIN, STDOUT, STDERR, ERROR = 0, 1, 2, 3


def _session(kubeconfig_file: str | None) -> tuple[aiohttp.ClientSession, str]:
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


def _message(body: bytes) -> str:
    try:
        return str(json.loads(body).get("message") or body.decode())
    except (ValueError, AttributeError):
        return body.decode(errors="replace")


@click.command()
@click.argument("pod")
@click.option("-c", "--container", default="", help="Container name.")
@click.option("-f", "--follow", is_flag=True, help="Stream the logs.")
@click.option("-p", "--previous", is_flag=True, help="The previous instance's logs.")
@click.option("--tail", type=int, default=None, help="Lines from the end.")
@namespace_option
@kubeconfig_option
def logs(pod: str, container: str, follow: bool, previous: bool, tail: int | None,
         namespace: str | None, kubeconfig_file: str | None) -> None:
    """Print a container's logs."""

    async def main() -> None:
        session, server = _session(kubeconfig_file)
        params = {k: v for k, v in {"container": container, "follow": "true" if follow else "",
                                    "previous": "true" if previous else "",
                                    "tailLines": "" if tail is None else str(tail)}.items()
                  if v}
        url = f"{server}/api/v1/namespaces/{namespace or 'default'}/pods/{quote(pod)}/log"
        async with session, session.get(url, params=params) as resp:
            if resp.status >= 400:
                raise CliError(_message(await resp.read()))
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
@namespace_option
@kubeconfig_option
def exec_(pod: str, command: tuple[str, ...], container: str, namespace: str | None,
          kubeconfig_file: str | None) -> None:
    """Run a command in a container: minikube-py exec POD -- CMD ARGS..."""

    async def main() -> int:
        session, server = _session(kubeconfig_file)
        params = [("stdout", "true"), ("stderr", "true"), *(("command", c) for c in command)]
        if container:
            params.append(("container", container))
        url = f"{server}/api/v1/namespaces/{namespace or 'default'}/pods/{quote(pod)}/exec"
        code = 0
        async with session:
            try:
                ws = await session.ws_connect(url, params=params,
                                              protocols=("v5.channel.k8s.io",
                                                         "v4.channel.k8s.io"))
            except aiohttp.WSServerHandshakeError as exc:
                raise CliError(f"exec failed: {exc.message}") from exc
            async with ws:
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
