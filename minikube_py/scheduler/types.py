"""What the scheduler knows about pods and nodes, precomputed once (kube-scheduler's
``framework/types.go``: ``PodInfo``, ``NodeInfo``, ``AffinityTerm``).

A :class:`PodInfo` wraps a pod with what every cycle would otherwise recompute: its requests,
host ports, priority and parsed (anti-)affinity terms. A :class:`NodeInfo` wraps a node with the
sum of what its pods (bound or assumed) request, their host ports, the pods with affinity
terms, and the node's images. The cache (``cache.py``) owns the NodeInfos; plugins only read
them. Taint/toleration matching lives here too, as both filters and the queue use it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from minikube_py.api.machinery.nodeaffinity import tolerates
from minikube_py.api.machinery.selectors import LabelSelector
from minikube_py.scheduler import resources as res
from minikube_py.scheduler.resources import Resources
from minikube_py.util import jsonutil

Object = dict[str, Any]
MatchKey = tuple[str, frozenset[tuple[str, str]]]  # (namespace, labels) of a pod
HOSTNAME_LABEL = "kubernetes.io/hostname"
ZONE_LABEL = "topology.kubernetes.io/zone"
REGION_LABEL = "topology.kubernetes.io/region"


def pod_key(pod: Mapping[str, Any]) -> str:
    meta = pod.get("metadata") or {}
    return f"{meta.get('namespace') or ''}/{meta.get('name') or ''}"


@dataclass(frozen=True, slots=True)
class AffinityTerm:
    """A parsed ``PodAffinityTerm``: which pods (selector, namespaces) in which domain."""

    selector: LabelSelector
    namespaces: frozenset[str]
    all_namespaces: bool
    topology_key: str

    def matches(self, pod: PodInfo) -> bool:
        return self.matches_key(pod.match_key)

    def matches_key(self, key: MatchKey) -> bool:
        """Does a pod of this (namespace, labels) fall under the term?"""
        namespace, labels = key
        if not (self.all_namespaces or namespace in self.namespaces):
            return False
        return self.selector.matches(dict(labels))

    @classmethod
    def parse(cls, term: Mapping[str, Any], namespace: str) -> AffinityTerm:
        """Parsed once per distinct term: pods of one template share the object, so a
        cycle can remember what a term matched (InterPodAffinity's memo)."""
        return _parse_term(jsonutil.dumps_sorted_text(term), namespace)

    @classmethod
    def _parse(cls, term: Mapping[str, Any], namespace: str) -> AffinityTerm:
        namespaces = frozenset(str(n) for n in term.get("namespaces") or ())
        ns_selector = term.get("namespaceSelector")
        # ``namespaceSelector: {}`` selects every namespace; without either, the pod's own.
        all_namespaces = isinstance(ns_selector, dict) and not ns_selector
        if not namespaces and not all_namespaces:
            namespaces = frozenset({namespace})
        selector = LabelSelector.from_dict(term.get("labelSelector"))
        return cls(selector, namespaces, all_namespaces, str(term.get("topologyKey") or ""))


@functools.lru_cache(maxsize=4096)
def _parse_term(text: str, namespace: str) -> AffinityTerm:
    return AffinityTerm._parse(jsonutil.loads(text), namespace)


@dataclass(frozen=True, slots=True)
class WeightedAffinityTerm:
    weight: int
    term: AffinityTerm


def _terms(affinity: Mapping[str, Any], kind: str, namespace: str) -> list[AffinityTerm]:
    block = affinity.get(kind) or {}
    return [AffinityTerm.parse(t, namespace)
            for t in block.get("requiredDuringSchedulingIgnoredDuringExecution") or ()]


def _weighted(affinity: Mapping[str, Any], kind: str,
              namespace: str) -> list[WeightedAffinityTerm]:
    block = affinity.get(kind) or {}
    return [WeightedAffinityTerm(int(t.get("weight") or 0),
                                 AffinityTerm.parse(t.get("podAffinityTerm") or {}, namespace))
            for t in block.get("preferredDuringSchedulingIgnoredDuringExecution") or ()]


@dataclass(eq=False, slots=True)
class PodInfo:
    """A pod and what the scheduler derives from it once."""

    pod: Object
    key: str
    uid: str
    namespace: str
    name: str
    labels: dict[str, str]
    priority: int
    node_name: str
    requests: Resources
    non_zero_cpu: int
    non_zero_memory: int
    host_ports: list[tuple[str, str, int]]  # (hostIP, protocol, hostPort)
    # The non-zero requests a node must hold, pods count aside (what NodeResourcesFit checks).
    fit_requests: tuple[tuple[str, int], ...] = ()
    cpu: int = 0  # requests.cpu and .memory as plain numbers, for the hot loops
    memory: int = 0
    cpu_memory_only: bool = True  # it asks for nothing but cpu and memory
    # (namespace, labels) as one hashable value: what affinity terms are matched against
    match_key: MatchKey = ("", frozenset())
    required_affinity: list[AffinityTerm] = field(default_factory=list)
    required_anti_affinity: list[AffinityTerm] = field(default_factory=list)
    preferred_affinity: list[WeightedAffinityTerm] = field(default_factory=list)
    preferred_anti_affinity: list[WeightedAffinityTerm] = field(default_factory=list)

    @classmethod
    def of(cls, pod: Object) -> PodInfo:
        meta = pod.get("metadata") or {}
        spec = pod.get("spec") or {}
        namespace = str(meta.get("namespace") or "")
        affinity = spec.get("affinity") or {}
        cpu, memory = res.non_zero_requests(pod)
        requests = res.pod_requests(pod)
        return cls(
            pod=pod, key=f"{namespace}/{meta.get('name') or ''}", uid=str(meta.get("uid") or ""),
            namespace=namespace, name=str(meta.get("name") or ""),
            labels=dict(meta.get("labels") or {}), priority=int(spec.get("priority") or 0),
            node_name=str(spec.get("nodeName") or ""), requests=requests,
            non_zero_cpu=cpu, non_zero_memory=memory, host_ports=host_ports(spec),
            fit_requests=tuple((k, v) for k, v in requests.items()
                               if v > 0 and k != res.PODS),
            cpu=requests.get(res.CPU, 0), memory=requests.get(res.MEMORY, 0),
            match_key=(namespace, frozenset((meta.get("labels") or {}).items())),
            cpu_memory_only=all(k in (res.CPU, res.MEMORY) for k, v in requests.items() if v),
            required_affinity=_terms(affinity, "podAffinity", namespace),
            required_anti_affinity=_terms(affinity, "podAntiAffinity", namespace),
            preferred_affinity=_weighted(affinity, "podAffinity", namespace),
            preferred_anti_affinity=_weighted(affinity, "podAntiAffinity", namespace))

    @property
    def spec(self) -> Object:
        spec = self.pod.get("spec")
        return spec if isinstance(spec, dict) else {}

    @property
    def has_affinity(self) -> bool:
        return bool(self.required_affinity or self.required_anti_affinity or
                    self.preferred_affinity or self.preferred_anti_affinity)

    @property
    def scores_affinity(self) -> bool:
        """Terms that count in InterPodAffinity's score (required anti-affinity does not)."""
        return bool(self.required_affinity or self.preferred_affinity or
                    self.preferred_anti_affinity)

    @property
    def terminating(self) -> bool:
        return bool((self.pod.get("metadata") or {}).get("deletionTimestamp"))


def host_ports(spec: Mapping[str, Any]) -> list[tuple[str, str, int]]:
    ports = []
    for container in list(spec.get("containers") or ()) + list(spec.get("initContainers") or ()):
        for port in (container or {}).get("ports") or ():
            host_port = int(port.get("hostPort") or 0)
            if host_port > 0:
                ports.append((str(port.get("hostIP") or "0.0.0.0"),
                              str(port.get("protocol") or "TCP"), host_port))
    return ports


@dataclass(eq=False, slots=True)
class NodeInfo:
    """A node and the pods placed on it (bound or assumed), with their sums."""

    name: str
    node: Object | None = None
    labels: dict[str, str] = field(default_factory=dict)
    allocatable: Resources = field(default_factory=dict)
    taints: list[Object] = field(default_factory=list)
    unschedulable: bool = False
    image_sizes: dict[str, int] = field(default_factory=dict)
    pods: dict[str, PodInfo] = field(default_factory=dict)
    requested: Resources = field(default_factory=dict)
    non_zero_cpu: int = 0
    non_zero_memory: int = 0
    used_ports: dict[tuple[str, int], set[str]] = field(default_factory=dict)
    pods_with_affinity: dict[str, PodInfo] = field(default_factory=dict)
    pods_with_required_anti_affinity: dict[str, PodInfo] = field(default_factory=dict)
    generation: int = 0
    # allocatable and requested cpu, memory and pods as plain numbers, for the hot loops
    alloc_cpu: int = 0
    alloc_memory: int = 0
    alloc_pods: int = 0
    req_cpu: int = 0
    req_memory: int = 0

    def set_node(self, node: Object) -> None:
        self.node = node
        meta = node.get("metadata") or {}
        spec = node.get("spec") or {}
        status = node.get("status") or {}
        self.labels = dict(meta.get("labels") or {})
        self.allocatable = res.resource_list(status.get("allocatable") or
                                             status.get("capacity"))
        self.alloc_cpu = self.allocatable.get(res.CPU, 0)
        self.alloc_memory = self.allocatable.get(res.MEMORY, 0)
        self.alloc_pods = self.allocatable.get(res.PODS, 0)
        self.taints = [t for t in spec.get("taints") or () if isinstance(t, dict)]
        self.unschedulable = spec.get("unschedulable") is True
        self.image_sizes = {}
        for image in status.get("images") or ():
            for name in image.get("names") or ():
                self.image_sizes[normalized_image(name)] = int(image.get("sizeBytes") or 0)
        self.generation += 1

    def add_pod(self, pod: PodInfo) -> None:
        self.pods[pod.key] = pod
        for name, value in pod.requests.items():
            self.requested[name] = self.requested.get(name, 0) + value
        self.req_cpu += pod.cpu
        self.req_memory += pod.memory
        self.non_zero_cpu += pod.non_zero_cpu
        self.non_zero_memory += pod.non_zero_memory
        for ip, protocol, port in pod.host_ports:
            self.used_ports.setdefault((protocol, port), set()).add(ip)
        if pod.has_affinity:
            self.pods_with_affinity[pod.key] = pod
        if pod.required_anti_affinity:
            self.pods_with_required_anti_affinity[pod.key] = pod
        self.generation += 1

    def remove_pod(self, key: str) -> PodInfo | None:
        pod = self.pods.pop(key, None)
        if pod is None:
            return None
        for name, value in pod.requests.items():
            self.requested[name] = self.requested.get(name, 0) - value
        self.req_cpu -= pod.cpu
        self.req_memory -= pod.memory
        self.non_zero_cpu -= pod.non_zero_cpu
        self.non_zero_memory -= pod.non_zero_memory
        for ip, protocol, port in pod.host_ports:
            ips = self.used_ports.get((protocol, port))
            if ips is not None:
                ips.discard(ip)
                if not ips:
                    del self.used_ports[(protocol, port)]
        self.pods_with_affinity.pop(key, None)
        self.pods_with_required_anti_affinity.pop(key, None)
        self.generation += 1
        return pod

    def clone(self) -> NodeInfo:
        """A copy whose pods can be removed and added (preemption's dry runs)."""
        copy = NodeInfo(self.name, self.node, self.labels, self.allocatable, self.taints,
                        self.unschedulable, self.image_sizes, alloc_cpu=self.alloc_cpu,
                        alloc_memory=self.alloc_memory, alloc_pods=self.alloc_pods)
        for pod in self.pods.values():
            copy.add_pod(pod)
        return copy

    def port_conflict(self, ip: str, protocol: str, port: int) -> bool:
        """Kubernetes' HostPortInfo.CheckConflict: 0.0.0.0 conflicts with every address."""
        ips = self.used_ports.get((protocol, port))
        if not ips:
            return False
        return ip == "0.0.0.0" or "0.0.0.0" in ips or ip in ips


def normalized_image(name: str) -> str:
    """``busybox`` -> ``docker.io/library/busybox:latest``-ish normal form for comparison."""
    if "@" not in name and ":" not in name.rsplit("/", 1)[-1]:
        name += ":latest"
    return name


def first_untolerated(taints: Iterable[Mapping[str, Any]],
                      tolerations: Iterable[Mapping[str, Any]],
                      effects: tuple[str, ...]) -> Mapping[str, Any] | None:
    tols = [t for t in tolerations if isinstance(t, dict)]
    for taint in taints:
        if taint.get("effect") not in effects:
            continue
        if not any(tolerates(t, taint) for t in tols):
            return taint
    return None
