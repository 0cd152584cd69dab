"""DefaultPreemption: which node and which victims, and what it does to them."""

from __future__ import annotations

from typing import Any

import pytest

from minikube_py.scheduler.config import SchedulerConfig, build_profiles
from minikube_py.scheduler.framework import CycleState, Diagnosis, FitError
from minikube_py.scheduler.preemption import DefaultPreemption
from minikube_py.scheduler.queue import SchedulingQueue
from tests.scheduler.builders import FakeHandle, cluster, info, node, pod


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []
        self.deleted: list[str] = []

    def event(self, obj: dict[str, Any], _type: str, reason: str, message: str,
              **_: Any) -> None:
        self.events.append((obj["metadata"]["name"], reason, message))

    async def delete(self, _rt: Any, name: str, namespace: str, **_: Any) -> dict[str, Any]:
        self.deleted.append(f"{namespace}/{name}")
        return {}


def setup(nodes: list[dict[str, Any]], placed: list[dict[str, Any]],
          ) -> tuple[FakeHandle, DefaultPreemption, Recorder]:
    handle = FakeHandle(cluster(*nodes, pods=placed))
    handle.fw = build_profiles(SchedulerConfig(), handle)["default-scheduler"]  # type: ignore[arg-type]
    recorder = Recorder()
    handle.client = recorder
    handle.events = recorder
    return handle, DefaultPreemption(handle), recorder  # type: ignore[arg-type]


def diagnose(handle: FakeHandle, p: dict[str, Any]) -> tuple[CycleState, Diagnosis]:
    fw = handle.framework()
    state, diagnosis = CycleState(), Diagnosis()
    nodes = handle.node_infos()
    assert fw.run_pre_filter(state, info(p), nodes) is None
    assert fw.find_nodes_that_fit(state, info(p), nodes, diagnosis) == []
    return state, diagnosis


@pytest.mark.parametrize(("placed", "cpu", "node_name", "victims"), [
    pytest.param([pod("a-low", cpu="2", priority=1, node="a"),
                  pod("b-mid", cpu="2", priority=5, node="b")], "1", "a", ["a-low"],
                 id="lowest-priority-victim"),
    pytest.param([pod("a1", cpu="1", priority=1, node="a"),
                  pod("a2", cpu="1", priority=1, node="a"),
                  pod("b1", cpu="2", priority=1, node="b")], "2", "b", ["b1"],
                 id="fewest-victims"),
    pytest.param([pod("a1", cpu="1", priority=1, node="a"),
                  pod("a2", cpu="1", priority=2, node="a"),
                  pod("b1", cpu="2", priority=3, node="b")], "1", "a", ["a1"],
                 id="only-as-many-as-needed"),
    pytest.param([pod("a-keep", cpu="1", priority=9, node="a"),
                  pod("a-go", cpu="1", priority=1, node="a"),
                  pod("b-high", cpu="2", priority=8, node="b")], "1", "a", ["a-go"],
                 id="more-important-pod-is-reprieved"),
])
def test_victim_choice(placed: list[dict[str, Any]], cpu: str, node_name: str,
                       victims: list[str]) -> None:
    """The node with the least important, fewest victims wins; needless victims stay."""
    handle, plugin, _ = setup([node("a", cpu="2"), node("b", cpu="2")], placed)
    incoming = pod("vip", cpu=cpu, priority=10)
    state, diagnosis = diagnose(handle, incoming)
    candidates, _ = plugin.find_candidates(state, info(incoming), handle.node_infos(),
                                           diagnosis)
    best = min(candidates, key=lambda c: c.rank())
    assert (best.node, sorted(v.name for v in best.victims)) == (node_name, victims)


async def test_preempt_deletes_victims_and_nominates() -> None:
    """Victims get a Preempted event and a delete; the result nominates their node."""
    handle, plugin, recorder = setup([node("a", cpu="2")],
                                     [pod("low", cpu="2", priority=0, node="a")])
    incoming = pod("vip", cpu="1", priority=100)
    state, diagnosis = diagnose(handle, incoming)
    result, _ = await plugin.post_filter(state, info(incoming), diagnosis)
    assert result is not None and result.nominated_node == "a"
    assert recorder.deleted == ["default/low"]
    assert recorder.events == [("low", "Preempted", "Preempted by pod uid-vip on node a")]


async def test_no_victims_message() -> None:
    """Nothing to evict: the FailedScheduling message carries kube-scheduler's words."""
    handle, plugin, recorder = setup(
        [node("a", cpu="2"), node("t", cpu="2", taints=[{"key": "k", "value": "v",
                                                           "effect": "NoSchedule"}])],
        [pod("same", cpu="2", priority=5, node="a")])
    incoming = pod("p", cpu="1", priority=5)
    state, diagnosis = diagnose(handle, incoming)
    result, status = await plugin.post_filter(state, info(incoming), diagnosis)
    assert result is None and recorder.deleted == []
    diagnosis.post_filter_message = status.message
    assert str(FitError(info(incoming), 2, diagnosis)) == (
        "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint "
        "{k: v}. preemption: 0/2 nodes are available: 1 No preemption victims found for "
        "incoming pod, 1 Preemption is not helpful for scheduling.")


async def test_preemption_policy_never() -> None:
    """A pod with preemptionPolicy Never does not preempt."""
    handle, plugin, recorder = setup([node("a", cpu="2")],
                                     [pod("low", cpu="2", priority=0, node="a")])
    incoming = pod("vip", cpu="1", priority=100, preemptionPolicy="Never")
    state, diagnosis = diagnose(handle, incoming)
    result, status = await plugin.post_filter(state, info(incoming), diagnosis)
    assert result is None and recorder.deleted == []
    assert status.message == "not eligible due to preemptionPolicy=Never."


async def test_waits_for_terminating_victim() -> None:
    """A preemptor whose nominated node still has a terminating victim does not preempt
    again."""
    victim = pod("low", cpu="2", priority=0, node="a")
    victim["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    handle, plugin, recorder = setup([node("a", cpu="2")], [victim])
    incoming = pod("vip", cpu="1", priority=100)
    incoming["status"]["nominatedNodeName"] = "a"
    state, diagnosis = diagnose(handle, incoming)
    result, _ = await plugin.post_filter(state, info(incoming), diagnosis)
    assert result is None and recorder.deleted == []


def test_nominated_pod_keeps_its_room() -> None:
    """While a preemptor's victims go, a lower-priority pod cannot take the room it
    nominated; a higher-priority one can."""
    handle, _, _ = setup([node("a", cpu="2")], [])
    queue = SchedulingQueue()
    queue.add_nominated_pod(info(pod("vip", cpu="2", priority=100)), "a")
    fw = handle.framework()
    for incoming, fits in ((pod("low", cpu="1", priority=5), False),
                           (pod("top", cpu="1", priority=1000), True)):
        state, diagnosis = CycleState(), Diagnosis()
        pi = info(incoming)
        assert fw.run_pre_filter(state, pi, handle.node_infos()) is None
        found = fw.find_nodes_that_fit(state, pi, handle.node_infos(), diagnosis,
                                       queue.nominated_for(pi))
        assert bool(found) is fits
    queue.delete("default/vip")
    assert queue.nominated == {}


def test_pod_disruption_budget_steers_victims() -> None:
    """With a PodDisruptionBudget that allows no disruption of app=db, preemption picks the
    node whose victims the budget does not protect, though they are as important."""
    pdb = {"metadata": {"name": "db", "namespace": "default"},
           "spec": {"selector": {"matchLabels": {"app": "db"}}},
           "status": {"disruptionsAllowed": 0}}
    placed = [pod("db-1", cpu="2", priority=1, node="a", labels={"app": "db"}),
              pod("web-1", cpu="2", priority=1, node="b", labels={"app": "web"})]
    handle = FakeHandle(cluster(node("a", cpu="2"), node("b", cpu="2"), pods=placed),
                        {"poddisruptionbudgets": [pdb]})
    handle.fw = build_profiles(SchedulerConfig(), handle)["default-scheduler"]  # type: ignore[arg-type]
    plugin = DefaultPreemption(handle)  # type: ignore[arg-type]
    incoming = pod("vip", cpu="1", priority=10)
    state, diagnosis = diagnose(handle, incoming)
    candidates, _ = plugin.find_candidates(state, info(incoming), handle.node_infos(),
                                           diagnosis)
    by_node = {c.node: c.pdb_violations for c in candidates}
    assert by_node == {"a": 1, "b": 0}
    assert min(candidates, key=lambda c: c.rank()).node == "b"


def test_a_budget_with_an_empty_selector_protects_no_victim() -> None:
    """``selector: {}`` on a PodDisruptionBudget matches no pod for preemption (as for
    eviction and in Kubernetes), so it steers nothing."""
    pdb = {"metadata": {"name": "all", "namespace": "default"}, "spec": {"selector": {}},
           "status": {"disruptionsAllowed": 0}}
    placed = [pod("db-1", cpu="2", priority=1, node="a", labels={"app": "db"}),
              pod("web-1", cpu="2", priority=1, node="b", labels={"app": "web"})]
    handle = FakeHandle(cluster(node("a", cpu="2"), node("b", cpu="2"), pods=placed),
                        {"poddisruptionbudgets": [pdb]})
    handle.fw = build_profiles(SchedulerConfig(), handle)["default-scheduler"]  # type: ignore[arg-type]
    plugin = DefaultPreemption(handle)  # type: ignore[arg-type]
    incoming = pod("vip", cpu="1", priority=10)
    state, diagnosis = diagnose(handle, incoming)
    candidates, _ = plugin.find_candidates(state, info(incoming), handle.node_infos(),
                                           diagnosis)
    assert {c.node: c.pdb_violations for c in candidates} == {"a": 0, "b": 0}
