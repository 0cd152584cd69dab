"""ResourceQuota admission (apiserver/resourcequota.py) through an in-process ApiServer on
SQLite: counts and compute sums refused with Kubernetes' messages and nothing written, the
must-specify refusal, scopes, and concurrent creates that never pass the last slot."""

from __future__ import annotations

import asyncio
from typing import Any

from minikube_py.apiserver.server import ApiServer
from tests.apiserver.test_verbs import call

PODS = "/api/v1/namespaces/default/pods"
QUOTAS = "/api/v1/namespaces/default/resourcequotas"


def pod(name: str, *, cpu: str = "", deadline: int | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "c", "image": "busybox"}
    if cpu:
        container["resources"] = {"requests": {"cpu": cpu}, "limits": {"cpu": cpu}}
    spec: dict[str, Any] = {"containers": [container]}
    if deadline is not None:
        spec["activeDeadlineSeconds"] = deadline
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def quota(hard: dict[str, str], name: str = "q", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": name},
            "spec": {"hard": hard, **spec}}


async def test_pod_count_exceeded_is_403_and_not_written(apiserver: ApiServer) -> None:
    """The third pod into pods=2 is refused with Kubernetes' message; used says 2."""
    assert (await call(apiserver, "POST", QUOTAS, quota({"pods": "2"})))[0] == 201
    for name in ("a", "b"):
        assert (await call(apiserver, "POST", PODS, pod(name)))[0] == 201
    code, status = await call(apiserver, "POST", PODS, pod("c"))
    assert code == 403 and status["reason"] == "Forbidden"
    assert status["message"] == ('pods "c" is forbidden: exceeded quota: q, requested: pods=1, '
                                 'used: pods=2, limited: pods=2')
    assert (await call(apiserver, "GET", f"{PODS}/c"))[0] == 404
    _, q = await call(apiserver, "GET", f"{QUOTAS}/q")
    assert q["status"]["used"] == {"pods": "2"} and q["status"]["hard"] == {"pods": "2"}


async def test_requests_cpu_sum(apiserver: ApiServer) -> None:
    """requests.cpu adds up across pods: 600m + 600m passes 1, the refusal names cpu."""
    await call(apiserver, "POST", QUOTAS, quota({"requests.cpu": "1", "limits.cpu": "2"}))
    assert (await call(apiserver, "POST", PODS, pod("a", cpu="600m")))[0] == 201
    code, status = await call(apiserver, "POST", PODS, pod("b", cpu="600m"))
    assert code == 403
    assert status["message"] == ('pods "b" is forbidden: exceeded quota: q, requested: '
                                 'requests.cpu=600m, used: requests.cpu=600m, limited: '
                                 'requests.cpu=1')


async def test_must_specify(apiserver: ApiServer) -> None:
    """A pod without the limit a quota constrains is refused naming the container."""
    await call(apiserver, "POST", QUOTAS, quota({"limits.cpu": "2"}))
    code, status = await call(apiserver, "POST", PODS, pod("a"))
    assert code == 403
    assert status["message"] == ('pods "a" is forbidden: failed quota: q: must specify '
                                 'limits.cpu for: c')


async def test_scopes(apiserver: ApiServer) -> None:
    """A Terminating quota charges only pods with activeDeadlineSeconds."""
    await call(apiserver, "POST", QUOTAS, quota({"pods": "1"}, scopes=["Terminating"]))
    for name in ("long1", "long2"):
        assert (await call(apiserver, "POST", PODS, pod(name)))[0] == 201
    assert (await call(apiserver, "POST", PODS, pod("t1", deadline=30)))[0] == 201
    code, status = await call(apiserver, "POST", PODS, pod("t2", deadline=30))
    assert code == 403 and "exceeded quota: q" in status["message"]


async def test_concurrent_creates_take_exactly_the_free_slots(apiserver: ApiServer) -> None:
    """Ten parallel creates into pods=3: exactly three succeed, three pods are stored."""
    await call(apiserver, "POST", QUOTAS, quota({"pods": "3"}))
    results = await asyncio.gather(*(call(apiserver, "POST", PODS, pod(f"p{i}"))
                                     for i in range(10)))
    assert sorted(code for code, _ in results) == [201] * 3 + [403] * 7
    _, listed = await call(apiserver, "GET", PODS)
    assert len(listed["items"]) == 3
