"""Filter plugins, case by case: a pod, a node (with what is placed on it), and the reasons
the plugin gives (none when the pod fits)."""

from __future__ import annotations

from typing import Any

import pytest

from minikube_py.scheduler.framework import Code, CycleState
from minikube_py.scheduler.plugins import (
    interpodaffinity,
    nodeaffinity,
    nodename,
    nodeports,
    noderesourcesfit,
    nodeunschedulable,
    podtopologyspread,
    tainttoleration,
    volumebinding,
    volumezone,
)
from tests.scheduler.builders import FakeHandle, cluster, info, node, node_info, pod


def run_filter(plugin: Any, p: dict[str, Any], n: dict[str, Any],
               placed: tuple[dict[str, Any], ...] = ()) -> tuple[str, ...]:
    state = CycleState()
    target = node_info(n, *placed)
    pre = getattr(plugin, "pre_filter", None)
    if pre is not None:
        status = pre(state, info(p), [target])
        if status is not None and status.code == Code.SKIP:
            return ()
        if status is not None:
            return status.reasons
    status = plugin.filter(state, info(p), target)
    return status.reasons if status is not None else ()


INIT = {"initContainers": [{"name": "init", "image": "busybox",
                            "resources": {"requests": {"cpu": "3"}}}]}


@pytest.mark.parametrize(("p", "n", "placed", "reasons"), [
    pytest.param(pod(cpu="1"), node(cpu="2"), (), (), id="fits"),
    pytest.param(pod(cpu="3"), node(cpu="2"), (), ("Insufficient cpu",), id="too-much-cpu"),
    pytest.param(pod(cpu="1"), node(cpu="2"), (pod("a", cpu="1500m", node="n"),),
                 ("Insufficient cpu",), id="cpu-taken-by-placed-pod"),
    pytest.param(pod(memory="2Gi"), node(memory="1Gi"), (), ("Insufficient memory",),
                 id="too-much-memory"),
    pytest.param(pod(cpu="3", memory="9Gi"), node(cpu="2", memory="8Gi"), (),
                 ("Insufficient cpu", "Insufficient memory"), id="cpu-and-memory"),
    pytest.param(pod(), node(pods=1), (pod("a", node="n"),), ("Too many pods",),
                 id="pod-count"),
    pytest.param(pod(extended={"nvidia.com/gpu": "1"}), node(), (),
                 ("Insufficient nvidia.com/gpu",), id="gpu-missing"),
    pytest.param(pod(extended={"nvidia.com/gpu": "2"}), node(extended={"nvidia.com/gpu": "2"}),
                 (), (), id="gpu-fits"),
    pytest.param(pod(cpu="1", **INIT), node(cpu="2"), (), ("Insufficient cpu",),
                 id="init-container-max-counts"),
    pytest.param(pod(cpu="1", overhead={"cpu": "1500m"}), node(cpu="2"), (),
                 ("Insufficient cpu",), id="overhead-counts"),
])
def test_node_resources_fit(p: dict[str, Any], n: dict[str, Any],
                            placed: tuple[dict[str, Any], ...], reasons: tuple[str, ...]) -> None:
    """NodeResourcesFit names every resource that does not fit, as kube-scheduler does."""
    assert run_filter(noderesourcesfit.NodeResourcesFit({}), p, n, placed) == reasons


def _affinity(*exprs: dict[str, Any]) -> dict[str, Any]:
    return {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": list(exprs)}]}}}}


MISMATCH = ("node(s) didn't match Pod's node affinity/selector",)


@pytest.mark.parametrize(("spec", "labels", "reasons"), [
    pytest.param({"nodeSelector": {"disktype": "ssd"}}, {"disktype": "ssd"}, (),
                 id="selector-match"),
    pytest.param({"nodeSelector": {"disktype": "ssd"}}, {"disktype": "hdd"}, MISMATCH,
                 id="selector-mismatch"),
    pytest.param(_affinity({"key": "zone", "operator": "In", "values": ["a", "b"]}),
                 {"zone": "b"}, (), id="in"),
    pytest.param(_affinity({"key": "zone", "operator": "NotIn", "values": ["a"]}),
                 {"zone": "a"}, MISMATCH, id="not-in"),
    pytest.param(_affinity({"key": "gpu", "operator": "Exists"}), {}, MISMATCH, id="exists"),
    pytest.param(_affinity({"key": "gpu", "operator": "DoesNotExist"}), {}, (),
                 id="does-not-exist"),
    pytest.param(_affinity({"key": "cores", "operator": "Gt", "values": ["4"]}),
                 {"cores": "8"}, (), id="gt"),
    pytest.param(_affinity({"key": "cores", "operator": "Lt", "values": ["4"]}),
                 {"cores": "8"}, MISMATCH, id="lt"),
    pytest.param({}, {}, (), id="no-constraint"),
])
def test_node_affinity(spec: dict[str, Any], labels: dict[str, str],
                       reasons: tuple[str, ...]) -> None:
    """NodeAffinity: nodeSelector and required terms with every operator."""
    assert run_filter(nodeaffinity.NodeAffinity({}), pod(**spec), node(labels=labels)) == \
        reasons


NO_SCHEDULE = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}


@pytest.mark.parametrize(("tolerations", "taints", "reasons"), [
    pytest.param([], [NO_SCHEDULE], ("node(s) had untolerated taint {dedicated: gpu}",),
                 id="untolerated-noschedule"),
    pytest.param([{"key": "dedicated", "operator": "Equal", "value": "gpu",
                   "effect": "NoSchedule"}], [NO_SCHEDULE], (), id="tolerated-equal"),
    pytest.param([{"key": "dedicated", "operator": "Exists"}], [NO_SCHEDULE], (),
                 id="tolerated-exists"),
    pytest.param([{"operator": "Exists"}], [NO_SCHEDULE], (), id="tolerate-everything"),
    pytest.param([], [{"key": "x", "effect": "PreferNoSchedule"}], (),
                 id="prefer-no-schedule-does-not-filter"),
    pytest.param([], [{"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}],
                 ("node(s) had untolerated taint {node.kubernetes.io/not-ready: }",),
                 id="not-ready-condition-taint"),
    pytest.param([], [{"key": "node.kubernetes.io/memory-pressure", "effect": "NoSchedule"}],
                 ("node(s) had untolerated taint {node.kubernetes.io/memory-pressure: }",),
                 id="memory-pressure-condition-taint"),
    pytest.param([{"key": "dedicated", "value": "cpu", "effect": "NoSchedule"}],
                 [NO_SCHEDULE], ("node(s) had untolerated taint {dedicated: gpu}",),
                 id="wrong-value"),
])
def test_taint_toleration(tolerations: list[dict[str, str]], taints: list[dict[str, str]],
                          reasons: tuple[str, ...]) -> None:
    """TaintToleration filters NoSchedule/NoExecute taints the pod does not tolerate."""
    assert run_filter(tainttoleration.TaintToleration(), pod(tolerations=tolerations),
                      node(taints=taints)) == reasons


@pytest.mark.parametrize(("p", "n", "reasons"), [
    pytest.param(pod(), node(unschedulable=True), ("node(s) were unschedulable",),
                 id="cordoned"),
    pytest.param(pod(tolerations=[{"key": "node.kubernetes.io/unschedulable",
                                   "operator": "Exists", "effect": "NoSchedule"}]),
                 node(unschedulable=True), (), id="cordoned-tolerated"),
    pytest.param(pod(), node(), (), id="schedulable"),
])
def test_node_unschedulable(p: dict[str, Any], n: dict[str, Any],
                            reasons: tuple[str, ...]) -> None:
    """NodeUnschedulable keeps pods off cordoned nodes unless they tolerate it."""
    assert run_filter(nodeunschedulable.NodeUnschedulable(), p, n) == reasons


@pytest.mark.parametrize(("p", "reasons"), [
    pytest.param(pod(node="n"), (), id="named-this-node"),
    pytest.param(pod(node="other"), ("node(s) didn't match the requested node name",),
                 id="named-another-node"),
    pytest.param(pod(), (), id="names-none"),
])
def test_node_name(p: dict[str, Any], reasons: tuple[str, ...]) -> None:
    """NodeName: a pod naming a node fits only that one."""
    assert run_filter(nodename.NodeName(), p, node("n")) == reasons


PORT_REASON = ("node(s) didn't have free ports for the requested pod ports",)


@pytest.mark.parametrize(("want", "used", "reasons"), [
    pytest.param({"containerPort": 80, "hostPort": 8080}, {"containerPort": 80,
                 "hostPort": 8080}, PORT_REASON, id="same-port"),
    pytest.param({"containerPort": 80, "hostPort": 8080}, {"containerPort": 80,
                 "hostPort": 8081}, (), id="other-port"),
    pytest.param({"containerPort": 80, "hostPort": 8080, "protocol": "UDP"},
                 {"containerPort": 80, "hostPort": 8080}, (), id="other-protocol"),
    pytest.param({"containerPort": 80, "hostPort": 8080, "hostIP": "10.0.0.1"},
                 {"containerPort": 80, "hostPort": 8080, "hostIP": "10.0.0.2"}, (),
                 id="other-host-ip"),
    pytest.param({"containerPort": 80, "hostPort": 8080, "hostIP": "10.0.0.1"},
                 {"containerPort": 80, "hostPort": 8080}, PORT_REASON,
                 id="wildcard-ip-conflicts"),
])
def test_node_ports(want: dict[str, Any], used: dict[str, Any],
                    reasons: tuple[str, ...]) -> None:
    """NodePorts: host ports conflict by protocol, port and address (0.0.0.0 with all)."""
    placed = pod("a", node="n", ports=[used])
    assert run_filter(nodeports.NodePorts(), pod(ports=[want]), node("n"), (placed,)) == reasons


def _anti(key: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": labels}, "topologyKey": key}]}}}


def _aff(key: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": labels}, "topologyKey": key}]}}}


HOST = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"


@pytest.mark.parametrize(("p", "placed_on", "target", "reasons"), [
    pytest.param(pod(labels={"app": "web"}, **_anti(HOST, {"app": "web"})),
                 {"n1": [pod("w", labels={"app": "web"}, node="n1")]}, "n1",
                 ("node(s) didn't match pod anti-affinity rules",), id="anti-same-host"),
    pytest.param(pod(labels={"app": "web"}, **_anti(HOST, {"app": "web"})),
                 {"n1": [pod("w", labels={"app": "web"}, node="n1")]}, "n2", (),
                 id="anti-other-host"),
    pytest.param(pod(labels={"app": "web"}, **_anti(ZONE, {"app": "web"})),
                 {"n1": [pod("w", labels={"app": "web"}, node="n1")]}, "n2",
                 ("node(s) didn't match pod anti-affinity rules",), id="anti-same-zone"),
    pytest.param(pod(labels={"app": "web"}),
                 {"n1": [pod("w", labels={"app": "db"}, node="n1", **_anti(HOST,
                                                                            {"app": "web"}))]},
                 "n1", ("node(s) didn't satisfy existing pods anti-affinity rules",),
                 id="existing-pod-anti-affinity"),
    pytest.param(pod(**_aff(HOST, {"app": "db"})),
                 {"n1": [pod("d", labels={"app": "db"}, node="n1")]}, "n1", (),
                 id="affinity-met"),
    pytest.param(pod(**_aff(HOST, {"app": "db"})),
                 {"n1": [pod("d", labels={"app": "db"}, node="n1")]}, "n2",
                 ("node(s) didn't match pod affinity rules",), id="affinity-unmet"),
    pytest.param(pod(labels={"app": "db"}, **_aff(HOST, {"app": "db"})), {}, "n2", (),
                 id="affinity-first-of-its-group"),
])
def test_inter_pod_affinity(p: dict[str, Any], placed_on: dict[str, list[dict[str, Any]]],
                            target: str, reasons: tuple[str, ...]) -> None:
    """InterPodAffinity: required affinity and anti-affinity by topology key, both ways."""
    nodes = [node("n1", labels={ZONE: "a"}), node("n2", labels={ZONE: "a"}),
             node("n3", labels={ZONE: "b"})]
    placed = [x for pods in placed_on.values() for x in pods]
    cache = cluster(*nodes, pods=placed)
    plugin = interpodaffinity.InterPodAffinity({}, FakeHandle(cache))
    state = CycleState()
    status = plugin.pre_filter(state, info(p), cache.node_list())
    if status is not None and status.code == Code.SKIP:
        assert reasons == ()
        return
    result = plugin.filter(state, info(p), cache.nodes[target])
    assert (result.reasons if result else ()) == reasons


def _spread(key: str, skew: int = 1) -> dict[str, Any]:
    return {"topologySpreadConstraints": [{"maxSkew": skew, "topologyKey": key,
                                           "whenUnsatisfiable": "DoNotSchedule",
                                           "labelSelector": {"matchLabels": {"app": "x"}}}]}


@pytest.mark.parametrize(("skew", "counts", "target", "reasons"), [
    pytest.param(1, {"n1": 1, "n2": 0}, "n1",
                 ("node(s) didn't match pod topology spread constraints",), id="skew-exceeded"),
    pytest.param(1, {"n1": 1, "n2": 0}, "n2", (), id="least-populated"),
    pytest.param(2, {"n1": 1, "n2": 0}, "n1", (), id="within-max-skew"),
    pytest.param(1, {"n1": 0, "n2": 0}, "nolabel",
                 ("node(s) didn't match pod topology spread constraints (missing required "
                  "label)",), id="missing-label"),
])
def test_pod_topology_spread(skew: int, counts: dict[str, int], target: str,
                             reasons: tuple[str, ...]) -> None:
    """PodTopologySpread DoNotSchedule: maxSkew against the least-populated domain."""
    nodes = [node("n1", labels={"rack": "r1"}), node("n2", labels={"rack": "r2"}),
             node("nolabel")]
    placed = [pod(f"{n}-{i}", labels={"app": "x"}, node=n)
              for n, c in counts.items() for i in range(c)]
    cache = cluster(*nodes, pods=placed)
    plugin = podtopologyspread.PodTopologySpread({}, FakeHandle(cache))
    state = CycleState()
    p = info(pod(labels={"app": "x"}, **_spread("rack", skew)))
    assert plugin.pre_filter(state, p, cache.node_list()) is None
    result = plugin.filter(state, p, cache.nodes[target])
    assert (result.reasons if result else ()) == reasons


def _pv(name: str, *, zone: str | None = None, host: str | None = None) -> dict[str, Any]:
    pv: dict[str, Any] = {"metadata": {"name": name, "labels": {}}, "spec": {}}
    if zone:
        pv["metadata"]["labels"][ZONE] = zone
    if host:
        pv["spec"]["nodeAffinity"] = {"required": {"nodeSelectorTerms": [{"matchExpressions": [
            {"key": HOST, "operator": "In", "values": [host]}]}]}}
    return pv


def _claim(name: str, volume: str = "") -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "default"},
            "spec": {"volumeName": volume} if volume else {}}


CLAIM = {"volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]}


@pytest.mark.parametrize(("claims", "pvs", "target", "reasons"), [
    pytest.param([_claim("data", "pv1")], [_pv("pv1", host="n1")], "n1", (), id="pv-on-node"),
    pytest.param([_claim("data", "pv1")], [_pv("pv1", host="n1")], "n2",
                 ("node(s) had volume node affinity conflict",), id="pv-on-other-node"),
    pytest.param([], [], "n1", ('persistentvolumeclaim "data" not found',), id="no-claim"),
    pytest.param([_claim("data")], [], "n1",
                 ("pod has unbound immediate PersistentVolumeClaims",), id="unbound-claim"),
])
def test_volume_binding(claims: list[dict[str, Any]], pvs: list[dict[str, Any]], target: str,
                        reasons: tuple[str, ...]) -> None:
    """VolumeBinding-lite: bound claims' PV node affinity; missing and unbound claims."""
    handle = FakeHandle(objects={"persistentvolumeclaims": claims, "persistentvolumes": pvs})
    plugin = volumebinding.VolumeBinding(handle)  # type: ignore[arg-type]
    assert run_filter(plugin, pod(**CLAIM), node(target)) == reasons


@pytest.mark.parametrize(("zone", "node_zone", "reasons"), [
    pytest.param("a", "a", (), id="same-zone"),
    pytest.param("a", "b", ("node(s) had no available volume zone",), id="other-zone"),
    pytest.param("a__b", "b", (), id="one-of-several-zones"),
])
def test_volume_zone(zone: str, node_zone: str, reasons: tuple[str, ...]) -> None:
    """VolumeZone: a PV's zone label restricts the pod to nodes in that zone."""
    handle = FakeHandle(objects={"persistentvolumeclaims": [_claim("data", "pv1")],
                                 "persistentvolumes": [_pv("pv1", zone=zone)]})
    plugin = volumezone.VolumeZone(handle)  # type: ignore[arg-type]
    assert run_filter(plugin, pod(**CLAIM), node(labels={ZONE: node_zone})) == reasons
