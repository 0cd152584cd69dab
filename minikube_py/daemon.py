"""The daemon: builds every component and runs them as named, guarded tasks of one loop.

Start order: store (open, load), apiserver pipeline, bootstrap objects (system namespaces, the
``kubernetes`` Service, the default StorageClass ``standard``), HTTPS listener, kubeconfig and
pid file, then background tasks (compaction), then the components: controller manager, one
kubelet per virtual node (or, with ``--without kubelet``, the stand-in node registration),
scheduler, proxy, each on an in-process client. Stop order is the reverse;
SIGINT/SIGTERM trigger it.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import fcntl
import logging
import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from minikube_py import datadir
from minikube_py.api.errors import AlreadyExists
from minikube_py.api.registry import REGISTRY
from minikube_py.api.validation.scheduling import SYSTEM_PRIORITY_CLASSES
from minikube_py.api.wire import UserInfo
from minikube_py.apiserver import serviceaccount
from minikube_py.apiserver.aggregation.openapi import install_aggregated_openapi
from minikube_py.apiserver.allocators import SERVICE_CIDR
from minikube_py.apiserver.app import build_runner
from minikube_py.apiserver.authentication import (
    BearerAuthenticator,
    StaticTokens,
    ensure_identities,
    ensure_token,
    token_of,
)
from minikube_py.apiserver.authorization import bootstrappolicy as policy
from minikube_py.apiserver.bootstraptokens import BootstrapTokens
from minikube_py.apiserver.discovery import install_discovery
from minikube_py.apiserver.metrics import install_metrics
from minikube_py.apiserver.openapi import install_openapi
from minikube_py.apiserver.openapi_v2 import install_openapi_v2
from minikube_py.apiserver.peers import NAMESPACE as PEERS_NAMESPACE
from minikube_py.apiserver.peers import Peers, subsets
from minikube_py.apiserver.server import ApiServer
from minikube_py.apiserver.snapshot import install_snapshot
from minikube_py.apiserver.tls import ensure_ca, server_context
from minikube_py.client import kubeconfig
from minikube_py.client.base import Client
from minikube_py.client.bootstrap import cluster_info
from minikube_py.client.local import LocalTransport
from minikube_py.config import DaemonConfig
from minikube_py.controllers.certificates import ClusterSigning
from minikube_py.controllers.hostpath import DEFAULT_STORAGE_CLASS
from minikube_py.controllers.manager import ControllerManager
from minikube_py.kubelet import metrics as kubelet_metrics
from minikube_py.kubelet import streaming
from minikube_py.kubelet.config import DEFAULT_BACKOFF, KubeletConfig
from minikube_py.kubelet.kubelet import Kubelet
from minikube_py.kubelet.runtime.errors import RuntimeUnavailable
from minikube_py.nodes.registration import (
    NodeRegistration,
    NodesFileError,
    NodeSpec,
    default_nodes,
    load_nodes_file,
    node_object,
)
from minikube_py.proxy.hostnet import interface_address
from minikube_py.proxy.proxier import Proxier, build_proxier
from minikube_py.scheduler import config as scheduler_config
from minikube_py.scheduler.scheduler import Scheduler
from minikube_py.store.cache import CachedStore
from minikube_py.store.etcd import EtcdStorage
from minikube_py.store.etcd import restore as etcd_restore
from minikube_py.store.etcd_client import EtcdClient, EtcdError, parse_endpoints, tls_context
from minikube_py.store.memory import MemoryStorage
from minikube_py.store.sqlite import SqliteStorage, restore_file
from minikube_py.util import clock
from minikube_py.util.component import Component, Components
from minikube_py.util.tasks import TaskGroup

log = logging.getLogger(__name__)
SECRETS = REGISTRY.require("", "v1", "secrets")

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
# The names clients inside the cluster reach the apiserver by (Kubernetes' serving certificate
# carries the same), beside the addresses of the host.
SERVICE_NAMES = ("kubernetes", "kubernetes.default", "kubernetes.default.svc",
                 "kubernetes.default.svc.cluster.local")
SYSTEM_CLASS_USE = {"system-cluster-critical": "system critical pods that must run in the "
                    "cluster, but can be moved to another node if necessary",
                    "system-node-critical": "system critical pods that must not be moved "
                    "from their current node"}


class Daemon:
    def __init__(self, config: DaemonConfig) -> None:
        self.config = config
        self.tasks = TaskGroup("daemon")
        self.store: CachedStore | None = None
        self.server: ApiServer | None = None
        self.client: Client | None = None
        self._runner: web.ServerRunner | None = None
        self.port = config.port
        self._lock: int | None = None
        self.components = Components()
        self.specs: list[NodeSpec] = []
        self._peers: Peers | None = None

    async def start(self) -> None:
        cfg = self.config
        cfg.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = _lock_data_dir(cfg)
        self.store = await open_store(cfg)
        self.server = ApiServer(self.store)
        # Custom resources of the CRDs already stored are served from the first request.
        await self.server.custom_resources.start()
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
        kubelet_metrics.install(self.server)  # metrics.k8s.io from their usage samples
        ca_crt, _ = await asyncio.to_thread(ensure_ca, cfg.data_dir)
        # The admin, for bootstrap; it carries the CA as an HTTPS client has it.
        self.client = Client(LocalTransport(self.server.handle, ca_pem=ca_crt.read_bytes()))
        token = ensure_token(cfg.data_dir)
        self.specs = self._node_specs()
        identities = ensure_identities(cfg.data_dir, self._identities().values())
        ssl_ctx = await asyncio.to_thread(server_context, cfg.data_dir, serving_hosts(cfg.host))
        sock = _listen(cfg.host, cfg.port)
        self.port = sock.getsockname()[1]
        host = cfg.host if cfg.host not in ("0.0.0.0", "::") else "127.0.0.1"
        accounts = await asyncio.to_thread(serviceaccount.install, self.server, cfg.data_dir,
                                           external_address=f"{host}:{self.port}")
        # The authenticator chain: one entry per way a bearer token may be known.
        authenticator = BearerAuthenticator([StaticTokens.admin(token),
                                             StaticTokens(identities), accounts,
                                             BootstrapTokens(self._stored_secret)])
        self.server.enable_authorization(cfg.authorization_mode, authenticator)
        await self.server.start()
        self._runner = build_runner(self.server, authenticator)
        await self._runner.setup()
        site = web.SockSite(self._runner, sock, ssl_context=ssl_ctx)
        await site.start()
        # Before the kubeconfig exists no client can reach us, so bootstrap objects are there
        # from a client's first request; the kubernetes Service names the real port.
        await bootstrap(self.client, api_port=self.port, endpoints=not cfg.shared_store)
        await bootstrap_policy(self.client)
        await self.server.local_apiservices.sync()  # listed from the first request on
        if cfg.shared_store:  # the kubernetes Endpoints list every live apiserver
            self._peers = Peers(self.client, identity=f"{socket.gethostname()}:{cfg.data_dir}",
                                ip=host, port=self.port, duration=round(cfg.lease_duration))
            await self._peers.renew()
            await self._peers.reconcile()
            self.tasks.spawn(self._peers.run(), name="apiserver-peers")
        ca_pem = (cfg.data_dir / "ca.crt").read_bytes()
        server = f"https://{host}:{self.port}"
        cfg.component_kubeconfigs.mkdir(exist_ok=True)
        for name, user in self._identities().items():
            kubeconfig.write(cfg.component_kubeconfigs / f"{name}.kubeconfig",
                             server=server, ca_pem=ca_pem, token=token_of(identities, user.name))
        kubeconfig.write(cfg.kubeconfig, server=server, ca_pem=ca_pem, token=token)
        await _publish_cluster_info(self.client, server, ca_pem)
        cfg.pid_file.write_text(f"{os.getpid()} {self.port}\n")
        datadir.remember_current(cfg.data_dir)  # commands without a choice mean this one
        self.tasks.spawn(self._compactor(), name="compactor")
        self.tasks.spawn(self.server.local_apiservices.run(), name="local-apiservices")
        self.tasks.spawn(self.server.aggregator.run(), name="apiservice-availability")
        for component in self._components():
            self.components.add(component)
        self.server.health_checks["components"] = self.components.health
        try:
            await self.components.start()
        except RuntimeUnavailable as exc:
            raise DaemonError(f"no container runtime: {exc} (start the Docker engine, or run "
                              f"with --runtime sim for simulated containers)") from exc
        # The pid file's third word says the components have started too (up --detach waits).
        cfg.pid_file.write_text(f"{os.getpid()} {self.port} ready\n")
        log.info("minikube-py apiserver ready on https://%s:%d (revision %d)", host,
                 self.port, self.store.revision)

    def _node_specs(self) -> list[NodeSpec]:
        cfg = self.config
        if "nodes" in cfg.without:
            return []
        try:
            return load_nodes_file(cfg.nodes_file) if cfg.nodes_file else \
                default_nodes(cfg.nodes)
        except NodesFileError as exc:
            raise DaemonError(str(exc)) from exc

    def _identities(self) -> dict[str, UserInfo]:
        """Each component's own user (component name -> user), with only the rights the
        bootstrap policy's roles give it: kubelets are ``system:node:<name>`` in
        ``system:nodes``; the stand-in node registration is in that group too."""
        out = {"controller-manager": UserInfo(policy.CONTROLLER_MANAGER_USER),
               "scheduler": UserInfo(policy.SCHEDULER_USER),
               "proxy": UserInfo(policy.PROXY_USER),
               "node-registration": UserInfo("system:node-registration",
                                             (policy.NODES_GROUP,))}
        for spec in self.specs:
            out[f"kubelet-{spec.name}"] = UserInfo(f"{policy.NODE_PREFIX}{spec.name}",
                                                   (policy.NODES_GROUP,))
        return out

    def _client_of(self, component: str) -> Client:
        """An in-process client acting as ``component``'s own user."""
        assert self.server is not None
        user = self._identities()[component]
        return Client(LocalTransport(self.server.handle, user=UserInfo(
            user.name, (*user.groups, "system:authenticated")),
            ca_pem=(self.config.data_dir / "ca.crt").read_bytes()))

    def _stored_secret(self, namespace: str, name: str) -> dict[str, Any] | None:
        """A Secret as the store holds it (bootstrap tokens are looked up per request)."""
        assert self.store is not None
        entry = self.store.get(SECRETS.key(namespace, name))
        return entry.decode() if entry is not None else None

    def _components(self) -> list[Component]:
        """The components this daemon runs, in start order (``--without`` leaves some out)."""
        cfg = self.config
        out: list[Component] = []
        if cfg.role == "apiserver":
            return out
        # On a shared store another daemon may run the same components: one leader each.
        lease = cfg.lease_duration
        election: dict[str, Any] = {"leader_elect": cfg.shared_store, "lease_duration": lease,
                                    "renew_deadline": lease * 2 / 3,
                                    "retry_period": lease * 2 / 15}
        proxier = build_proxier(self._client_of("proxy"), service_cidr=str(SERVICE_CIDR),
                                rules="service-rules" not in cfg.without,
                                pod_network=cfg.pod_network) \
            if "proxy" not in cfg.without else None
        if "controller-manager" not in cfg.without:
            manager = ControllerManager(
                self._client_of("controller-manager"), cluster_signing=ClusterSigning(
                    cfg.data_dir / "ca.crt", cfg.data_dir / "ca.key"),
                volumes_dir=cfg.data_dir / "volumes",
                node_monitor_grace_period=cfg.node_monitor_grace_period, **election)
            assert self.server is not None
            self.server.metric_sources.append(manager.metrics)
            out.append(manager)
        if "nodes" not in cfg.without:
            specs = self.specs
            if "kubelet" in cfg.without:  # nodes registered Ready, no pods run
                out.append(NodeRegistration(self._client_of("node-registration"), specs))
            else:
                backoff = cfg.kubelet_backoff or DEFAULT_BACKOFF
                gateway = service_gateway(proxier)
                for spec in specs:
                    out.append(Kubelet(self._client_of(f"kubelet-{spec.name}"), KubeletConfig(
                        node=node_object(spec), root_dir=cfg.data_dir / "kubelet" / spec.name,
                        runtime=cfg.runtime, pod_network=cfg.pod_network, backoff=backoff,
                        service_gateway=gateway,
                        relist_period=float(os.environ.get("MINIKUBE_PY_KUBELET_RELIST", "1")),
                        stats_period=float(os.environ.get("MINIKUBE_PY_KUBELET_STATS", "10")),
                        pause_image=os.environ.get("MINIKUBE_PY_PAUSE_IMAGE") or None,
                        max_backoff=max(backoff, 300.0 if backoff >= 10 else backoff * 30))))
        if "scheduler" not in cfg.without:
            try:
                sched = scheduler_config.load(cfg.scheduler_config) \
                    if cfg.scheduler_config else None
            except scheduler_config.ConfigError as exc:
                raise DaemonError(str(exc)) from exc
            out.append(Scheduler(self._client_of("scheduler"), config=sched, **election))
        if proxier is not None:
            out.append(proxier)
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
        if self._peers is not None:
            await self._peers.leave()
        if self.server is not None:
            await self.server.custom_resources.stop()
            await self.server.stop()
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


async def bootstrap(client: Client, *, api_port: int = 6443, endpoints: bool = True) -> None:
    """Objects a cluster has from its first second, created if missing."""
    namespaces = REGISTRY.resolve("namespaces")
    services = REGISTRY.resolve("services")
    assert namespaces is not None and services is not None
    for name in SYSTEM_NAMESPACES:
        with contextlib.suppress(AlreadyExists):
            await client.create(namespaces, {"apiVersion": "v1", "kind": "Namespace",
                                             "metadata": {"name": name}})
    # The ServiceAccount controller makes these too; made here they are there before any
    # pod is admitted, even with the controller manager elsewhere or left out.
    accounts = REGISTRY.require("", "v1", "serviceaccounts")
    for name in SYSTEM_NAMESPACES:
        with contextlib.suppress(AlreadyExists):
            await client.create(accounts, {"apiVersion": "v1", "kind": "ServiceAccount",
                                           "metadata": {"name": "default", "namespace": name}})
    classes = REGISTRY.resolve("priorityclasses")
    if classes is not None:
        for name, value in SYSTEM_PRIORITY_CLASSES.items():
            with contextlib.suppress(AlreadyExists):
                await client.create(classes, {
                    "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                    "metadata": {"name": name}, "value": value,
                    "description": f"Used for {SYSTEM_CLASS_USE[name]}."})
    with contextlib.suppress(AlreadyExists):  # minikube's default class, on our provisioner
        await client.create(REGISTRY.require("storage.k8s.io", "v1", "storageclasses"),
                            copy.deepcopy(DEFAULT_STORAGE_CLASS))
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
    if endpoints:  # (on a shared store apiserver/peers.py writes them)
        await _apiserver_endpoints(client, api_port)


async def _publish_cluster_info(client: Client, server: str, ca_pem: bytes) -> None:
    """``kube-public/cluster-info``: where the cluster is and its CA, for machines that join
    (client/bootstrap.py checks the CA against the hash `token create` prints)."""
    configmaps = REGISTRY.require("", "v1", "configmaps")
    wanted = cluster_info(server, ca_pem)
    try:
        await client.create(configmaps, wanted, "kube-public")
    except AlreadyExists:
        current = await client.get(configmaps, "cluster-info", "kube-public")
        if current.get("data") != wanted["data"]:
            await client.patch(configmaps, "cluster-info", {"data": wanted["data"]},
                               "kube-public")


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


async def bootstrap_policy(client: Client) -> None:
    """The default roles and bindings (``bootstrappolicy.py``): created when missing, given
    back what they lack while their autoupdate annotation says ``true``."""
    for wanted in [*policy.CLUSTER_ROLES, *policy.CLUSTER_ROLE_BINDINGS]:
        rt = REGISTRY.by_kind(wanted["apiVersion"], wanted["kind"])
        assert rt is not None
        name = wanted["metadata"]["name"]
        try:
            await client.create(rt, wanted)
            continue
        except AlreadyExists:
            pass
        updated = policy.reconciled(await client.get(rt, name), wanted)
        if updated is not None:
            await client.update(rt, updated)


def service_gateway(proxier: Proxier | None) -> Callable[[], str]:
    """What the kubelets' Service variables name instead of cluster IPs, asked at each
    container start: the bridge gateway (where the proxy listens too) while the proxy's
    cluster-IP rules are not on (``--without service-rules``, not root, another daemon owns
    them, or the proxy has not started yet), nothing once they are (or without a proxy)."""
    gateway = interface_address() or ""

    def current() -> str:
        if proxier is None or (proxier.rules is not None and proxier.rules.active):
            return ""
        return gateway
    return current


def serving_hosts(listen_host: str) -> list[str]:
    """The serving certificate's names: the host's loopback names and listen address, the
    ``kubernetes`` Service's cluster IP and DNS names, and the Docker bridge gateway (where
    containers reach the apiserver through the proxy when cluster IPs are not routed)."""
    hosts = {"127.0.0.1", "localhost", "::1", listen_host, str(SERVICE_CIDR[1]),
             *SERVICE_NAMES}
    gateway = interface_address()
    if gateway:
        hosts.add(gateway)
    return sorted(hosts - {"0.0.0.0", "::"})
async def open_store(cfg: DaemonConfig) -> CachedStore:
    """The store ``cfg.storage`` names: SQLite in the data dir, memory, or etcd."""
    if cfg.storage == "sqlite":
        return await SqliteStorage.open(cfg.db_path, synchronous=cfg.synchronous,
                                        history=cfg.history)
    if cfg.storage == "memory":
        return await MemoryStorage.open(history=cfg.history)
    return await open_etcd(cfg)


async def open_etcd(cfg: DaemonConfig) -> EtcdStorage:
    files = (cfg.etcd_cafile, cfg.etcd_certfile, cfg.etcd_keyfile)
    try:
        ctx = tls_context(*(str(f) if f else None for f in files))
        endpoints = parse_endpoints(cfg.storage, tls=ctx is not None)
    except (ValueError, OSError) as exc:
        raise DaemonError(f"--storage {cfg.storage}: {exc}") from exc
    try:
        return await EtcdStorage.open(EtcdClient(endpoints, ssl_context=ctx),
                                      history=cfg.history)
    except EtcdError as exc:
        raise DaemonError(f"cannot open the store at {cfg.storage}: {exc}") from exc


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
    """Replace the store with a snapshot (the daemon must be stopped); returns its revision.
    With ``--storage etcd://...`` the snapshot's objects replace what etcd holds (no
    apiserver may be running on that etcd meanwhile)."""
    if running_pid(config) is not None:
        raise DaemonError("the daemon is running: stop it first (minikube-py down)")
    if config.shared_store:
        return asyncio.run(_restore_into_etcd(config, snapshot))
    return restore_file(snapshot, config.db_path)


async def _restore_into_etcd(config: DaemonConfig, snapshot: Path) -> int:
    store = await open_etcd(config)  # checks the address and that etcd answers
    try:
        leases = REGISTRY.require("coordination.k8s.io", "v1", "leases")
        entries, _ = store.list_prefix(leases.prefix(PEERS_NAMESPACE))
        live = subsets([e.decode() for e in entries if e.key.rsplit("/", 1)[1].startswith(
            "apiserver-")], clock.now())
        if live:
            where = ", ".join(f"{a['ip']}:{s['ports'][0]['port']}" for s in live
                              for a in s["addresses"])
            raise DaemonError(f"apiservers are running on {config.storage} ({where}): stop "
                              f"them first")
        return await etcd_restore(store.client, snapshot)
    except EtcdError as exc:
        raise DaemonError(f"restore into {config.storage}: {exc}") from exc
    finally:
        await store.close()


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


