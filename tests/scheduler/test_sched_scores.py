"""Score plugins, case by case: the normalised 0..100 scores a plugin gives to a row of
nodes for one pod."""

from __future__ import annotations

from typing import Any

import pytest

from minikube_py.scheduler.framework import Code, CycleState
from minikube_py.scheduler.plugins import (
    balancedallocation,
    imagelocality,
    interpodaffinity,
    nodeaffinity,
    noderesourcesfit,
    podtopologyspread,
    tainttoleration,
)
from tests.scheduler.builders import FakeHandle, cluster, info, node, pod

MB = 1024 * 1024


def scores(plugin: Any, p: dict[str, Any], nodes: list[dict[str, Any]],
           placed: list[dict[str, Any]] = ()) -> list[int] | None:  # type: ignore[assignment]
    cache = cluster(*nodes, pods=placed)
    infos = [cache.nodes[n["metadata"]["name"]] for n in nodes]
    state = CycleState()
    pi = info(p)
    pre = getattr(plugin, "pre_score", None)
    if pre is not None:
        status = pre(state, pi, infos)
        if status is not None and status.code == Code.SKIP:
            return None
    out = [plugin.score(state, pi, n) for n in infos]
    normalize = getattr(plugin, "normalize_score", None)
    if normalize is not None:
        normalize(state, pi, out)
    return out


@pytest.mark.parametrize(("p", "nodes", "placed", "expected"), [
    pytest.param(pod(cpu="1", memory="1Gi"), [node("a", cpu="2", memory="2Gi"),
                                              node("b", cpu="4", memory="4Gi")], [],
                 [50, 75], id="bigger-node-more-room"),
    pytest.param(pod(cpu="1", memory="1Gi"), [node("a", cpu="4", memory="4Gi"),
                                              node("b", cpu="4", memory="4Gi")],
                 [pod("x", cpu="2", memory="2Gi", node="a")], [25, 75], id="used-node-less"),
    pytest.param(pod(), [node("a", cpu="1", memory="1000Mi")], [], [85],
                 id="zero-request-counts-defaults"),
])
def test_least_allocated(p: dict[str, Any], nodes: list[dict[str, Any]],
                         placed: list[dict[str, Any]], expected: list[int]) -> None:
    """NodeResourcesFit's LeastAllocated: the share of cpu and memory left, averaged."""
    assert scores(noderesourcesfit.NodeResourcesFit({}), p, nodes, placed) == expected


def test_most_allocated() -> None:
    """The MostAllocated strategy prefers the fuller node (bin packing)."""
    plugin = noderesourcesfit.NodeResourcesFit({"scoringStrategy": {"type": "MostAllocated"}})
    assert scores(plugin, pod(cpu="1", memory="1Gi"), [node("a", cpu="2", memory="2Gi"),
                                                       node("b", cpu="4", memory="4Gi")]) == \
        [50, 25]


@pytest.mark.parametrize(("p", "nodes", "expected"), [
    pytest.param(pod(cpu="1", memory="1Gi"), [node("a", cpu="2", memory="2Gi"),
                                              node("b", cpu="2", memory="8Gi")], [100, 81],
                 id="balanced-beats-lopsided"),
    pytest.param(pod(cpu="2", memory="1Gi"), [node("a", cpu="2", memory="1Gi")], [100],
                 id="full-both"),
])
def test_balanced_allocation(p: dict[str, Any], nodes: list[dict[str, Any]],
                             expected: list[int]) -> None:
    """BalancedAllocation: cpu and memory fractions close together score high."""
    assert scores(balancedallocation.BalancedAllocation({}), p, nodes) == expected


def _preferred(*terms: tuple[int, str, str]) -> dict[str, Any]:
    return {"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": w, "preference": {"matchExpressions": [
            {"key": k, "operator": "In", "values": [v]}]}} for w, k, v in terms]}}}


@pytest.mark.parametrize(("spec", "expected"), [
    pytest.param(_preferred((10, "disk", "ssd")), [100, 0, 0], id="one-term"),
    pytest.param(_preferred((10, "disk", "ssd"), (30, "zone", "b")), [33, 100, 0],
                 id="weights-add-and-scale"),
    pytest.param({}, None, id="no-preference-skips"),
])
def test_node_affinity_preferred(spec: dict[str, Any], expected: list[int] | None) -> None:
    """NodeAffinity's score: weights of matching preferred terms, scaled to 100."""
    nodes = [node("a", labels={"disk": "ssd"}), node("b", labels={"zone": "b"}), node("c")]
    assert scores(nodeaffinity.NodeAffinity({}), pod(**spec), nodes) == expected


PREFER = {"key": "spot", "effect": "PreferNoSchedule"}


@pytest.mark.parametrize(("tolerations", "expected"), [
    pytest.param([], [100, 0], id="untolerated-prefer-no-schedule-scores-low"),
    pytest.param([{"key": "spot", "operator": "Exists", "effect": "PreferNoSchedule"}],
                 [100, 100], id="tolerated"),
])
def test_taint_toleration_score(tolerations: list[dict[str, str]],
                                expected: list[int]) -> None:
    """TaintToleration's score: fewer untolerated PreferNoSchedule taints win."""
    nodes = [node("a"), node("b", taints=[PREFER])]
    assert scores(tainttoleration.TaintToleration(), pod(tolerations=tolerations),
                  nodes) == expected


def _images(name: str, size: int) -> list[dict[str, Any]]:
    return [{"names": [name], "sizeBytes": size}]


@pytest.mark.parametrize(("image", "expected"), [
    pytest.param("nginx:1.25", [0, 0], id="absent-everywhere"),
    pytest.param("big:1", [48, 0], id="present-on-one-node"),
    pytest.param("small:1", [0, 0], id="below-threshold"),
])
def test_image_locality(image: str, expected: list[int]) -> None:
    """ImageLocality: nodes with the pod's (big enough) image score higher."""
    nodes = [node("a", images=_images("big:1", 1000 * MB) + _images("small:1", 10 * MB)),
             node("b")]
    cache = cluster(*nodes)
    plugin = imagelocality.ImageLocality(FakeHandle(cache))  # type: ignore[arg-type]
    state = CycleState()
    p = info(pod(image=image))
    out = [plugin.score(state, p, cache.nodes[n]) for n in ("a", "b")]
    assert out == expected


def test_pod_topology_spread_default_constraints() -> None:
    """System default spreading: pods of one Service prefer the node with fewer of them."""
    svc = {"metadata": {"name": "web", "namespace": "default"},
           "spec": {"selector": {"app": "web"}}}
    nodes = [node("a"), node("b")]
    placed = [pod("w1", labels={"app": "web"}, node="a"),
              pod("w2", labels={"app": "web"}, node="a")]
    cache = cluster(*nodes, pods=placed)
    plugin = podtopologyspread.PodTopologySpread({}, FakeHandle(cache, {"services": [svc]}))
    state = CycleState()
    p = info(pod(labels={"app": "web"}))
    infos = cache.node_list()
    assert plugin.pre_score(state, p, infos) is None
    out = [plugin.score(state, p, n) for n in infos]
    plugin.normalize_score(state, p, out)
    assert out[1] == 100 and out[0] < out[1]


def test_pod_topology_spread_skips_pods_without_owner() -> None:
    """A pod no Service or controller selects gets no default spreading (nothing to do)."""
    cache = cluster(node("a"))
    plugin = podtopologyspread.PodTopologySpread({}, FakeHandle(cache))
    assert plugin.pre_score(CycleState(), info(pod()), cache.node_list()) is not None


@pytest.mark.parametrize(("kind", "expected"), [
    pytest.param("podAffinity", [100, 0], id="preferred-affinity-with-db"),
    pytest.param("podAntiAffinity", [0, 100], id="preferred-anti-affinity-to-db"),
])
def test_inter_pod_affinity_preferred(kind: str, expected: list[int]) -> None:
    """InterPodAffinity's score: preferred terms pull towards or push from matching pods."""
    spec = {"affinity": {kind: {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 50, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "db"}},
                                           "topologyKey": "kubernetes.io/hostname"}}]}}}
    nodes = [node("a"), node("b")]
    placed = [pod("db", labels={"app": "db"}, node="a")]
    cache = cluster(*nodes, pods=placed)
    plugin = interpodaffinity.InterPodAffinity({}, FakeHandle(cache))  # type: ignore[arg-type]
    assert scores(plugin, pod(**spec), nodes, placed) == expected
