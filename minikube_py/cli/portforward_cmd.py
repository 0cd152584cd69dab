"""``minikube-py port-forward TYPE/NAME [LOCAL:]REMOTE...``: kubectl's port-forward.

The target is resolved on the client side as kubectl does it: ``pod/NAME`` (or a bare name)
is the pod; ``svc/NAME`` and the workloads (``deploy``, ``rs``, ``sts``, ``ds``, ``rc``) pick
their first running pod by selector, and a Service's port becomes the pod's target port
(named target ports resolved from the pod's containers). Every local connection is one
websocket to ``pods/NAME/portforward?ports=REMOTE`` (``v4.channel.k8s.io``: data on channel
0, errors on channel 1, each opening with the port number).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
import click

from minikube_py.cli.context import CliError, fail, kubeconfig_option
from minikube_py.cli.pod_cmds import status_message, stream_session
from minikube_py.cli.resources import namespace_option

Object = dict[str, Any]
WORKLOADS = {
    "deploy": ("apis/apps/v1", "deployments"), "deployment": ("apis/apps/v1", "deployments"),
    "deployments": ("apis/apps/v1", "deployments"),
    "rs": ("apis/apps/v1", "replicasets"), "replicaset": ("apis/apps/v1", "replicasets"),
    "replicasets": ("apis/apps/v1", "replicasets"),
    "sts": ("apis/apps/v1", "statefulsets"), "statefulset": ("apis/apps/v1", "statefulsets"),
    "statefulsets": ("apis/apps/v1", "statefulsets"),
    "ds": ("apis/apps/v1", "daemonsets"), "daemonset": ("apis/apps/v1", "daemonsets"),
    "daemonsets": ("apis/apps/v1", "daemonsets"),
    "rc": ("api/v1", "replicationcontrollers"),
    "replicationcontroller": ("api/v1", "replicationcontrollers"),
    "replicationcontrollers": ("api/v1", "replicationcontrollers"),
}
SERVICES = ("svc", "service", "services")
PODS = ("po", "pod", "pods")


@dataclass(frozen=True)
class Mapping:
    local: int  # 0: any free port
    remote: str  # a number, or a port name for pods and services


def parse_mapping(text: str) -> Mapping:
    local, sep, remote = text.rpartition(":")
    if not sep:
        local, remote = text, text
    if not remote:
        raise CliError(f'invalid port format "{text}": the remote port is missing')
    if local and not local.isdigit():
        raise CliError(f'invalid port format "{text}": local port "{local}" is not a number')
    if local and not 0 <= int(local) < 65536:
        raise CliError(f"local port {local} must be between 0 and 65535")
    if not sep and not remote.isdigit():
        raise CliError(f'invalid port format "{text}": a named port needs LOCAL:NAME')
    return Mapping(int(local or 0), remote)


class Api:
    def __init__(self, session: aiohttp.ClientSession, server: str, namespace: str) -> None:
        self.session, self.server, self.namespace = session, server, namespace

    async def get(self, path: str, **params: str) -> Object:
        async with self.session.get(f"{self.server}/{path}", params=params) as resp:
            body = await resp.read()
            if resp.status >= 400:
                raise CliError(f"Error from server: {status_message(body)}")
            return json.loads(body)  # type: ignore[no-any-return]

    def ns_path(self, prefix: str, plural: str, name: str = "") -> str:
        path = f"{prefix}/namespaces/{quote(self.namespace)}/{plural}"
        return f"{path}/{quote(name)}" if name else path


def _selector(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _rank(pod: Object) -> tuple[int, int, str]:
    """kubectl's choice among a selector's pods: running, then ready, then the oldest."""
    status = pod.get("status") or {}
    ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                for c in status.get("conditions") or [])
    return (status.get("phase") != "Running", not ready,
            str(pod["metadata"].get("creationTimestamp", "")))


async def _first_pod(api: Api, selector: dict[str, str], what: str) -> Object:
    if not selector:
        raise CliError(f"{what} has no selector: no pod to forward to")
    pods = (await api.get(api.ns_path("api/v1", "pods"),
                          labelSelector=_selector(selector))).get("items") or []
    live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    if not live:
        raise CliError(f"no pods found for {what}")
    return min(live, key=_rank)


def _container_port(pod: Object, name: str) -> int:
    for container in (pod.get("spec") or {}).get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == name:
                return int(port["containerPort"])
    raise CliError(f"Pod '{pod['metadata']['name']}' does not have a named port '{name}'")


def _service_port(service: Object, pod: Object, remote: str) -> int:
    for port in (service.get("spec") or {}).get("ports") or []:
        if str(port.get("port")) == remote or port.get("name") == remote:
            target = port.get("targetPort", port.get("port"))
            if isinstance(target, int) or str(target).isdigit():
                return int(target)
            return _container_port(pod, str(target))
    name = service["metadata"]["name"]
    raise CliError(f"Service {name} does not have a service port {remote}")


async def resolve(api: Api, target: str, mappings: list[Mapping]) -> tuple[Object, list[int]]:
    """The pod ``target`` means and the pod port of each mapping."""
    kind, sep, name = target.partition("/")
    if not sep:
        kind, name = "pod", target
    kind = kind.lower()
    if kind in PODS:
        pod = await api.get(api.ns_path("api/v1", "pods", name))
        ports = [int(m.remote) if m.remote.isdigit() else _container_port(pod, m.remote)
                 for m in mappings]
        return pod, ports
    if kind in SERVICES:
        service = await api.get(api.ns_path("api/v1", "services", name))
        selector = (service.get("spec") or {}).get("selector") or {}
        pod = await _first_pod(api, selector, f"service/{name}")
        return pod, [_service_port(service, pod, m.remote) for m in mappings]
    if kind in WORKLOADS:
        prefix, plural = WORKLOADS[kind]
        owner = await api.get(api.ns_path(prefix, plural, name))
        selector = (owner.get("spec") or {}).get("selector") or {}
        labels = selector.get("matchLabels", selector) if plural != "replicationcontrollers" \
            else selector
        pod = await _first_pod(api, dict(labels), f"{plural}/{name}")
        ports = [int(m.remote) if m.remote.isdigit() else _container_port(pod, m.remote)
                 for m in mappings]
        return pod, ports
    raise CliError(f'cannot port-forward to "{kind}": use pod/, svc/, deploy/, rs/, sts/, '
                   "ds/ or rc/")


async def wait_running(api: Api, pod: Object, seconds: float) -> Object:
    deadline = time.monotonic() + seconds
    name = pod["metadata"]["name"]
    while True:
        phase = (pod.get("status") or {}).get("phase")
        if phase == "Running":
            return pod
        if phase in ("Succeeded", "Failed") or time.monotonic() > deadline:
            raise CliError(f"unable to forward port because pod is not running. Current "
                           f"status={phase or 'Pending'}")
        await asyncio.sleep(0.5)
        pod = await api.get(api.ns_path("api/v1", "pods", name))


class Forwarder:
    """One local listener: each connection a websocket to the pod's port."""

    def __init__(self, api: Api, pod: str, local: int, remote: int) -> None:
        self.api, self.pod, self.local, self.remote = api, pod, local, remote
        self.url = f"{api.server}/{api.ns_path('api/v1', 'pods', pod)}/portforward"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        click.echo(f"Handling connection for {self.local}")
        try:
            ws = await self.api.session.ws_connect(self.url, params={"ports": str(self.remote)},
                                                   protocols=("v4.channel.k8s.io",))
        except aiohttp.ClientError as exc:
            click.echo(f"error: {exc}", err=True)
            writer.close()
            return
        up = asyncio.get_running_loop().create_task(self._up(reader, ws), name="port-forward-up")
        opened = {0: False, 1: False}
        try:
            async for msg in ws:
                if msg.type is not aiohttp.WSMsgType.BINARY or not msg.data:
                    continue
                channel, data = msg.data[0], msg.data[1:]
                if channel in opened and not opened[channel]:
                    opened[channel] = True  # the port number each channel opens with
                    continue
                if channel == 0:
                    writer.write(data)
                    await writer.drain()
                elif channel == 1 and data:
                    click.echo(f"E: an error occurred forwarding {self.local} -> "
                               f"{self.remote}: {data.decode(errors='replace')}", err=True)
                    break
        except ConnectionError:
            pass
        finally:
            up.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await up
            await ws.close()
            writer.close()

    async def _up(self, reader: asyncio.StreamReader,
                  ws: aiohttp.ClientWebSocketResponse) -> None:
        while chunk := await reader.read(1 << 16):
            await ws.send_bytes(b"\x00" + chunk)


@click.command("port-forward")
@click.argument("target")
@click.argument("ports", nargs=-1, required=True)
@click.option("--address", "addresses", multiple=True, default=("127.0.0.1",),
              help="Addresses to listen on (repeat or comma-separate).")
@click.option("--pod-running-timeout", type=float, default=60.0,
              help="Seconds to wait for the pod to run.")
@namespace_option
@kubeconfig_option
def port_forward(target: str, ports: tuple[str, ...], addresses: tuple[str, ...],
                 pod_running_timeout: float, namespace: str | None,
                 kubeconfig_file: str | None) -> None:
    """Forward local ports to a pod's ports."""

    async def main() -> None:
        mappings = [parse_mapping(p) for p in ports]
        session, server = stream_session(kubeconfig_file)
        async with session:
            api = Api(session, server, namespace or "default")
            pod, remotes = await resolve(api, target, mappings)
            pod = await wait_running(api, pod, pod_running_timeout)
            servers = []
            for mapping, remote in zip(mappings, remotes, strict=True):
                local = mapping.local
                for address in (a for value in addresses for a in value.split(",")):
                    forwarder = Forwarder(api, pod["metadata"]["name"], local, remote)
                    try:
                        srv = await asyncio.start_server(forwarder.handle, address, local)
                    except OSError as exc:
                        raise CliError(f"unable to listen on {address}:{local}: "
                                       f"{exc.strerror or exc}") from exc
                    local = forwarder.local = srv.sockets[0].getsockname()[1]
                    servers.append(srv)
                    click.echo(f"Forwarding from {address}:{local} -> {remote}")
            sys.stdout.flush()
            await asyncio.gather(*(s.serve_forever() for s in servers))

    try:
        asyncio.run(main())
    except CliError as err:
        fail(str(err))
    except KeyboardInterrupt:
        sys.exit(130)
