"""The framework: the FailedScheduling message, how many nodes are checked, ties, and the
configuration file's plugins and weights."""

from __future__ import annotations

from typing import Any

import pytest

from minikube_py.scheduler import config
from minikube_py.scheduler.framework import (
    Diagnosis,
    Framework,
    fit_error_message,
    unresolvable,
    unschedulable,
)
from tests.scheduler.builders import FakeHandle, node, node_info


def test_fit_error_message_sorted_and_counted() -> None:
    """Reasons are counted per node and sorted as Go's sort.Strings sorts them."""
    diagnosis = Diagnosis(statuses={
        "a": unschedulable("Insufficient cpu"), "b": unschedulable("Insufficient cpu"),
        "c": unresolvable("node(s) didn't match Pod's node affinity/selector")})
    assert fit_error_message(3, diagnosis) == (
        "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, "
        "2 Insufficient cpu.")


def test_fit_error_message_pre_filter() -> None:
    """A pre-filter rejection is said once, not per node."""
    diagnosis = Diagnosis(pre_filter_message='persistentvolumeclaim "x" not found')
    assert fit_error_message(5, diagnosis) == \
        '0/5 nodes are available: persistentvolumeclaim "x" not found.'


@pytest.mark.parametrize(("nodes", "percentage", "expected"), [
    pytest.param(50, 0, 50, id="small-cluster-all"),
    pytest.param(1000, 0, 420, id="adaptive-42-percent"),
    pytest.param(5000, 0, 500, id="adaptive-10-percent"),
    pytest.param(200, 0, 100, id="never-below-100"),
    pytest.param(1000, 100, 1000, id="configured-100-percent"),
])
def test_num_feasible_nodes_to_find(nodes: int, percentage: int, expected: int) -> None:
    """kube-scheduler's percentageOfNodesToScore, adaptive by default."""
    fw = Framework("p", {}, {}, percentage_of_nodes_to_score=percentage)
    assert fw.num_feasible_nodes_to_find(nodes) == expected


def test_select_host_breaks_ties_at_random() -> None:
    """Equal best scores: every one of them gets picked sometimes; lower ones never."""
    fw = Framework("p", {}, {})
    nodes = [node_info(node(n)) for n in ("a", "b", "c")]
    picked = {fw.select_host(nodes, [5, 5, 1]).name for _ in range(200)}
    assert picked == {"a", "b"}


def _framework(doc: dict[str, Any]) -> Framework:
    cfg = config.parse({"apiVersion": config.API_VERSION, "kind": config.KIND, **doc})
    return config.build_profiles(cfg, FakeHandle())["default-scheduler"]  # type: ignore[arg-type]


def test_default_profile() -> None:
    """The default profile has kube-scheduler's plugins and weights."""
    fw = _framework({})
    assert [p.name for p in fw.plugins("filter")] == [
        "NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts",
        "NodeResourcesFit", "VolumeBinding", "VolumeZone", "PodTopologySpread",
        "InterPodAffinity"]
    assert fw.weights == {"TaintToleration": 3, "NodeAffinity": 2, "NodeResourcesFit": 1,
                          "PodTopologySpread": 2, "InterPodAffinity": 2,
                          "NodeResourcesBalancedAllocation": 1, "ImageLocality": 1}
    assert [p.name for p in fw.plugins("post_filter")] == ["DefaultPreemption"]


def test_config_disables_and_weights() -> None:
    """Per-point disabled/enabled with weights, and '*' clearing a point's defaults."""
    fw = _framework({"profiles": [{"plugins": {
        "score": {"disabled": [{"name": "*"}],
                  "enabled": [{"name": "NodeResourcesFit", "weight": 5}]},
        "filter": {"disabled": [{"name": "TaintToleration"}]},
        "postFilter": {"disabled": [{"name": "DefaultPreemption"}]}}}]})
    assert [p.name for p in fw.plugins("score")] == ["NodeResourcesFit"]
    assert fw.weights == {"NodeResourcesFit": 5}
    assert "TaintToleration" not in [p.name for p in fw.plugins("filter")]
    assert fw.plugins("post_filter") == []


def test_plugin_config_args() -> None:
    """pluginConfig args reach the plugin (MostAllocated scoring)."""
    fw = _framework({"profiles": [{"pluginConfig": [{"name": "NodeResourcesFit", "args": {
        "scoringStrategy": {"type": "MostAllocated"}}}]}]})
    fit = next(p for p in fw.plugins("score") if p.name == "NodeResourcesFit")
    assert fit.strategy == "MostAllocated"


@pytest.mark.parametrize("doc", [
    pytest.param({"apiVersion": "v1", "kind": "KubeSchedulerConfiguration"}, id="wrong-version"),
    pytest.param({"apiVersion": config.API_VERSION, "kind": config.KIND, "profiles": [
        {"plugins": {"filter": {"enabled": [{"name": "NoSuchPlugin"}]}}}]}, id="unknown-plugin"),
    pytest.param({"apiVersion": config.API_VERSION, "kind": config.KIND,
                  "profiles": [{}, {}]}, id="duplicate-profile"),
    pytest.param({"apiVersion": config.API_VERSION, "kind": config.KIND,
                  "extenders": [{"filterVerb": "filter"}]}, id="extender-without-url"),
])
def test_bad_config(doc: dict[str, Any]) -> None:
    """A configuration we cannot run is refused with a reason."""
    with pytest.raises(config.ConfigError):
        config.parse(doc)


def test_second_profile_by_scheduler_name() -> None:
    """Each profile answers to its schedulerName."""
    cfg = config.parse({"apiVersion": config.API_VERSION, "kind": config.KIND,
                        "profiles": [{}, {"schedulerName": "bin-packer"}]})
    assert set(config.build_profiles(cfg, FakeHandle())) == {  # type: ignore[arg-type]
        "default-scheduler", "bin-packer"}
