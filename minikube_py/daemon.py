"""The daemon: builds every component and runs them as named, guarded tasks of one loop.

Start order: store (open, load), apiserver pipeline, bootstrap objects (system namespaces, the
``kubernetes`` Service), HTTPS listener, kubeconfig and pid file, then background tasks
(compaction), then the components: controller manager, one kubelet per virtual node (or, with
``--without kubelet``, the stand-in node registration), scheduler, proxy, each on an
in-process client. Stop order is the reverse;
SIGINT/SIGTERM trigger it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import socket
from pathlib import Path

from aiohttp import web

from minikube_py import datadir
from minikube_py.api.errors import AlreadyExists
from minikube_py.api.registry import REGISTRY
from minikube_py.api.validation.scheduling import SYSTEM_PRIORITY_CLASSES
from minikube_py.apiserver.aggregation.openapi import install_aggregated_openapi
from minikube_py.apiserver.allocators import SERVICE_CIDR
from minikube_py.apiserver.app import build_runner
from minikube_py.apiserver.auth import TokenAuthenticator, ensure_token
from minikube_py.apiserver.discovery import install_discovery
from minikube_py.apiserver.metrics import install_metrics
from minikube_py.apiserver.openapi import install_openapi, install_openapi_v2
from minikube_py.apiserver.server import ApiServer
from minikube_py.apiserver.snapshot import install_snapshot
from minikube_py.apiserver.tls import server_context
from minikube_py.client import kubeconfig
from minikube_py.client.base import Client
from minikube_py.client.local import LocalTransport
from minikube_py.config import DaemonConfig
from minikube_py.controllers.manager import ControllerManager
from minikube_py.kubelet import streaming
from minikube_py.kubelet.config import DEFAULT_BACKOFF, KubeletConfig
from minikube_py.kubelet.kubelet import Kubelet
from minikube_py.kubelet.runtime.errors import RuntimeUnavailable
from minikube_py.nodes.registration import (
    NodeRegistration,
    NodesFileError,
    default_nodes,
    load_nodes_file,
    node_object,
)
from minikube_py.proxy.proxier import build_proxier
from minikube_py.scheduler import config as scheduler_config
from minikube_py.scheduler.scheduler import Scheduler
from minikube_py.store.sqlite import SqliteStorage, restore_file
from minikube_py.util.component import Component, Components
from minikube_py.util.tasks import TaskGroup

log = logging.getLogger(__name__)

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
SYSTEM_CLASS_USE = {"system-cluster-critical": "system critical pods that must run in the "
                    "cluster, but can be moved to another node if necessary",
                    "system-node-critical": "system critical pods that must not be moved "
                    "from their current node"}


class Daemon:
    def __init__(self, config: DaemonConfig) -> None:
        self.config = config
        self.tasks = TaskGroup("daemon")
        self.store: SqliteStorage | None = None
        self.server: ApiServer | None = None
        self.client: Client | None = None
        self._runner: web.ServerRunner | None = None
        self.port = config.port
        self._lock: int | None = None
        self.components = Components()

    async def start(self) -> None:
        cfg = self.config
        cfg.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = _lock_data_dir(cfg)
        self.store = await SqliteStorage.open(cfg.db_path, synchronous=cfg.synchronous,
                                              history=cfg.history)
        self.server = ApiServer(self.store, REGISTRY)
        self.server.health_checks["background-tasks"] = self._task_health
        self.server.health_checks["store-writer"] = lambda: self.store.stats.writer_error \
            if self.store else "store not open"
        install_metrics(self.server)
        install_discovery(self.server)
        install_openapi(self.server)
        install_aggregated_openapi(self.server)  # after install_openapi: it wraps it
        install_openapi_v2(self.server)
        install_snapshot(self.server)
        streaming.install(self.server)  # pods/log, pods/exec from this process's kubelets
        self.client = Client(LocalTransport(self.server.handle))
        token = ensure_token(cfg.data_dir)
        hosts = sorted({"127.0.0.1", "localhost", "::1", cfg.host} - {"0.0.0.0", "::"})
        ssl_ctx = await asyncio.to_thread(server_context, cfg.data_dir, hosts)
        self._runner = build_runner(self.server, TokenAuthenticator.admin(token))
        await self._runner.setup()
        sock = _listen(cfg.host, cfg.port)
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock, ssl_context=ssl_ctx)
        await site.start()
        # Before the kubeconfig exists no client can reach us, so bootstrap objects are there
        # from a client's first request; the kubernetes Service names the real port.
        await bootstrap(self.client, api_port=self.port)
        await self.server.local_apiservices.sync()  # listed from the first request on
        host = cfg.host if cfg.host not in ("0.0.0.0", "::") else "127.0.0.1"
        kubeconfig.write(cfg.kubeconfig, server=f"https://{host}:{self.port}",
                         ca_pem=(cfg.data_dir / "ca.crt").read_bytes(), token=token)
        cfg.pid_file.write_text(f"{os.getpid()} {self.port}\n")
        datadir.remember_current(cfg.data_dir)  # commands without a choice mean this one
        self.tasks.spawn(self._compactor(), name="compactor")
        self.tasks.spawn(self.server.local_apiservices.run(), name="local-apiservices")
        self.tasks.spawn(self.server.aggregator.run(), name="apiservice-availability")
        for component in self._components(self.client):
            self.components.add(component)
        self.server.health_checks["components"] = self.components.health
        try:
            await self.components.start()
        except RuntimeUnavailable as exc:
            raise DaemonError(f"no container runtime: {exc} (start the Docker engine, or run "
                              f"with --runtime sim for simulated containers)") from exc
        log.info("minikube-py apiserver ready on https://%s:%d (revision %d)", host,
                 self.port, self.store.revision)

    def _components(self, client: Client) -> list[Component]:
        """The components this daemon runs, in start order (``--without`` leaves some out)."""
        cfg = self.config
        out: list[Component] = []
        if "controller-manager" not in cfg.without:
            manager = ControllerManager(client)
            assert self.server is not None
            self.server.metric_sources.append(manager.metrics)
            out.append(manager)
        if "nodes" not in cfg.without:
            try:
                specs = load_nodes_file(cfg.nodes_file) if cfg.nodes_file else \
                    default_nodes(cfg.nodes)
            except NodesFileError as exc:
                raise DaemonError(str(exc)) from exc
            if "kubelet" in cfg.without:  # nodes registered Ready, no pods run
                out.append(NodeRegistration(client, specs))
            else:
                backoff = cfg.kubelet_backoff or DEFAULT_BACKOFF
                for spec in specs:
                    out.append(Kubelet(client, KubeletConfig(
                        node=node_object(spec), root_dir=cfg.data_dir / "kubelet" / spec.name,
                        runtime=cfg.runtime, backoff=backoff,
                        relist_period=float(os.environ.get("MINIKUBE_PY_KUBELET_RELIST", "1")),
                        max_backoff=max(backoff, 300.0 if backoff >= 10 else backoff * 30))))
        if "scheduler" not in cfg.without:
            try:
                sched = scheduler_config.load(cfg.scheduler_config) \
                    if cfg.scheduler_config else None
            except scheduler_config.ConfigError as exc:
                raise DaemonError(str(exc)) from exc
            out.append(Scheduler(client, config=sched))
        if "proxy" not in cfg.without:
            out.append(build_proxier(client, service_cidr=str(SERVICE_CIDR),
                                     rules="service-rules" not in cfg.without))
        return out

    def _task_health(self) -> str | None:
        """A crashed background task makes the daemon unhealthy, with the task's name."""
        if not self.tasks.failed:
            return None
        return "; ".join(f"{name}: {exc!r}" for name, exc in self.tasks.failed)

    async def _compactor(self) -> None:
        assert self.store is not None
        while True:
            await asyncio.sleep(self.config.compact_interval)
            rev = await self.store.compact()
            log.debug("compacted store log up to revision %d", rev)

    async def stop(self) -> None:
        await self.components.stop()
        await self.tasks.stop()
        if self.store is not None:
            self.store.broadcaster.close_all()  # watch streams end cleanly before the socket
        if self._runner is not None:
            await self._runner.cleanup()
        if self.server is not None:
            await self.server.close()
        if self.client is not None:
            await self.client.close()
        if self.store is not None:
            await self.store.close()
        with contextlib.suppress(FileNotFoundError):
            pid = self.config.pid_file.read_text().split()[0]
            if pid == str(os.getpid()):
                self.config.pid_file.unlink()
        if self._lock is not None:
            os.close(self._lock)  # releases the data dir lock
            self._lock = None

    async def run_until_signalled(self) -> None:
        """Start, serve until SIGINT/SIGTERM, stop cleanly."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await self.start()
        except BaseException:
            await self.stop()  # close what did open (the store's thread keeps us alive)
            raise
        try:
            await stop.wait()
        finally:
            log.info("shutting down")
            await self.stop()


async def bootstrap(client: Client, *, api_port: int = 6443) -> None:
    """Objects a cluster has from its first second, created if missing."""
    namespaces = REGISTRY.resolve("namespaces")
    services = REGISTRY.resolve("services")
    assert namespaces is not None and services is not None
    for name in SYSTEM_NAMESPACES:
        with contextlib.suppress(AlreadyExists):
            await client.create(namespaces, {"apiVersion": "v1", "kind": "Namespace",
                                             "metadata": {"name": name}})
    classes = REGISTRY.resolve("priorityclasses")
    if classes is not None:
        for name, value in SYSTEM_PRIORITY_CLASSES.items():
            with contextlib.suppress(AlreadyExists):
                await client.create(classes, {
                    "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                    "metadata": {"name": name}, "value": value,
                    "description": f"Used for {SYSTEM_CLASS_USE[name]}."})
    try:
        await client.create(services, {
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kubernetes", "namespace": "default",
                         "labels": {"component": "apiserver", "provider": "kubernetes"}},
            "spec": {"clusterIP": "10.96.0.1", "type": "ClusterIP",
                     "ports": [{"name": "https", "port": 443, "protocol": "TCP",
                                "targetPort": api_port}]}})
    except AlreadyExists:
        current = await client.get(services, "kubernetes", "default")
        ports = (current.get("spec") or {}).get("ports") or []
        if [p.get("targetPort") for p in ports] != [api_port]:  # the port changed: follow it
            await client.patch(services, "kubernetes", {"spec": {"ports": [
                {"name": "https", "port": 443, "protocol": "TCP", "targetPort": api_port}]}},
                "default")
    await _apiserver_endpoints(client, api_port)


async def _apiserver_endpoints(client: Client, api_port: int) -> None:
    """The ``kubernetes`` Service's Endpoints: the apiserver on 127.0.0.1 (Kubernetes' master
    endpoint reconciler), so the proxy makes 10.96.0.1:443 reach it from pods."""
    endpoints = REGISTRY.resolve("endpoints")
    assert endpoints is not None
    subsets = [{"addresses": [{"ip": "127.0.0.1"}],
                "ports": [{"name": "https", "port": api_port, "protocol": "TCP"}]}]
    body = {"apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": "kubernetes", "namespace": "default",
                         "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
            "subsets": subsets}
    try:
        await client.create(endpoints, body)
    except AlreadyExists:
        current = await client.get(endpoints, "kubernetes", "default")
        if current.get("subsets") != subsets:
            await client.patch(endpoints, "kubernetes", {"subsets": subsets}, "default")


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise DaemonError(f"cannot listen on {host}:{port}: {exc.strerror} "
                          f"(is another cluster running? try --port)") from exc
    sock.listen(512)
    sock.setblocking(False)
    return sock


class DaemonError(Exception):
    """The daemon cannot start; the message says why in one line."""


def restore_snapshot(config: DaemonConfig, snapshot: Path) -> int:
    """Replace the store with a snapshot (the daemon must be stopped); returns its revision."""
    if running_pid(config) is not None:
        raise DaemonError("the daemon is running: stop it first (minikube-py down)")
    return restore_file(snapshot, config.db_path)


def _lock_data_dir(config: DaemonConfig) -> int:
    """Hold an exclusive lock on the data dir for the daemon's life: two daemons must never
    write one store. The kernel drops the lock when the process dies, even by SIGKILL."""
    fd = os.open(config.data_dir / "daemon.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        os.close(fd)
        raise DaemonError(f"another minikube-py daemon is running for {config.data_dir}") \
            from exc
    return fd


def running_pid(config: DaemonConfig) -> int | None:
    """The pid of the live daemon of this data dir, if any: its pid file is trusted only
    while the data dir lock is held, so a stale file never names an unrelated process."""
    return datadir.running_pid(config.data_dir)


def read_pid_file(config: DaemonConfig) -> tuple[int, int] | None:
    return datadir.read_pid_file(config.data_dir)


