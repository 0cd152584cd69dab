"""Concurrent writers and repeated requests behave as Kubernetes' GuaranteedUpdate does:
unconditional writes never conflict, allocations never collide, no-ops write nothing."""

from __future__ import annotations

import asyncio
import json

from minikube_py.apiserver.server import ApiServer
from tests.apiserver.test_verbs import CM, DEPLOY, call, configmap, deployment

MERGE = "application/merge-patch+json"
APPLY = "application/apply-patch+yaml"


async def test_parallel_merge_patches_all_land(apiserver: ApiServer) -> None:
    """30 concurrent merge patches of one object, each adding a key: all 200, all keys kept."""
    await call(apiserver, "POST", CM, configmap("hot"))
    results = await asyncio.gather(*(
        call(apiserver, "PATCH", f"{CM}/hot", {"data": {f"k{i}": "v"}}, ctype=MERGE)
        for i in range(30)))
    assert [code for code, _ in results] == [200] * 30
    _, obj = await call(apiserver, "GET", f"{CM}/hot")
    assert set(obj["data"]) == {f"k{i}" for i in range(30)}


async def test_parallel_unconditional_puts_never_conflict(apiserver: ApiServer) -> None:
    """PUTs without a resourceVersion are unconditional: none of 30 racing ones is a 409."""
    await call(apiserver, "POST", CM, configmap("put"))
    results = await asyncio.gather(*(
        call(apiserver, "PUT", f"{CM}/put", configmap("put", v=str(i))) for i in range(30)))
    assert [code for code, _ in results] == [200] * 30


async def test_pinned_patch_conflicts_after_a_change(apiserver: ApiServer) -> None:
    """A patch that sets metadata.resourceVersion is a precondition: stale means 409."""
    _, obj = await call(apiserver, "POST", CM, configmap("pin"))
    rv = obj["metadata"]["resourceVersion"]
    await call(apiserver, "PATCH", f"{CM}/pin", {"data": {"a": "1"}}, ctype=MERGE)
    code, status = await call(apiserver, "PATCH", f"{CM}/pin",
                              {"metadata": {"resourceVersion": rv}, "data": {"b": "2"}},
                              ctype=MERGE)
    assert code == 409 and status["reason"] == "Conflict"


async def test_parallel_server_side_applies_by_different_managers(apiserver: ApiServer) -> None:
    """20 managers applying different keys at once all succeed and share the object."""
    await call(apiserver, "POST", CM, configmap("ssa"))
    results = await asyncio.gather(*(
        call(apiserver, "PATCH", f"{CM}/ssa",
             json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"},
                         "data": {f"m{i}": "x"}}).encode(),
             ctype=APPLY, fieldManager=f"manager-{i}") for i in range(20)))
    assert [code for code, _ in results] == [200] * 20
    _, obj = await call(apiserver, "GET", f"{CM}/ssa")
    assert {f"m{i}" for i in range(20)} <= set(obj["data"])


async def test_partial_server_side_apply(apiserver: ApiServer) -> None:
    """An apply configuration may name only the fields its manager owns (here: replicas)."""
    await call(apiserver, "POST", DEPLOY, deployment())
    partial = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
               "spec": {"replicas": 4}}
    code, obj = await call(apiserver, "PATCH", f"{DEPLOY}/web", json.dumps(partial).encode(),
                           ctype=APPLY, fieldManager="scaler", force="true")
    assert code == 200 and obj["spec"]["replicas"] == 4
    assert obj["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"
    code, status = await call(apiserver, "PATCH", f"{DEPLOY}/web",
                              json.dumps(partial).encode(), ctype=APPLY)
    # As Kubernetes' ValidatePatchOptions: 422 PatchOptions "fieldManager: Required value".
    assert code == 422 and "fieldManager" in status["message"]


async def test_concurrent_services_get_distinct_cluster_ips(apiserver: ApiServer) -> None:
    """20 Services created at once get 20 different cluster IPs."""
    def svc(i: int) -> dict:
        return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"s{i}"},
                "spec": {"ports": [{"port": 80}]}}

    results = await asyncio.gather(*(
        call(apiserver, "POST", "/api/v1/namespaces/default/services", svc(i))
        for i in range(20)))
    ips = [obj["spec"]["clusterIP"] for code, obj in results if code == 201]
    assert len(ips) == 20 and len(set(ips)) == 20


async def test_identical_put_changes_nothing(apiserver: ApiServer) -> None:
    """Replacing an object with the same manifest bumps neither generation nor
    resourceVersion."""
    _, created = await call(apiserver, "POST", DEPLOY, deployment())
    code, again = await call(apiserver, "PUT", f"{DEPLOY}/web", deployment())
    assert code == 200
    assert again["metadata"]["generation"] == 1
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


async def test_repeated_delete_of_held_object_writes_nothing(apiserver: ApiServer) -> None:
    """Deleting an object already waiting on its finalizers again does not write."""
    body = configmap("held")
    body["metadata"]["finalizers"] = ["example.com/hold"]
    await call(apiserver, "POST", CM, body)
    _, first = await call(apiserver, "DELETE", f"{CM}/held")
    _, second = await call(apiserver, "DELETE", f"{CM}/held")
    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


async def test_deleting_a_terminating_namespace_is_409(apiserver: ApiServer) -> None:
    """A second delete of a Terminating namespace answers Kubernetes' 409."""
    await call(apiserver, "POST", "/api/v1/namespaces", {"metadata": {"name": "going"}})
    await call(apiserver, "DELETE", "/api/v1/namespaces/going")
    code, status = await call(apiserver, "DELETE", "/api/v1/namespaces/going")
    assert code == 409 and "ensuring all content is removed" in status["message"]


async def test_force_delete_of_pod_with_finalizer_lets_it_go(apiserver: ApiServer) -> None:
    """A bound pod with a finalizer, deleted gracefully then with grace 0, goes as soon as its
    finalizer is removed."""
    pods = "/api/v1/namespaces/default/pods"
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "f", "finalizers": ["example.com/hold"]},
           "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    await call(apiserver, "POST", pods, pod)
    await call(apiserver, "POST", f"{pods}/f/binding", {"target": {"name": "node-1"}})
    await call(apiserver, "DELETE", f"{pods}/f")
    _, obj = await call(apiserver, "DELETE", f"{pods}/f", {"gracePeriodSeconds": 0})
    assert obj["metadata"]["deletionGracePeriodSeconds"] == 0
    await call(apiserver, "PATCH", f"{pods}/f", {"metadata": {"finalizers": None}}, ctype=MERGE)
    code, _ = await call(apiserver, "GET", f"{pods}/f")
    assert code == 404


async def test_malformed_subresource_bodies_are_400(apiserver: ApiServer) -> None:
    """Bad bodies for binding, scale and delete options are 400 Status answers, never 500."""
    pods = "/api/v1/namespaces/default/pods"
    await call(apiserver, "POST", pods, {"apiVersion": "v1", "kind": "Pod",
                                         "metadata": {"name": "b"},
                                         "spec": {"containers": [{"name": "c",
                                                                  "image": "busybox"}]}})
    await call(apiserver, "POST", DEPLOY, deployment())
    cases = [
        ("POST", f"{pods}/b/binding", [1], "application/json"),
        ("POST", f"{pods}/b/binding", {"target": {"name": 5}}, "application/json"),
        ("PATCH", f"{DEPLOY}/web/scale", {"spec": [1]}, MERGE),
        ("DELETE", f"{CM}/x", {"preconditions": "x"}, "application/json"),
        ("DELETE", f"{CM}/x", {"gracePeriodSeconds": "abc"}, "application/json"),
        ("PATCH", f"{CM}/x", {"metadata": {"resourceVersion": 5}}, MERGE),
    ]
    await call(apiserver, "POST", CM, configmap("x"))
    for method, path, body, ctype in cases:
        code, status = await call(apiserver, method, path, body, ctype=ctype)
        assert code in (400, 409, 422), (method, path, body, code, status)
        assert status["kind"] == "Status"
    code, _ = await call(apiserver, "GET", f"{CM}/x")
    assert code == 200, "a bad delete body deletes nothing"
