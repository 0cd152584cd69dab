"""policy/v1 PodDisruptionBudgets through the whole in-process request pipeline: Kubernetes'
validation (422 with field causes), status reset on create and spec kept by ``/status``, the
generation following the spec, kubectl's columns; and ``pods/eviction`` spending the budget
(allowed → pod deleted and the budget decremented; none left → 429 with Kubernetes' message;
two budgets → 500; unhealthy and Pending pods; dry run)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from minikube_py.apiserver.server import ApiServer
from tests.apiserver.test_verbs import call

PDBS = "/apis/policy/v1/namespaces/default/poddisruptionbudgets"
PODS = "/api/v1/namespaces/default/pods"
Obj = dict[str, Any]


def pdb(name: str = "web", **spec: Any) -> Obj:
    spec.setdefault("selector", {"matchLabels": {"app": "web"}})
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": name}, "spec": spec}


def fields(status: Obj) -> set[str]:
    return {c["field"] for c in status["details"]["causes"]}


@pytest.mark.parametrize(("spec", "expected"), [
    pytest.param({"minAvailable": 1, "maxUnavailable": 1}, {"spec"}, id="both-set"),
    pytest.param({"minAvailable": -1}, {"spec.minAvailable"}, id="negative"),
    pytest.param({"maxUnavailable": "5"}, {"spec.maxUnavailable"}, id="string-not-percent"),
    pytest.param({"minAvailable": "120%"}, {"spec.minAvailable"}, id="over-100-percent"),
    pytest.param({"minAvailable": 1, "selector": {"matchExpressions": [
        {"key": "app", "operator": "Near"}]}},
        {"spec.selector.matchExpressions[0].operator"}, id="bad-selector"),
    pytest.param({"minAvailable": 1, "unhealthyPodEvictionPolicy": "Sometimes"},
                 {"spec.unhealthyPodEvictionPolicy"}, id="bad-policy"),
])
async def test_invalid_budgets(apiserver: ApiServer, spec: Obj, expected: set[str]) -> None:
    """Kubernetes' PodDisruptionBudget validation answers 422 naming each bad field."""
    code, status = await call(apiserver, "POST", PDBS, pdb("bad", **spec))
    assert code == 422, status
    assert fields(status) == expected, status


async def test_neither_bound_is_accepted(apiserver: ApiServer) -> None:
    """As in Kubernetes, a budget may name neither bound (it then allows no disruption)."""
    code, created = await call(apiserver, "POST", PDBS, pdb("open"))
    assert code == 201, created


async def test_create_resets_status_and_status_update_keeps_spec(apiserver: ApiServer) -> None:
    """A create drops the status it was sent; /status changes only status; a spec change
    bumps the generation; the table has kubectl's columns."""
    body = {**pdb(minAvailable="50%"), "status": {"disruptionsAllowed": 5, "currentHealthy": 5,
                                                  "desiredHealthy": 0, "expectedPods": 5}}
    code, created = await call(apiserver, "POST", PDBS, body)
    assert code == 201, created
    assert created["status"]["disruptionsAllowed"] == 0
    assert created["metadata"]["generation"] == 1
    created["spec"]["minAvailable"] = 3
    created["status"]["disruptionsAllowed"] = 2
    code, written = await call(apiserver, "PUT", f"{PDBS}/web/status", created)
    assert code == 200, written
    assert written["spec"]["minAvailable"] == "50%" and written["status"]["disruptionsAllowed"] == 2
    written["spec"]["minAvailable"] = 3
    code, updated = await call(apiserver, "PUT", f"{PDBS}/web", written)
    assert code == 200 and updated["metadata"]["generation"] == 2, updated
    code, table = await call(apiserver, "GET", PDBS,
                             accept="application/json;as=Table;v=v1;g=meta.k8s.io")
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name", "Min Available", "Max Unavailable", "Allowed Disruptions", "Age"]
    assert table["rows"][0]["cells"][:4] == ["web", "3", "N/A", 2]


# -- eviction --------------------------------------------------------------------------------

def pod(name: str, *, ready: bool = True, phase: str = "Running", node: str = "") -> Obj:
    spec: Obj = {"containers": [{"name": "c", "image": "busybox"}]}
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": {"app": "web"}}, "spec": spec,
            "status": {"phase": phase, "conditions": [
                {"type": "Ready", "status": "True" if ready else "False"}]}}


async def make_pod(apiserver: ApiServer, name: str, **kwargs: Any) -> None:
    body = pod(name, **kwargs)
    code, created = await call(apiserver, "POST", PODS, body)
    assert code == 201, created
    created["status"] = body["status"]
    code, written = await call(apiserver, "PUT", f"{PODS}/{name}/status", created)
    assert code == 200, written


async def make_budget(apiserver: ApiServer, name: str = "web", *, allowed: int,
                      healthy: int = 2, desired: int = 1, **spec: Any) -> None:
    code, created = await call(apiserver, "POST", PDBS, pdb(name, **(spec or {"minAvailable": 1})))
    assert code == 201, created
    created["status"] = {"disruptionsAllowed": allowed, "currentHealthy": healthy,
                         "desiredHealthy": desired, "expectedPods": healthy,
                         "observedGeneration": 1}
    code, written = await call(apiserver, "PUT", f"{PDBS}/{name}/status", created)
    assert code == 200, written


async def evict(apiserver: ApiServer, name: str, **query: str) -> tuple[int, Obj]:
    return await call(apiserver, "POST", f"{PODS}/{name}/eviction", {
        "apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name}}, **query)


async def exists(apiserver: ApiServer, name: str) -> bool:
    code, _ = await call(apiserver, "GET", f"{PODS}/{name}")
    return code == 200


async def test_eviction_spends_the_budget(apiserver: ApiServer) -> None:
    """An allowed eviction records the pod in disruptedPods, decrements the budget, then
    deletes the pod; with none left the next is 429 with Kubernetes' message and cause."""
    await make_pod(apiserver, "a")
    await make_pod(apiserver, "b")
    await make_budget(apiserver, allowed=1)
    code, status = await evict(apiserver, "a")
    assert code == 201 and status["status"] == "Success", status
    assert not await exists(apiserver, "a")
    _, budget = await call(apiserver, "GET", f"{PDBS}/web")
    assert budget["status"]["disruptionsAllowed"] == 0
    assert set(budget["status"]["disruptedPods"]) == {"a"}
    condition = budget["status"]["conditions"][0]
    assert (condition["type"], condition["status"], condition["reason"]) == (
        "DisruptionAllowed", "False", "InsufficientPods")
    code, status = await evict(apiserver, "b")
    assert code == 429, status
    assert status["reason"] == "TooManyRequests"
    assert status["message"] == ("Cannot evict pod as it would violate the pod's disruption "
                                 "budget.")
    assert status["details"]["causes"] == [{
        "reason": "DisruptionBudget",
        "message": "The disruption budget web needs 1 healthy pods and has 2 currently"}]
    assert await exists(apiserver, "b")


async def test_evicted_pod_gets_the_disruption_target_condition(apiserver: ApiServer) -> None:
    """A pod on a node, evicted, is terminating with DisruptionTarget EvictionByEvictionAPI."""
    await make_pod(apiserver, "a", node="n1")
    code, status = await evict(apiserver, "a")
    assert code == 201, status
    _, evicted = await call(apiserver, "GET", f"{PODS}/a")
    assert evicted["metadata"]["deletionTimestamp"]
    target = [c for c in evicted["status"]["conditions"] if c["type"] == "DisruptionTarget"]
    assert [(c["status"], c["reason"], c["message"]) for c in target] == [
        ("True", "EvictionByEvictionAPI", "Eviction API: evicting")]
    code, status = await evict(apiserver, "a")  # already terminating: success again
    assert code == 201, status


async def test_dry_run_eviction_writes_nothing(apiserver: ApiServer) -> None:
    """dryRun=All checks the budget but neither spends it nor deletes the pod."""
    await make_pod(apiserver, "a")
    await make_budget(apiserver, allowed=1)
    code, status = await evict(apiserver, "a", dryRun="All")
    assert code == 201, status
    _, kept = await call(apiserver, "GET", f"{PODS}/a")
    assert [c["type"] for c in kept["status"]["conditions"]] == ["Ready"]
    _, budget = await call(apiserver, "GET", f"{PDBS}/web")
    assert budget["status"]["disruptionsAllowed"] == 1 and "disruptedPods" not in budget["status"]


async def test_two_budgets_are_refused_with_500(apiserver: ApiServer) -> None:
    """A pod covered by two budgets cannot be evicted (500, Kubernetes' message)."""
    await make_pod(apiserver, "a")
    await make_budget(apiserver, "one", allowed=1)
    await make_budget(apiserver, "two", allowed=1)
    code, status = await evict(apiserver, "a")
    assert code == 500, status
    assert status["message"] == ("This pod has more than one PodDisruptionBudget, which the "
                                 "eviction subresource does not support.")
    assert await exists(apiserver, "a")


@pytest.mark.parametrize(("kwargs", "budget", "evicted"), [
    pytest.param({"phase": "Pending"}, {}, True, id="pending-ignores-budget"),
    pytest.param({"phase": "Succeeded"}, {}, True, id="terminal-ignores-budget"),
    pytest.param({"ready": False}, {"healthy": 1, "desired": 1}, True,
                 id="unready-while-budget-met"),
    pytest.param({"ready": False}, {"healthy": 0, "desired": 1}, False,
                 id="unready-while-budget-short"),
    pytest.param({"ready": False}, {"healthy": 0, "desired": 1,
                                    "unhealthyPodEvictionPolicy": "AlwaysAllow",
                                    "minAvailable": 1}, True, id="unready-always-allow"),
])
async def test_pods_that_need_no_budget(apiserver: ApiServer, kwargs: Obj, budget: Obj,
                                        evicted: bool) -> None:
    """Pending and terminal pods, and unready ones the policy lets go, are deleted even with
    no disruption allowed; an unready pod of a budget that is short is not."""
    await make_pod(apiserver, "a", **kwargs)
    await make_budget(apiserver, allowed=0, **budget)
    code, status = await evict(apiserver, "a")
    assert (code == 201) == evicted, status
    assert await exists(apiserver, "a") != evicted
    _, stored = await call(apiserver, "GET", f"{PDBS}/web")
    assert "disruptedPods" not in stored["status"]


async def test_budget_not_yet_observed_is_429(apiserver: ApiServer) -> None:
    """A budget whose spec changed since the controller's last status is 'still being
    processed' (429, retry after 10 s)."""
    await make_pod(apiserver, "a")
    await make_budget(apiserver, allowed=1)
    _, budget = await call(apiserver, "GET", f"{PDBS}/web")
    budget["spec"]["minAvailable"] = 0
    await call(apiserver, "PUT", f"{PDBS}/web", budget)
    code, status = await evict(apiserver, "a")
    assert code == 429 and status["details"]["retryAfterSeconds"] == 10, status
    assert "still being processed" in status["details"]["causes"][0]["message"]


async def test_concurrent_evictions_spend_one_disruption_once(apiserver: ApiServer) -> None:
    """Three evictions at once against one allowed disruption: exactly one pod goes, the
    others get 429 (the resourceVersion-checked budget write re-reads on conflict)."""
    for name in "abc":
        await make_pod(apiserver, name)
    await make_budget(apiserver, allowed=1, healthy=3, desired=2)
    results = await asyncio.gather(*(evict(apiserver, name) for name in "abc"))
    assert sorted(code for code, _ in results) == [201, 429, 429], results
    _, budget = await call(apiserver, "GET", f"{PDBS}/web")
    assert budget["status"]["disruptionsAllowed"] == 0
    assert len(budget["status"]["disruptedPods"]) == 1
