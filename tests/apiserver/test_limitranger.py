"""LimitRanger (apiserver/limitranger.py): defaults filled from a LimitRange, min/max/ratio
refusals with Kubernetes' messages, the Pod and PersistentVolumeClaim items."""

from __future__ import annotations

from typing import Any

import pytest

from minikube_py.apiserver import limitranger
from minikube_py.apiserver.server import ApiServer
from tests.apiserver.test_verbs import call

PODS = "/api/v1/namespaces/default/pods"
LIMITS = "/api/v1/namespaces/default/limitranges"


def pod(name: str, **resources: Any) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "c", "image": "busybox"}
    if resources:
        container["resources"] = resources
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [container]}}


def limit_range(*items: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "lr"},
            "spec": {"limits": list(items)}}


def test_defaults_fill_missing_requests_and_limits() -> None:
    """A container without resources gets the default request and limit, and the annotation."""
    p = pod("p", limits={"memory": "1Gi"})
    ranges = [limit_range({"type": "Container", "default": {"cpu": "500m", "memory": "2Gi"},
                           "defaultRequest": {"cpu": "100m"}})]
    limitranger.apply_defaults(p, ranges)
    res = p["spec"]["containers"][0]["resources"]
    assert res == {"limits": {"memory": "1Gi", "cpu": "500m"}, "requests": {"cpu": "100m"}}
    assert p["metadata"]["annotations"][limitranger.ANNOTATION] == \
        "LimitRanger plugin set: cpu request for container c; cpu limit for container c"


@pytest.mark.parametrize(("resources", "message"), [
    pytest.param({"requests": {"cpu": "1"}, "limits": {"cpu": "1"}},
                 "maximum cpu usage per Container is 500m, but limit "
                 "is 1", id="over-max"),
    pytest.param({"requests": {"cpu": "10m"}, "limits": {"cpu": "40m"}},
                 "minimum cpu usage per Container is 50m, but request is 10m", id="under-min"),
    pytest.param({"requests": {"cpu": "60m"}, "limits": {"cpu": "400m"}},
                 "cpu max limit to request ratio per Container is 4, but provided ratio is "
                 "6.666667", id="ratio"),
])
def test_container_bounds(resources: dict[str, Any], message: str) -> None:
    """Each bound of a Container item refuses with Kubernetes' wording."""
    ranges = [limit_range({"type": "Container", "max": {"cpu": "500m"}, "min": {"cpu": "50m"},
                           "maxLimitRequestRatio": {"cpu": "4"}})]
    assert limitranger.pod_errors(pod("p", **resources), ranges) == [message]


def test_pod_item_sums_containers() -> None:
    """A Pod item bounds the sum over containers."""
    p = pod("p", limits={"memory": "600Mi"})
    p["spec"]["containers"].append({"name": "d", "resources": {"limits": {"memory": "600Mi"}}})
    errors = limitranger.pod_errors(p, [limit_range({"type": "Pod", "max": {"memory": "1Gi"}})])
    assert errors == ["maximum memory usage per Pod is 1Gi, but limit is 1200Mi"]


async def test_limit_range_through_the_apiserver(apiserver: ApiServer) -> None:
    """Through the REST path: defaults land on the stored pod; an over-max pod is 403 and not
    stored."""
    code, _ = await call(apiserver, "POST", LIMITS, limit_range(
        {"type": "Container", "max": {"cpu": "500m"}, "default": {"cpu": "200m"}}))
    assert code == 201
    code, created = await call(apiserver, "POST", PODS, pod("ok"))
    assert code == 201
    assert created["spec"]["containers"][0]["resources"] == {
        "limits": {"cpu": "200m"}, "requests": {"cpu": "200m"}}
    code, status = await call(apiserver, "POST", PODS, pod("big", limits={"cpu": "1"}))
    assert code == 403 and status["reason"] == "Forbidden"
    assert status["message"] == ('pods "big" is forbidden: maximum cpu usage per Container '
                                 'is 500m, but limit is 1')
    code, _ = await call(apiserver, "GET", f"{PODS}/big")
    assert code == 404
