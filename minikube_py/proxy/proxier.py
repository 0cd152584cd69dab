"""The proxier: kube-proxy's userspace mode as a component ("proxy"), in the daemon or in its
own process (``minikube-py proxy --kubeconfig F``).

It watches Services and Endpoints through shared informers and keeps one
:class:`~minikube_py.proxy.serviceport.ServicePortProxy` per TCP port of every Service that
has a cluster IP (headless and ExternalName Services get none). Each listens on every
address of ``listen_hosts`` (127.0.0.1 for the host, the Docker bridge gateway for
containers) on a port of its own (the one it had before when free, so URLs survive a
restart), and a NodePort Service's ports also on their ``nodePort`` on the same addresses
(never on all interfaces: nothing is exposed beyond the machine). Backends are the ready
addresses of the Service's Endpoints under the port of the same name; ClientIP affinity
comes from the Service. Endpoint changes reach only new connections; a Service (or port)
that goes closes its listeners, and its established connections run on until their ends
close them.

Where each port listens is published on the Service as the annotation :data:`PORTS_ANNOTATION`
(``{"<port name or number>": <host port>}``), which ``minikube-py service NAME --url`` reads.
When a :class:`~minikube_py.proxy.iptables.ServiceRules` is given, every cluster IP and port
is also redirected there to the bridge listener (pods reach ``CLUSTER-IP:PORT``).

Events only mark Service keys dirty; one task (``syncer``) applies them in batches, so a
burst of endpoint updates costs one sync per Service.

On a ``published`` pod network (Docker Desktop, api/podnetwork.py) pod IPs are not reachable
from the host: the proxy also watches pods and dials the address the kubelet published for
an endpoint's port (the pod's annotation) instead of ``podIP:port``; an endpoint whose port
is not published (yet) is left out until it is.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from minikube_py.api import podnetwork
from minikube_py.api.errors import NotFound, StatusError
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.informer import SharedInformerFactory, strip_managed_fields
from minikube_py.client.store import (
    DeletedFinalStateUnknown,
    Lister,
    meta_namespace_key,
    split_meta_namespace_key,
)
from minikube_py.proxy.balancer import DEFAULT_AFFINITY_TIMEOUT
from minikube_py.proxy.hostnet import DOCKER_BRIDGE, interface_address
from minikube_py.proxy.iptables import Redirect, ServiceRules
from minikube_py.proxy.serviceport import ServicePortProxy
from minikube_py.util.tasks import TaskGroup

log = logging.getLogger(__name__)

Object = dict[str, Any]

COMPONENT = "proxy"
PORTS_ANNOTATION = "proxy.minikube-py.io/ports"
"""Where the proxy listens for each port of a Service on 127.0.0.1: JSON
``{"<port name, or the port number when unnamed>": <port>}``."""


SERVICES = REGISTRY.require("", "v1", "services")
ENDPOINTS = REGISTRY.require("", "v1", "endpoints")
PODS = REGISTRY.require("", "v1", "pods")


def port_key(port: Object) -> str:
    """How a Service port is named in the annotation and in Endpoints: its name, else its
    number (a single unnamed port)."""
    return str(port.get("name") or port.get("port"))


def is_proxied(service: Object) -> bool:
    spec = service.get("spec") or {}
    return spec.get("type") != "ExternalName" and spec.get("clusterIP") not in (None, "", "None")


def affinity_timeout(service: Object) -> float | None:
    spec = service.get("spec") or {}
    if spec.get("sessionAffinity") != "ClientIP":
        return None
    config = ((spec.get("sessionAffinityConfig") or {}).get("clientIP") or {})
    return float(config.get("timeoutSeconds") or DEFAULT_AFFINITY_TIMEOUT)


def ready_endpoints(endpoints: Object | None, port: Object) -> list[tuple[str, int]]:
    """The ready (ip, port) pairs of an Endpoints object for one Service port: the subset
    port of the same name (an unnamed Service port matches an unnamed subset port)."""
    name = port.get("name") or ""
    out: list[tuple[str, int]] = []
    for subset in (endpoints or {}).get("subsets") or []:
        numbers = [p.get("port") for p in subset.get("ports") or []
                   if (p.get("name") or "") == name and (p.get("protocol") or "TCP") == "TCP"]
        if not numbers or not isinstance(numbers[0], int):
            continue
        out += [(str(a["ip"]), numbers[0]) for a in subset.get("addresses") or [] if a.get("ip")]
    return out


def published_ports(service: Object) -> dict[str, int]:
    """The annotation of a Service, parsed ({} when absent or unreadable)."""
    text = ((service.get("metadata") or {}).get("annotations") or {}).get(PORTS_ANNOTATION)
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return {str(k): int(v) for k, v in value.items() if isinstance(v, int)} \
        if isinstance(value, dict) else {}


@dataclass
class _Serving:
    """One Service port being proxied and what its listeners were made for."""

    proxy: ServicePortProxy
    port: int  # the proxy's own port on the first listen host (127.0.0.1)
    host_ports: dict[str, int]  # the proxy's own port on every listen host
    node_port: int | None
    cluster: tuple[str, int]  # (cluster IP, Service port), for the redirect rules
    listeners: list[tuple[str, int]] = field(default_factory=list)


class Proxier:
    """The proxy component: one listener set per Service port, kept in step with the API."""

    name = COMPONENT

    def __init__(self, client: Client, *, listen_hosts: tuple[str, ...] = ("127.0.0.1",),
                 rules: ServiceRules | None = None, publish: bool = True,
                 pod_network: str = podnetwork.ROUTED) -> None:
        self.client = client
        self.pod_network = pod_network
        # published pod network: pod IP -> {container port: (host, port)}, and the Services
        # whose backends were last built from each pod IP (to sync when a pod publishes).
        self.published: dict[str, dict[int, tuple[str, int]]] = {}
        self._ip_services: dict[str, set[str]] = {}
        self.listen_hosts = listen_hosts
        self.rules = rules
        self.publish = publish
        self.serving: dict[tuple[str, str], _Serving] = {}  # (service key, port key)
        self._informers: SharedInformerFactory | None = None
        self._tasks = TaskGroup(COMPONENT)
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self.syncs = 0
        self.services: Lister | None = None
        self.endpoints: Lister | None = None

    # -- Component ---------------------------------------------------------------------------

    async def start(self) -> None:
        informers = SharedInformerFactory(self.client, transform=strip_managed_fields,
                                          name=f"{COMPONENT}/informers")
        self._informers = informers
        services = informers.informer_for(SERVICES)
        endpoints = informers.informer_for(ENDPOINTS)
        self.services, self.endpoints = Lister(services.indexer), Lister(endpoints.indexer)
        for informer in (services, endpoints):
            informer.add_event_handler(on_add=self._changed, on_update=self._updated,
                                       on_delete=self._deleted)
        if self.pod_network == podnetwork.PUBLISHED:
            informers.informer_for(PODS).add_event_handler(
                on_add=self._pod_changed, on_update=lambda _old, new: self._pod_changed(new),
                on_delete=self._pod_deleted)
        informers.start()
        await informers.wait_for_cache_sync()
        if self.rules is not None:
            await self.rules.setup()
        await self.sync_all()
        self._tasks.spawn(self._syncer(), name="syncer")

    async def stop(self) -> None:
        await self._tasks.stop()
        if self._informers is not None:
            await self._informers.shutdown()
            self._informers = None
        for serving in list(self.serving.values()):
            await serving.proxy.stop(abort_connections=True)
        self.serving.clear()
        if self.rules is not None:
            await self.rules.teardown()

    def health(self) -> str | None:
        if not self._tasks.failed:
            return None
        return "; ".join(f"{name}: {exc!r}" for name, exc in self._tasks.failed)

    # -- events ------------------------------------------------------------------------------

    def _mark(self, obj: Object) -> None:
        self._dirty.add(meta_namespace_key(obj))
        self._wake.set()

    def _changed(self, obj: Object) -> None:
        self._mark(obj)

    def _updated(self, old: Object, new: Object) -> None:
        if old.get("subsets") != new.get("subsets") or old.get("spec") != new.get("spec") or \
                published_ports(old) != published_ports(new):
            self._mark(new)

    def _deleted(self, obj: Object | DeletedFinalStateUnknown) -> None:
        last = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        if isinstance(last, dict):
            self._mark(last)

    def _pod_changed(self, pod: Object) -> None:
        ip = (pod.get("status") or {}).get("podIP")
        if not ip:
            return
        published = podnetwork.published_ports(pod)
        if self.published.get(ip) != published:
            self.published[ip] = published
            for key in self._ip_services.get(ip, ()):
                self._dirty.add(key)
            self._wake.set()

    def _pod_deleted(self, obj: Object | DeletedFinalStateUnknown) -> None:
        last = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        ip = (last.get("status") or {}).get("podIP") if isinstance(last, dict) else None
        if ip:
            self.published.pop(ip, None)
            self._ip_services.pop(ip, None)

    def backends(self, key: str, endpoints: Object | None, port: Object) -> list[tuple[str, int]]:
        """Where to dial for one Service port: the ready endpoints, through their published
        addresses on a published pod network."""
        ready = ready_endpoints(endpoints, port)
        if self.pod_network != podnetwork.PUBLISHED:
            return ready
        out = []
        for ip, number in ready:
            self._ip_services.setdefault(ip, set()).add(key)
            where = self.published.get(ip, {}).get(number)
            if where is not None:
                out.append(where)
        return out

    async def _syncer(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            dirty, self._dirty = self._dirty, set()
            for key in sorted(dirty):
                try:
                    await self.sync_service(key)
                except Exception:  # one Service must not stop the proxy for the others
                    log.exception("proxy: syncing %s failed; retrying", key)
                    self._dirty.add(key)
                    asyncio.get_running_loop().call_later(1.0, self._wake.set)

    # -- sync --------------------------------------------------------------------------------

    async def sync_all(self) -> None:
        """Sync every Service in the cache and every one still served."""
        assert self.services is not None
        keys = {meta_namespace_key(s) for s in self.services.list()}
        keys |= {key for key, _ in self.serving}
        for key in sorted(keys):
            await self.sync_service(key)

    async def sync_service(self, key: str) -> None:
        """Make the listeners of one Service what its spec and Endpoints say."""
        assert self.services is not None and self.endpoints is not None
        self.syncs += 1
        namespace, name = split_meta_namespace_key(key)
        service = self.services.get(name, namespace)
        wanted: dict[str, Object] = {}
        if service is not None and is_proxied(service):
            wanted = {port_key(p): p for p in (service.get("spec") or {}).get("ports") or []
                      if (p.get("protocol") or "TCP") == "TCP" and isinstance(p.get("port"), int)}
        for (skey, pkey), serving in list(self.serving.items()):
            if skey == key and (pkey not in wanted or self._moved(serving, service, wanted[pkey])):
                await self._close(key, pkey)
        if service is None or not wanted:
            await self._sync_rules()
            return
        endpoints = self.endpoints.get(name, namespace)
        previous = published_ports(service)
        for pkey, port in wanted.items():
            found = self.serving.get((key, pkey))
            serving = found or await self._open(key, pkey, service, port, previous.get(pkey))
            serving.proxy.set_affinity(affinity_timeout(service))
            serving.proxy.update(self.backends(key, endpoints, port))
        await self._sync_rules()
        await self._publish(service, {p: self.serving[(key, p)].port for p in wanted
                                      if (key, p) in self.serving})

    @staticmethod
    def _moved(serving: _Serving, service: Object | None, port: Object) -> bool:
        """Whether a served port's listeners no longer fit (its node port or IP changed)."""
        if service is None:
            return True
        cluster_ip = str((service.get("spec") or {}).get("clusterIP"))
        node_port = port.get("nodePort") if isinstance(port.get("nodePort"), int) else None
        return serving.node_port != node_port or serving.cluster != (cluster_ip, port["port"])

    async def _open(self, key: str, pkey: str, service: Object, port: Object,
                    previous: int | None) -> _Serving:
        proxy = ServicePortProxy(f"{key}:{pkey}", affinity_timeout=affinity_timeout(service))
        host_ports: dict[str, int] = {}
        for host in self.listen_hosts:
            # The port it had (a stable URL), else the first host's, else any free one.
            first = next(iter(host_ports.values()), None)
            for candidate in dict.fromkeys([first or previous or 0, 0]):
                try:
                    host_ports[host] = await proxy.start(host, candidate)
                    break
                except OSError as err:
                    if candidate == 0:
                        raise
                    log.debug("proxy: %s:%d taken (%s); another port", host, candidate, err)
        node_port = port.get("nodePort") if isinstance(port.get("nodePort"), int) else None
        if node_port:
            for host in self.listen_hosts:
                try:
                    await proxy.start(host, node_port)
                except OSError as err:
                    log.warning("proxy: cannot listen on %s:%d for NodePort %s: %s", host,
                                node_port, key, err)
        cluster_ip = str((service.get("spec") or {}).get("clusterIP"))
        serving = _Serving(proxy, next(iter(host_ports.values())), host_ports, node_port,
                           (cluster_ip, int(port["port"])), proxy.addresses)
        self.serving[(key, pkey)] = serving
        log.info("proxy: %s port %s listens on %s", key, pkey,
                 ", ".join(f"{h}:{p}" for h, p in serving.listeners))
        return serving

    async def _close(self, key: str, pkey: str) -> None:
        serving = self.serving.pop((key, pkey))
        await serving.proxy.stop()
        log.info("proxy: %s port %s closed", key, pkey)

    async def _sync_rules(self) -> None:
        if self.rules is None:
            return
        gateway = self.rules.gateway
        await self.rules.sync([Redirect(s.cluster[0], s.cluster[1], s.host_ports[gateway])
                               for s in self.serving.values() if gateway in s.host_ports])

    async def _publish(self, service: Object, ports: dict[str, int]) -> None:
        """Write the annotation when it differs (no write, no event, when it does not)."""
        if not self.publish or published_ports(service) == ports:
            return
        meta = service.get("metadata") or {}
        patch = {"metadata": {"annotations": {PORTS_ANNOTATION: json.dumps(ports,
                                                                           sort_keys=True)}}}
        try:
            await self.client.patch(SERVICES, str(meta.get("name")), patch,
                                    str(meta.get("namespace")))
        except NotFound:
            pass
        except StatusError as err:
            log.warning("proxy: cannot annotate %s/%s: %s", meta.get("namespace"),
                        meta.get("name"), err.message)


def build_proxier(client: Client, *, service_cidr: str, rules: bool = True,
                  pod_network: str = podnetwork.ROUTED) -> Proxier:
    """The proxy as the daemon and ``minikube-py proxy`` run it: listening on 127.0.0.1 and
    on the Docker bridge gateway when there is one, with the cluster-IP rules when asked
    (they switch themselves off, with one warning, where they cannot work)."""
    gateway = interface_address()
    hosts = ("127.0.0.1", gateway) if gateway else ("127.0.0.1",)
    if gateway is None:
        log.warning("proxy: no Docker bridge (%s); Services answer on 127.0.0.1 only, not "
                    "from containers", DOCKER_BRIDGE)
    service_rules = ServiceRules(service_cidr=service_cidr, gateway=gateway) \
        if rules and gateway else None
    return Proxier(client, listen_hosts=hosts, rules=service_rules, pod_network=pod_network)
