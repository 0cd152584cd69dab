"""The resource metrics API (``metrics.k8s.io/v1beta1``) from the kubelets of this process, as
metrics-server serves it from each kubelet's summary: ``kubectl top pod|node``.

Each kubelet samples its running containers' cumulative CPU time and memory working set every
``stats_period`` seconds (``Kubelet.usage``, the sample before in ``previous_usage``). A
container's CPU is the rate between its last two samples (for a container's first sample:
since it started), the window the time between them; memory is the last working set. A pod's
metrics are its running containers'; a node's usage is the sum over its pods' containers (the
node's own processes are not counted: the daemon is one process). Pods without a sample yet
are left out of lists and are 404 to a get, as with metrics-server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from minikube_py.api.errors import NotFound
from minikube_py.api.machinery.selectors import LabelSelector
from minikube_py.api.registry import ResourceType
from minikube_py.api.wire import ApiRequest, ApiResponse

from .kubelet import KUBELETS, Kubelet
from .runtime.base import LABEL_CONTAINER_NAME, ContainerId

Object = dict[str, Any]


def _rfc3339(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _window(seconds: float) -> str:
    return f"{seconds:.3f}".rstrip("0").rstrip(".") + "s"


def container_usage(kubelet: Kubelet, cid: ContainerId) -> tuple[int, int, float, dt.datetime]:
    """(nanocores, working-set bytes, window seconds, sample time) of one container."""
    now = kubelet.usage[cid]
    before = kubelet.previous_usage.get(cid)
    if before is not None and now.timestamp > before.timestamp:
        start, used = before.timestamp, now.cpu_usage_nanoseconds - before.cpu_usage_nanoseconds
    else:
        status = kubelet.running.get(cid)
        start = status.started_at if status is not None and status.started_at else \
            now.timestamp - dt.timedelta(seconds=kubelet.config.stats_period)
        used = now.cpu_usage_nanoseconds
    seconds = max((now.timestamp - start).total_seconds(), 1e-3)
    return max(int(used / seconds), 0), now.memory_working_set_bytes, seconds, now.timestamp


def _pods(kubelet: Kubelet) -> Iterator[tuple[Object, list[tuple[str, int, int]], float,
                                              dt.datetime]]:
    by_pod: dict[str, list[ContainerId]] = {}
    for cid, status in kubelet.running.items():
        if cid in kubelet.usage:
            by_pod.setdefault(status.pod_uid, []).append(cid)
    pods = {p["metadata"]["uid"]: p for p in kubelet.pods.values()}
    for uid, cids in by_pod.items():
        pod = pods.get(uid)
        if pod is None:
            continue
        containers, window, stamp = [], 0.0, dt.datetime.min.replace(tzinfo=dt.UTC)
        for cid in cids:
            cpu, memory, seconds, when = container_usage(kubelet, cid)
            name = kubelet.running[cid].labels.get(LABEL_CONTAINER_NAME, "")
            containers.append((name, cpu, memory))
            window, stamp = max(window, seconds), max(stamp, when)
        yield pod, sorted(containers), window, stamp


def _usage(cpu: int, memory: int) -> Object:
    return {"cpu": f"{cpu}n", "memory": f"{memory // 1024}Ki"}


def pod_metrics(pod: Object, containers: list[tuple[str, int, int]], window: float,
                when: dt.datetime) -> Object:
    meta = pod["metadata"]
    return {"kind": "PodMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {"name": meta["name"], "namespace": meta.get("namespace"),
                         "creationTimestamp": _rfc3339(dt.datetime.now(dt.UTC)),
                         "labels": dict(meta.get("labels") or {})},
            "timestamp": _rfc3339(when), "window": _window(window),
            "containers": [{"name": n, "usage": _usage(c, m)} for n, c, m in containers]}


def node_metrics(kubelet: Kubelet) -> Object:
    cpu = memory = 0
    window, when = kubelet.config.stats_period, dt.datetime.now(dt.UTC)
    stamps = []
    for _pod, containers, seconds, stamp in _pods(kubelet):
        cpu += sum(c for _, c, _ in containers)
        memory += sum(m for _, _, m in containers)
        window = seconds
        stamps.append(stamp)
    node = kubelet.config.node["metadata"]
    return {"kind": "NodeMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {"name": node["name"],
                         "creationTimestamp": _rfc3339(dt.datetime.now(dt.UTC)),
                         "labels": dict(node.get("labels") or {})},
            "timestamp": _rfc3339(max(stamps) if stamps else when),
            "window": _window(window), "usage": _usage(cpu, memory)}


def _selector(req: ApiRequest) -> LabelSelector:
    return LabelSelector.parse(req.query.get("labelSelector", ""))  # BadRequest if garbled


def _list(kind: str, items: list[Object]) -> ApiResponse:
    return ApiResponse(200, {"kind": f"{kind}List", "apiVersion": "metrics.k8s.io/v1beta1",
                             "metadata": {}, "items": items})


async def _pod_metrics(req: ApiRequest, info: Any, rt: ResourceType) -> ApiResponse:
    selector = _selector(req)
    items = []
    for kubelet in list(KUBELETS.values()):
        for pod, containers, window, when in _pods(kubelet):
            meta = pod["metadata"]
            if info.namespace and meta.get("namespace") != info.namespace:
                continue
            if info.name and meta["name"] != info.name:
                continue
            if selector.matches(meta.get("labels") or {}):
                items.append(pod_metrics(pod, containers, window, when))
    items.sort(key=lambda m: (m["metadata"]["namespace"], m["metadata"]["name"]))
    if info.name:
        if not items:
            raise NotFound(f'podmetrics.metrics.k8s.io "{info.namespace}/{info.name}" '
                           "not found")
        return ApiResponse(200, items[0])
    return _list("PodMetrics", items)


async def _node_metrics(req: ApiRequest, info: Any, rt: ResourceType) -> ApiResponse:
    selector = _selector(req)
    items = [node_metrics(k) for k in list(KUBELETS.values())
             if (not info.name or k.node_name == info.name)
             and selector.matches(k.config.node["metadata"].get("labels") or {})]
    items.sort(key=lambda m: m["metadata"]["name"])
    if info.name:
        if not items:
            raise NotFound(f'nodemetrics.metrics.k8s.io "{info.name}" not found')
        return ApiResponse(200, items[0])
    return _list("NodeMetrics", items)


_BY_PLURAL = {"pods": _pod_metrics, "nodes": _node_metrics}


async def serve(server: Any, req: ApiRequest, info: Any, rt: ResourceType) -> ApiResponse:
    handler = _BY_PLURAL.get(rt.plural)
    if handler is None:
        raise NotFound("the server could not find the requested resource")
    return await handler(req, info, rt)


def install(server: Any) -> None:
    """Answer metrics.k8s.io from this process's kubelets."""
    server.providers["metrics"] = serve
