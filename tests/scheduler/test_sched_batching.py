"""Opportunistic batching: a pod of the same template reuses the last cycle's feasible nodes
and scores, recomputed only where nodes changed; anything else ends the batch."""

from __future__ import annotations

import dataclasses
from typing import Any

from minikube_py.scheduler.batching import Batcher
from minikube_py.scheduler.config import SchedulerConfig, build_profiles
from minikube_py.scheduler.framework import CycleState, Diagnosis, Framework
from minikube_py.scheduler.types import PodInfo
from tests.scheduler.builders import FakeHandle, cluster, info, node, pod


def full_cycle(handle: FakeHandle, fw: Framework, p: PodInfo,
               batcher: Batcher) -> tuple[list[str], list[int]]:
    state, nodes = CycleState(), handle.node_infos()
    assert fw.run_pre_filter(state, p, nodes) is None
    feasible = fw.find_nodes_that_fit(state, p, nodes, Diagnosis())
    fw.run_pre_score(state, p, feasible)
    scores = fw.run_score(state, p, feasible)
    batcher.remember(p, fw, state, nodes, feasible, scores)
    return [n.name for n in feasible], scores


def setup(*extra: dict[str, Any]) -> tuple[FakeHandle, Framework]:
    handle = FakeHandle(cluster(node("a", cpu="2"), node("b", cpu="4"), *extra))
    fw = build_profiles(SchedulerConfig(), handle)["default-scheduler"]  # type: ignore[arg-type]
    handle.fw = fw
    return handle, fw


def test_same_template_reuses_scores() -> None:
    """The second pod of a template gets the first one's nodes and scores."""
    handle, fw = setup()
    batcher = Batcher()
    names, scores = full_cycle(handle, fw, info(pod("p1", cpu="500m")), batcher)
    reused = batcher.candidates(info(pod("p2", cpu="500m")), fw, handle.node_infos())
    assert reused is not None
    assert ([n.name for n in reused[0]], reused[1]) == (names, scores)


def test_changed_node_is_scored_again() -> None:
    """A pod assumed on a node changes that node's score in the next reuse, only there."""
    handle, fw = setup()
    batcher = Batcher()
    names, scores = full_cycle(handle, fw, info(pod("p1", cpu="1")), batcher)
    first = info(pod("p1", cpu="1"))
    handle.cache.assume_pod(dataclasses.replace(first, node_name="b"), "b")
    reused = batcher.candidates(info(pod("p2", cpu="1")), fw, handle.node_infos())
    assert reused is not None
    after = dict(zip([n.name for n in reused[0]], reused[1], strict=True))
    before = dict(zip(names, scores, strict=True))
    assert after["a"] == before["a"] and after["b"] < before["b"]


def test_full_node_drops_out_and_small_batch_ends() -> None:
    """A node that no longer fits leaves the batch; below half of the nodes it ends."""
    handle, fw = setup()
    batcher = Batcher()
    full_cycle(handle, fw, info(pod("p1", cpu="2")), batcher)
    handle.cache.assume_pod(dataclasses.replace(info(pod("x", cpu="2")), node_name="a"), "a")
    reused = batcher.candidates(info(pod("p2", cpu="2")), fw, handle.node_infos())
    assert reused is not None and [n.name for n in reused[0]] == ["b"]
    handle.cache.assume_pod(dataclasses.replace(info(pod("y", cpu="4")), node_name="b"), "b")
    assert batcher.candidates(info(pod("p3", cpu="2")), fw, handle.node_infos()) is None


def test_other_template_or_new_node_ends_batch() -> None:
    """Another spec, or a node added, means a full cycle."""
    handle, fw = setup()
    batcher = Batcher()
    full_cycle(handle, fw, info(pod("p1", cpu="1")), batcher)
    assert batcher.candidates(info(pod("p2", cpu="2")), fw, handle.node_infos()) is None
    full_cycle(handle, fw, info(pod("p1", cpu="1")), batcher)
    handle.cache.add_node(node("c"))
    assert batcher.candidates(info(pod("p2", cpu="1")), fw, handle.node_infos()) is None


def test_affinity_pods_are_not_batched() -> None:
    """Pods whose plugins look across nodes (here inter-pod anti-affinity) never batch."""
    handle, fw = setup()
    batcher = Batcher()
    anti = {"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "x"}},
         "topologyKey": "kubernetes.io/hostname"}]}}}
    full_cycle(handle, fw, info(pod("p1", labels={"app": "x"}, **anti)), batcher)
    assert batcher.candidates(info(pod("p2", labels={"app": "x"}, **anti)), fw,
                              handle.node_infos()) is None


def test_cache_groups_for_inter_pod_affinity_follow_removals() -> None:
    """The cache's per-label-set and per-term groups shrink to nothing as pods leave."""
    anti = {"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "x"}},
         "topologyKey": "kubernetes.io/hostname"}]}}}
    cache = cluster(node("a"), pods=[pod("p1", labels={"app": "x"}, node="a", **anti),
                                     pod("p2", labels={"app": "x"}, node="a", **anti)])
    assert list(cache.by_match_key.values()) == [{"a": 2}]
    assert [nodes for _, nodes in cache.anti_terms.values()] == [{"a": 2}]
    cache.remove_pod("default/p1")
    cache.remove_pod("default/p2")
    assert cache.by_match_key == {} and cache.anti_terms == {}
    assert cache.pods_with_required_anti_affinity == 0
