"""Builders of pods and nodes for the scheduler's unit tests (plain dicts, as the API has
them), and a Handle double over a Cache."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minikube_py.client.store import Indexer, Lister
from minikube_py.scheduler.cache import Cache
from minikube_py.scheduler.framework import Framework
from minikube_py.scheduler.types import NodeInfo, PodInfo


def pod(name: str = "p", *, namespace: str = "default", cpu: str | None = None,
        memory: str | None = None, labels: dict[str, str] | None = None,
        priority: int = 0, node: str = "", **spec: Any) -> dict[str, Any]:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    container: dict[str, Any] = {"name": "c", "image": spec.pop("image", "busybox")}
    if requests:
        container["resources"] = {"requests": requests}
    if "ports" in spec:
        container["ports"] = spec.pop("ports")
    if "extended" in spec:
        container.setdefault("resources", {}).setdefault("requests", {}).update(
            spec.pop("extended"))
    body: dict[str, Any] = {"containers": [container], "priority": priority, **spec}
    if node:
        body["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}",
                         "labels": labels or {}},
            "spec": body, "status": {"phase": "Pending"}}


def node(name: str = "n", *, cpu: str = "4", memory: str = "8Gi", pods: int = 110,
         labels: dict[str, str] | None = None, taints: list[dict[str, str]] | None = None,
         unschedulable: bool = False, images: list[dict[str, Any]] | None = None,
         extended: dict[str, str] | None = None) -> dict[str, Any]:
    capacity = {"cpu": cpu, "memory": memory, "pods": str(pods), **(extended or {})}
    spec: dict[str, Any] = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name,
                         "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
            "spec": spec,
            "status": {"capacity": capacity, "allocatable": dict(capacity),
                       "images": images or []}}


def info(obj: dict[str, Any]) -> PodInfo:
    return PodInfo.of(obj)


def node_info(obj: dict[str, Any], *placed: dict[str, Any]) -> NodeInfo:
    ni = NodeInfo(obj["metadata"]["name"])
    ni.set_node(obj)
    for p in placed:
        ni.add_pod(PodInfo.of(p))
    return ni


class FakeHandle:
    """The scheduler's Handle over a cache and in-memory listers."""

    def __init__(self, cache: Cache | None = None,
                 objects: dict[str, list[dict[str, Any]]] | None = None) -> None:
        self.cache = cache or Cache()
        self._listers: dict[str, Lister] = {}
        for plural, items in (objects or {}).items():
            indexer = Indexer({"namespace": lambda o: [o["metadata"].get("namespace", "")]})
            for item in items:
                indexer.add(item)
            self._listers[plural] = Lister(indexer)
        self.fw: Framework | None = None
        self.client: Any = None
        self.events: Any = None

    def node_infos(self) -> Sequence[NodeInfo]:
        return self.cache.node_list()

    def node_info(self, name: str) -> NodeInfo | None:
        return self.cache.nodes.get(name)

    def lister(self, plural: str) -> Lister | None:
        return self._listers.get(plural)

    def framework(self) -> Framework:
        assert self.fw is not None
        return self.fw


def cluster(*nodes: dict[str, Any], pods: Sequence[dict[str, Any]] = ()) -> Cache:
    cache = Cache()
    for n in nodes:
        cache.add_node(n)
    for p in pods:
        cache.add_pod(PodInfo.of(p))
    return cache
