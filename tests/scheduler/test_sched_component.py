"""The scheduler component on the in-process apiserver: bursts do not over-commit, bindings
are refused as Kubernetes refuses them, PriorityClasses reach pods through admission, and
HTTP extenders filter, prioritize and bind."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from minikube_py.api.errors import Conflict, Forbidden, Invalid, NotFound
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.scheduler import config as scheduler_config
from minikube_py.scheduler.scheduler import Scheduler
from tests.scheduler.builders import node, pod

PODS = REGISTRY.by_path("", "v1", "pods")
NODES = REGISTRY.by_path("", "v1", "nodes")
CLASSES = REGISTRY.by_path("scheduling.k8s.io", "v1", "priorityclasses")
assert PODS is not None and NODES is not None and CLASSES is not None


def new_pod(name: str, **kw: Any) -> dict[str, Any]:
    body = pod(name, **kw)
    body["spec"].pop("priority", None)
    body["metadata"].pop("uid", None)
    body.pop("status", None)
    return body


async def until(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"not reached in {seconds} s: {what}")


async def placements(client: Client) -> dict[str, str]:
    items = (await client.list(PODS, "default"))["items"]
    return {p["metadata"]["name"]: p["spec"].get("nodeName") or "" for p in items}


@pytest.fixture
async def scheduler(client: Client) -> AsyncIterator[Scheduler]:
    sched = Scheduler(client)
    await sched.start()
    yield sched
    await sched.stop()


async def test_burst_does_not_overcommit(client: Client, scheduler: Scheduler) -> None:
    """Thirty pods created at once onto room for twenty: twenty bound, no node over its
    cpu, ten pending (assumed pods count before their binding lands)."""
    for name in ("a", "b"):
        await client.create(NODES, node(name, cpu="1"))
    await asyncio.gather(*(client.create(PODS, new_pod(f"p{i}", cpu="100m"))
                           for i in range(30)))

    async def twenty_bound() -> bool:
        return sum(1 for n in (await placements(client)).values() if n) == 20

    await until(twenty_bound, "twenty pods bound")
    await asyncio.sleep(0.2)  # nothing more gets bound
    bound = await placements(client)
    assert sorted(n for n in bound.values() if n).count("a") == 10
    assert sum(1 for n in bound.values() if n) == 20


async def test_binding_rules(client: Client) -> None:
    """pods/binding: 201 once; 409 for a bound pod or another uid; 404 for no pod."""
    await client.create(PODS, new_pod("b"))
    created = await client.get(PODS, "b", "default")
    path = PODS.path("default", "b", "binding")
    body = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "b"},
            "target": {"kind": "Node", "name": "n1"}}
    wrong_uid = {**body, "metadata": {"name": "b", "uid": "not-the-uid"}}
    with pytest.raises(Conflict, match="Precondition failed"):
        await client.request("POST", path, body=wrong_uid)
    right_uid = {**body, "metadata": {"name": "b", "uid": created["metadata"]["uid"]}}
    await client.request("POST", path, body=right_uid)
    with pytest.raises(Conflict, match='already assigned to node "n1"'):
        await client.request("POST", path, body={**body, "target": {"name": "n2"}})
    with pytest.raises(NotFound):
        await client.request("POST", PODS.path("default", "nobody", "binding"), body=body)


async def test_unschedulable_pod_gets_condition_and_retries_on_node_add(
        client: Client, scheduler: Scheduler) -> None:
    """No node: PodScheduled=False with kube-scheduler's words; a node added schedules it."""
    await client.create(PODS, new_pod("waiting", cpu="1"))

    async def condition() -> dict[str, Any] | None:
        got = await client.get(PODS, "waiting", "default")
        return next((c for c in got["status"].get("conditions") or ()
                     if c["type"] == "PodScheduled"), None)

    async def marked() -> bool:
        return (await condition() or {}).get("status") == "False"

    await until(marked, "PodScheduled=False")
    cond = await condition()
    assert cond is not None and cond["reason"] == "SchedulerError"
    assert cond["message"] == "no nodes available to schedule pods"
    await client.create(NODES, node("late", cpu="2"))

    async def bound() -> bool:
        return (await placements(client)).get("waiting") == "late"

    await until(bound, "waiting bound to late")


@pytest.mark.parametrize(("obj", "error"), [
    pytest.param({"value": 2_000_000_000}, Invalid, id="user-class-above-one-billion"),
    pytest.param({"value": 5, "metadata": {"name": "system-mine"}}, Invalid,
                 id="system-prefix-reserved"),
    pytest.param({"value": 5, "preemptionPolicy": "Sometimes"}, Invalid, id="bad-policy"),
])
async def test_priority_class_validation(client: Client, obj: dict[str, Any],
                                         error: type[Exception]) -> None:
    """PriorityClass validation follows pkg/apis/scheduling/validation."""
    body = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
            "metadata": {"name": "c"}, **obj}
    with pytest.raises(error):
        await client.create(CLASSES, body)


async def test_priority_admission(client: Client) -> None:
    """Pods get their class's value and policy; the globalDefault class when they name
    none; an unknown class is refused; a class's value cannot change."""
    await client.create(CLASSES, {"apiVersion": "scheduling.k8s.io/v1",
                                  "kind": "PriorityClass", "metadata": {"name": "batch"},
                                  "value": 10, "preemptionPolicy": "Never"})
    created = await client.create(PODS, new_pod("p1", priorityClassName="batch"))
    assert (created["spec"]["priority"], created["spec"]["preemptionPolicy"]) == (10, "Never")
    plain = await client.create(PODS, new_pod("p2"))
    assert plain["spec"]["priority"] == 0
    await client.create(CLASSES, {"apiVersion": "scheduling.k8s.io/v1",
                                  "kind": "PriorityClass", "metadata": {"name": "everyone"},
                                  "value": 7, "globalDefault": True})
    defaulted = await client.create(PODS, new_pod("p3"))
    assert (defaulted["spec"]["priority"], defaulted["spec"]["priorityClassName"]) == \
        (7, "everyone")
    with pytest.raises(Forbidden, match="no PriorityClass with name nope was found"):
        await client.create(PODS, new_pod("p4", priorityClassName="nope"))
    batch = await client.get(CLASSES, "batch")
    batch["value"] = 11
    with pytest.raises(Invalid):
        await client.update(CLASSES, batch)


@pytest.fixture
async def extender() -> AsyncIterator[tuple[str, list[str]]]:
    """An HTTP extender on 127.0.0.1: filters out node-a, prefers node-c, records binds."""
    calls: list[str] = []

    async def filter_(request: web.Request) -> web.Response:
        args = await request.json()
        calls.append("filter")
        names = args["NodeNames"]
        return web.json_response({"NodeNames": [n for n in names if n != "node-a"],
                                  "FailedNodes": {"node-a": "extender says no"}})

    async def prioritize(request: web.Request) -> web.Response:
        args = await request.json()
        calls.append("prioritize")
        return web.json_response([{"Host": n, "Score": 10 if n == "node-c" else 0}
                                  for n in args["NodeNames"]])

    app = web.Application()
    app.router.add_post("/filter", filter_)
    app.router.add_post("/prioritize", prioritize)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", calls
    await runner.cleanup()


async def test_extender_filter_and_prioritize(client: Client,
                                              extender: tuple[str, list[str]]) -> None:
    """A configured extender's filter removes a node and its priority picks the winner;
    what it rejected shows in the FailedScheduling message."""
    url, calls = extender
    cfg = scheduler_config.parse({
        "apiVersion": scheduler_config.API_VERSION, "kind": scheduler_config.KIND,
        "extenders": [{"urlPrefix": url, "filterVerb": "filter", "prioritizeVerb":
                       "prioritize", "weight": 5, "nodeCacheCapable": True}]})
    for name in ("node-a", "node-b", "node-c"):
        await client.create(NODES, node(name))
    sched = Scheduler(client, config=cfg)
    await sched.start()
    try:
        await client.create(PODS, new_pod("ext"))

        async def bound() -> bool:
            return bool((await placements(client)).get("ext"))

        await until(bound, "ext bound")
        assert (await placements(client))["ext"] == "node-c"
        assert calls[:2] == ["filter", "prioritize"]
        await client.create(PODS, new_pod("ext-a", nodeSelector={
            "kubernetes.io/hostname": "node-a"}))

        async def refused() -> str:
            got = await client.get(PODS, "ext-a", "default")
            conds = got["status"].get("conditions") or []
            return next((c["message"] for c in conds if c["type"] == "PodScheduled"), "")

        async def has_message() -> bool:
            return bool(await refused())

        await until(has_message, "ext-a refused")
        assert (await refused()).startswith(
            "0/3 nodes are available: 1 extender says no, 2 node(s) didn't match Pod's node "
            "affinity/selector.")
    finally:
        await sched.stop()


async def test_extender_bind(client: Client) -> None:
    """An extender with a bind verb binds the pods it manages (extended resource) itself;
    the scheduler sends ExtenderBindingArgs and records Scheduled after it answers."""
    seen: list[dict[str, Any]] = []

    async def bind(request: web.Request) -> web.Response:
        args = await request.json()
        seen.append(args)
        await client.request("POST", PODS.path(args["PodNamespace"], args["PodName"],
                                               "binding"),
                             body={"metadata": {"name": args["PodName"], "uid": args["PodUID"]},
                                   "target": {"kind": "Node", "name": args["Node"]}})
        return web.json_response({"Error": ""})

    app = web.Application()
    app.router.add_post("/bind", bind)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    cfg = scheduler_config.parse({
        "apiVersion": scheduler_config.API_VERSION, "kind": scheduler_config.KIND,
        "extenders": [{"urlPrefix": f"http://127.0.0.1:{port}", "bindVerb": "bind",
                       "managedResources": [{"name": "example.com/foo"}]}]})
    await client.create(NODES, node("n1", extended={"example.com/foo": "4"}))
    sched = Scheduler(client, config=cfg)
    await sched.start()
    try:
        managed = new_pod("managed", extended={"example.com/foo": "1"})
        managed["spec"]["containers"][0]["resources"]["limits"] = {"example.com/foo": "1"}
        await client.create(PODS, managed)
        await client.create(PODS, new_pod("plain"))

        async def both_bound() -> bool:
            placed = await placements(client)
            return placed.get("managed") == "n1" and placed.get("plain") == "n1"

        await until(both_bound, "both bound")
        assert [a["PodName"] for a in seen] == ["managed"]
        assert seen[0]["Node"] == "n1" and seen[0]["PodNamespace"] == "default"
    finally:
        await sched.stop()
        await runner.cleanup()


async def test_scheduling_gates_hold_a_pod(client: Client, scheduler: Scheduler) -> None:
    """A pod with schedulingGates is not scheduled (PodScheduled=False, SchedulingGated)
    until its last gate is removed."""
    await client.create(NODES, node("n1"))
    await client.create(PODS, new_pod("gated", schedulingGates=[{"name": "example.com/wait"}]))

    async def condition_reason() -> str:
        got = await client.get(PODS, "gated", "default")
        conds = got["status"].get("conditions") or []
        return next((c["reason"] for c in conds if c["type"] == "PodScheduled"), "")

    async def marked() -> bool:
        return await condition_reason() == "SchedulingGated"

    await until(marked, "SchedulingGated condition")
    assert (await placements(client))["gated"] == ""
    await client.patch(PODS, "gated", {"spec": {"schedulingGates": None}}, "default")

    async def bound() -> bool:
        return (await placements(client)).get("gated") == "n1"

    await until(bound, "gated pod bound once ungated")
