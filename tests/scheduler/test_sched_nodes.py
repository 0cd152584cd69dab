"""Virtual node registration: nodes files, default nodes, and node conditions as taints."""

from __future__ import annotations

from pathlib import Path

import pytest

from minikube_py.nodes.registration import (
    NodesFileError,
    condition_taints,
    default_nodes,
    load_nodes_file,
    node_object,
)


@pytest.mark.parametrize(("conditions", "unschedulable", "keys"), [
    pytest.param({}, False, [], id="healthy"),
    pytest.param({"Ready": "False"}, False, ["node.kubernetes.io/not-ready"], id="not-ready"),
    pytest.param({"Ready": "Unknown"}, False, ["node.kubernetes.io/unreachable"],
                 id="unreachable"),
    pytest.param({"MemoryPressure": "True"}, False, ["node.kubernetes.io/memory-pressure"],
                 id="memory-pressure"),
    pytest.param({"DiskPressure": "True", "PIDPressure": "True"}, False,
                 ["node.kubernetes.io/disk-pressure", "node.kubernetes.io/pid-pressure"],
                 id="disk-and-pid-pressure"),
    pytest.param({}, True, ["node.kubernetes.io/unschedulable"], id="cordoned"),
])
def test_condition_taints(conditions: dict[str, str], unschedulable: bool,
                          keys: list[str]) -> None:
    """Conditions become NoSchedule taints as Kubernetes' TaintNodesByCondition makes them."""
    taints = condition_taints(conditions, unschedulable=unschedulable)
    assert [t["key"] for t in taints] == keys
    assert all(t["effect"] == "NoSchedule" for t in taints)


def test_nodes_file(tmp_path: Path) -> None:
    """A nodes file gives names, capacity, extended resources, labels and taints."""
    path = tmp_path / "nodes.yaml"
    path.write_text("- name: gpu\n  cpu: '8'\n  memory: 16Gi\n  pods: 20\n"
                    "  resources: {nvidia.com/gpu: 2}\n  labels: {disktype: ssd}\n"
                    "  taints: [{key: dedicated, value: gpu, effect: NoSchedule}]\n"
                    "  conditions: {MemoryPressure: 'True'}\n")
    [spec] = load_nodes_file(path)
    obj = node_object(spec)
    assert obj["status"]["allocatable"] == {"cpu": "8", "memory": "16Gi", "pods": "20",
                                            "ephemeral-storage": "100Gi",
                                            "nvidia.com/gpu": "2"}
    assert obj["metadata"]["labels"]["disktype"] == "ssd"
    assert obj["metadata"]["labels"]["kubernetes.io/hostname"] == "gpu"
    assert [t["key"] for t in obj["spec"]["taints"]] == ["dedicated",
                                                         "node.kubernetes.io/memory-pressure"]
    ready = next(c for c in obj["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "True"


@pytest.mark.parametrize("text", [
    pytest.param("name: x\n", id="not-a-list"),
    pytest.param("- cpu: '1'\n", id="no-name"),
    pytest.param("- name: a\n- name: a\n", id="repeated-name"),
    pytest.param("- name: [\n", id="not-yaml"),
])
def test_bad_nodes_file(tmp_path: Path, text: str) -> None:
    """A nodes file that is not a list of named nodes is refused with a reason."""
    path = tmp_path / "nodes.yaml"
    path.write_text(text)
    with pytest.raises(NodesFileError):
        load_nodes_file(path)


def test_default_nodes() -> None:
    """No flags: one node named after the host; --nodes N: node-1 .. node-N."""
    [one] = default_nodes()
    assert one.name and one.cpu and one.memory
    assert [n.name for n in default_nodes(3)] == ["node-1", "node-2", "node-3"]
