"""Resource arithmetic of the scheduler: quantities as integers, and what a pod asks for.

kube-scheduler keeps cpu in millicores and everything else in base units (bytes, counts), and
so does :class:`Resources` here. :func:`pod_requests` is Kubernetes' ``resource.PodRequests``:
the larger of the app containers' sum and the largest init container (sidecars, init
containers with ``restartPolicy: Always``, run beside the rest and so add to both), plus the
pod's ``overhead``. The scoring plugins use :func:`non_zero_requests`, which counts a container
that asks for nothing as 100m cpu and 200 MB memory, so zero-request pods still spread.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from typing import Any

from minikube_py.api.validation.names import parse_quantity

CPU, MEMORY, PODS, EPHEMERAL_STORAGE = "cpu", "memory", "pods", "ephemeral-storage"
DEFAULT_MILLI_CPU_REQUEST = 100  # schedutil.DefaultMilliCPURequest
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024  # schedutil.DefaultMemoryRequest

Resources = dict[str, int]  # cpu in millicores; the rest in base units


def to_int(name: str, value: Any) -> int:
    """A quantity as the scheduler counts it (cpu rounded up to millicores)."""
    if isinstance(value, str):
        return _to_int_text(name == CPU, value)
    number = parse_quantity(value)
    if number is None:
        return 0
    return math.ceil(number * 1000) if name == CPU else math.ceil(number)


@functools.lru_cache(maxsize=4096)
def _to_int_text(cpu: bool, value: str) -> int:
    """Quantities repeat (``100m``, ``1Gi``): parse each text once."""
    number = parse_quantity(value)
    if number is None:
        return 0
    return math.ceil(number * 1000) if cpu else math.ceil(number)


def resource_list(values: Mapping[str, Any] | None) -> Resources:
    """A ``ResourceList`` (``{"cpu": "500m", "memory": "1Gi"}``) as integers."""
    return {name: to_int(name, value) for name, value in (values or {}).items()}


def _container_requests(container: Mapping[str, Any]) -> Resources:
    resources = container.get("resources") or {}
    requests = resource_list(resources.get("requests"))
    # A limit without a request is the request (the apiserver's defaulting does the same).
    for name, value in resource_list(resources.get("limits")).items():
        requests.setdefault(name, value)
    return requests


def _add(into: Resources, more: Mapping[str, int]) -> None:
    for name, value in more.items():
        into[name] = into.get(name, 0) + value


def _max(into: Resources, other: Mapping[str, int]) -> None:
    for name, value in other.items():
        if value > into.get(name, 0):
            into[name] = value


def _requests(spec: Mapping[str, Any], *, non_zero: bool) -> Resources:
    def of(container: Mapping[str, Any]) -> Resources:
        req = _container_requests(container)
        if non_zero:
            req = {CPU: req.get(CPU) or DEFAULT_MILLI_CPU_REQUEST,
                   MEMORY: req.get(MEMORY) or DEFAULT_MEMORY_REQUEST}
        return req

    total: Resources = {}
    for container in _dicts(spec.get("containers")):
        _add(total, of(container))
    sidecars: Resources = {}
    init_max: Resources = {}
    for container in _dicts(spec.get("initContainers")):
        req = of(container)
        if container.get("restartPolicy") == "Always":
            _add(sidecars, req)
            _max(init_max, sidecars)
        else:
            step = dict(sidecars)
            _add(step, req)
            _max(init_max, step)
    _add(total, sidecars)
    _max(total, init_max)
    overhead = resource_list(spec.get("overhead"))
    if non_zero:
        overhead = {k: v for k, v in overhead.items() if k in (CPU, MEMORY)}
    _add(total, overhead)
    return {k: v for k, v in total.items() if v}


def pod_requests(pod: Mapping[str, Any]) -> Resources:
    """What the pod asks of a node: max(sum(app containers), max(init containers)) +
    overhead, for every resource it names."""
    return _requests(pod.get("spec") or {}, non_zero=False)


def non_zero_requests(pod: Mapping[str, Any]) -> tuple[int, int]:
    """(milli-cpu, memory) with the scoring defaults for containers that ask for nothing."""
    req = _requests(pod.get("spec") or {}, non_zero=True)
    return req.get(CPU, 0), req.get(MEMORY, 0)


def _dicts(items: Any) -> Iterable[Mapping[str, Any]]:
    return [i for i in items or () if isinstance(i, dict)]
