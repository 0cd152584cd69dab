"""Server-side Table printers: the cells ``kubectl get`` shows, as Kubernetes 1.32 computes them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from minikube_py.api.printers import core
from minikube_py.api.printers.base import (
    BUILTIN_DEFAULT,
    CUSTOM_DEFAULT,
    Printer,
    selector_string,
)
from minikube_py.api.printers.core import port_string
from minikube_py.api.printers.workloads import pod_status_cells
from minikube_py.api.registry import REGISTRY

# Printers of kinds the cluster will serve later (their strategies will name them).
NOT_YET_SERVED = {
    ("discovery.k8s.io", "EndpointSlice"): core.ENDPOINT_SLICE,
    ("networking.k8s.io", "Ingress"): core.INGRESS,
    ("rbac.authorization.k8s.io", "RoleBinding"): core.BINDING,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): core.BINDING,
    ("storage.k8s.io", "StorageClass"): core.STORAGE_CLASS,
    ("scheduling.k8s.io", "PriorityClass"): core.PRIORITY_CLASS,
}
PRINTERS = {**{(rt.group, rt.kind): rt.strategy.printer for rt in REGISTRY
               if rt.strategy.printer is not BUILTIN_DEFAULT}, **NOT_YET_SERVED}


def printer_for(group: str, kind: str) -> Printer:
    """A served kind's printer (its strategy's), else Kubernetes' default tables."""
    if (group, kind) in PRINTERS:
        return PRINTERS[(group, kind)]
    if group in ("", "apps", "batch", "autoscaling", "policy") or group.endswith(".k8s.io"):
        return BUILTIN_DEFAULT
    return CUSTOM_DEFAULT

NOW = dt.datetime(2025, 3, 1, 12, 0, 0, tzinfo=dt.UTC)


def ago(**delta: float) -> str:
    """An RFC 3339 timestamp ``delta`` before NOW."""
    return (NOW - dt.timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


def cells(group: str, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    """One row of a kind's printer, keyed by column name."""
    printer = printer_for(group, kind)
    row = printer.row(obj, NOW)
    assert len(row) == len(printer.columns)
    return {column.name: cell for column, cell in zip(printer.columns, row, strict=True)}


def header(group: str, kind: str, *, wide: bool = False) -> list[str]:
    """Column names as kubectl prints them (upper case, wide ones only with -o wide)."""
    return [c.name.upper() for c in printer_for(group, kind).columns if wide or c.priority == 0]


# ---------------------------------------------------------------------------------------------
# Pod READY, STATUS, RESTARTS.

def running(ready: bool = True, restarts: int = 0, finished: str | None = None) -> dict:
    status: dict[str, Any] = {"name": "app", "ready": ready, "restartCount": restarts,
                              "state": {"running": {"startedAt": ago(minutes=1)}}}
    if finished:
        status["lastState"] = {"terminated": {"exitCode": 1, "finishedAt": finished}}
    return status


def waiting(reason: str, restarts: int = 0, finished: str | None = None, name: str = "app") -> dict:
    status: dict[str, Any] = {"name": name, "ready": False, "restartCount": restarts,
                              "state": {"waiting": {"reason": reason}}}
    if finished:
        status["lastState"] = {"terminated": {"exitCode": 1, "finishedAt": finished}}
    return status


def terminated(exit_code: int, reason: str = "", signal: int = 0, name: str = "app") -> dict:
    state: dict[str, Any] = {"exitCode": exit_code, "finishedAt": ago(minutes=1)}
    if reason:
        state["reason"] = reason
    if signal:
        state["signal"] = signal
    return {"name": name, "ready": False, "restartCount": 0, "state": {"terminated": state}}


def pod(phase: str = "Running", statuses: list[dict] | None = None, *, containers: int = 1,
        init: list[dict] | None = None, init_statuses: list[dict] | None = None,
        ready_condition: bool | None = None, **extra: Any) -> dict:
    """A pod with ``containers`` app containers, init containers and statuses as given."""
    obj: dict[str, Any] = {
        "metadata": {"name": "web", "namespace": "default", "creationTimestamp": ago(hours=1)},
        "spec": {"containers": [{"name": f"c{i}", "image": "nginx"} for i in range(containers)]},
        "status": {"phase": phase, "containerStatuses": statuses or []},
    }
    if init is not None:
        obj["spec"]["initContainers"] = init
        obj["status"]["initContainerStatuses"] = init_statuses or []
    if ready_condition is not None:
        obj["status"]["conditions"] = [
            {"type": "Ready", "status": "True" if ready_condition else "False"}]
    for key, value in extra.items():
        section, _, field = key.partition("__")
        obj[section][field] = value
    return obj


INIT_TWO = [{"name": "i0", "image": "busybox"}, {"name": "i1", "image": "busybox"}]


@pytest.mark.parametrize("obj, expected", [
    pytest.param(pod("Pending"), ("0/1", "Pending", "0"), id="pending-without-statuses"),
    pytest.param(pod("Pending", [waiting("ContainerCreating")]),
                 ("0/1", "ContainerCreating", "0"), id="container-creating"),
    pytest.param(pod("Pending", [waiting("ErrImagePull")]), ("0/1", "ErrImagePull", "0"),
                 id="err-image-pull"),
    pytest.param(pod("Running", [running()], ready_condition=True), ("1/1", "Running", "0"),
                 id="running-and-ready"),
    pytest.param(pod("Running", [running(ready=False)], ready_condition=False),
                 ("0/1", "Running", "0"), id="running-not-ready"),
    pytest.param(pod("Running", [waiting("CrashLoopBackOff", 3, ago(minutes=5))]),
                 ("0/1", "CrashLoopBackOff", "3 (5m ago)"), id="crash-loop-back-off"),
    pytest.param(pod("Succeeded", [terminated(0, "Completed")]), ("0/1", "Completed", "0"),
                 id="completed"),
    pytest.param(pod("Failed", [terminated(1, "Error")]), ("0/1", "Error", "0"), id="error"),
    pytest.param(pod("Running", [terminated(137, "OOMKilled")]), ("0/1", "OOMKilled", "0"),
                 id="oom-killed"),
    pytest.param(pod("Failed", [terminated(2)]), ("0/1", "ExitCode:2", "0"),
                 id="terminated-without-reason"),
    pytest.param(pod("Failed", [terminated(0, signal=9)]), ("0/1", "Signal:9", "0"),
                 id="terminated-by-signal"),
    pytest.param(pod("Running", [terminated(0, "Completed", name="a"), running()], containers=2,
                     ready_condition=False),
                 ("1/2", "NotReady", "0"), id="completed-beside-running-not-ready"),
    pytest.param(pod("Running", [terminated(0, "Completed", name="a"), running()], containers=2,
                     ready_condition=True),
                 ("1/2", "Running", "0"), id="completed-beside-running-ready"),
    pytest.param(pod("Pending", [waiting("PodInitializing")], init=INIT_TWO,
                     init_statuses=[running(ready=False) | {"name": "i0"},
                                    waiting("PodInitializing", name="i1")]),
                 ("0/1", "Init:0/2", "0"), id="init-0-of-2"),
    pytest.param(pod("Pending", [], init=INIT_TWO,
                     init_statuses=[terminated(0, "Completed", name="i0"),
                                    running(ready=False) | {"name": "i1"}]),
                 ("0/1", "Init:1/2", "0"), id="init-1-of-2"),
    pytest.param(pod("Pending", [], init=INIT_TWO,
                     init_statuses=[waiting("CrashLoopBackOff", 4, ago(minutes=2), name="i0")]),
                 ("0/1", "Init:CrashLoopBackOff", "4 (2m ago)"), id="init-crash-loop"),
    pytest.param(pod("Pending", [], init=INIT_TWO,
                     init_statuses=[terminated(1, "Error", name="i0")]),
                 ("0/1", "Init:Error", "0"), id="init-error"),
    pytest.param(pod("Running", [running()], ready_condition=True,
                     metadata__deletionTimestamp=ago(seconds=5)),
                 ("1/1", "Terminating", "0"), id="terminating"),
    pytest.param(pod("Succeeded", [terminated(0, "Completed")],
                     metadata__deletionTimestamp=ago(seconds=5)),
                 ("0/1", "Completed", "0"), id="terminal-pod-being-deleted-is-not-terminating"),
    pytest.param(pod("Running", [running()], status__reason="NodeLost",
                     metadata__deletionTimestamp=ago(seconds=5)),
                 ("1/1", "Unknown", "0"), id="node-lost-while-deleting"),
    pytest.param(pod("Failed", [{"name": "app", "ready": False, "restartCount": 0, "state": {}}],
                     status__reason="Evicted"),
                 ("0/1", "Evicted", "0"), id="evicted-with-reason"),
    pytest.param(pod("Pending", status__conditions=[
        {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]),
                 ("0/1", "SchedulingGated", "0"), id="scheduling-gated"),
    pytest.param(pod("Running", [running()], ready_condition=True,
                     init=[{"name": "proxy", "image": "envoy", "restartPolicy": "Always"}],
                     init_statuses=[running() | {"name": "proxy", "started": True,
                                                 "restartCount": 1}],
                     status__conditions=[{"type": "Initialized", "status": "True"},
                                         {"type": "Ready", "status": "True"}]),
                 ("2/2", "Running", "1"), id="sidecar-counts-in-ready-and-restarts"),
])
def test_pod_ready_status_restarts(obj: dict, expected: tuple[str, str, str]) -> None:
    """READY, STATUS and RESTARTS follow kubectl's rules for phases, reasons and containers."""
    assert pod_status_cells(obj, NOW) == expected


def test_pod_restarts_sum_containers_and_report_latest_termination() -> None:
    """RESTARTS adds every container's restarts and ages the latest lastState finish."""
    obj = pod("Running", [running(restarts=1, finished=ago(hours=2)),
                          running(restarts=2, finished=ago(minutes=7)) | {"name": "b"}],
              containers=2, ready_condition=True)
    assert pod_status_cells(obj, NOW) == ("2/2", "Running", "3 (7m ago)")


def test_pod_wide_cells() -> None:
    """-o wide shows the first pod IP, the node, <none> placeholders and readiness gates."""
    obj = pod("Running", [running()], ready_condition=True,
              status__podIPs=[{"ip": "10.244.0.7"}], spec__nodeName="minikube",
              spec__readinessGates=[{"conditionType": "example.com/lb"}])
    row = cells("", "Pod", obj)
    assert row == {"Name": "web", "Ready": "1/1", "Status": "Running", "Restarts": "0",
                   "Age": "60m", "IP": "10.244.0.7", "Node": "minikube",
                   "Nominated Node": "<none>", "Readiness Gates": "0/1"}
    assert header("", "Pod") == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert header("", "Pod", wide=True)[5:] == ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]


# ---------------------------------------------------------------------------------------------
# Services and endpoints.

def service(type_: str, ports: list[dict], **spec: Any) -> dict:
    return {"metadata": {"name": "web", "creationTimestamp": ago(minutes=3)},
            "spec": {"type": type_, "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
                     "ports": ports, **spec},
            "status": {}}


@pytest.mark.parametrize("obj, external, ports", [
    pytest.param(service("ClusterIP", [{"port": 80, "protocol": "TCP"}]), "<none>", "80/TCP",
                 id="cluster-ip"),
    pytest.param(service("NodePort", [{"port": 80, "protocol": "TCP", "nodePort": 30080},
                                      {"port": 53, "protocol": "UDP", "nodePort": 30053}],
                         externalIPs=["192.0.2.1"]),
                 "192.0.2.1", "80:30080/TCP,53:30053/UDP", id="node-port-with-external-ip"),
    pytest.param(service("LoadBalancer", [{"port": 443, "protocol": "TCP", "nodePort": 31443}]),
                 "<pending>", "443:31443/TCP", id="load-balancer-pending"),
    pytest.param(service("ExternalName", [], externalName="db.example.com"),
                 "db.example.com", "<none>", id="external-name"),
])
def test_service_external_ip_and_ports(obj: dict, external: str, ports: str) -> None:
    """EXTERNAL-IP depends on the type; PORT(S) shows node ports and <none> when empty."""
    row = cells("", "Service", obj)
    assert (row["External-IP"], row["Port(s)"]) == (external, ports)


def test_service_load_balancer_ingress_and_selector() -> None:
    """Load balancer addresses are sorted before externalIPs; SELECTOR is sorted labels."""
    obj = service("LoadBalancer", [{"port": 80, "protocol": "TCP"}], externalIPs=["192.0.2.9"],
                  selector={"tier": "web", "app": "shop"})
    obj["status"] = {"loadBalancer": {"ingress": [{"ip": "203.0.113.5"}, {"hostname": "a.lb"}]}}
    row = cells("", "Service", obj)
    assert row["External-IP"] == "203.0.113.5,a.lb,192.0.2.9"
    assert row["Selector"] == "app=shop,tier=web"
    assert row["Type"] == "LoadBalancer" and row["Cluster-IP"] == "10.96.0.10"
    assert header("", "Service") == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]


def test_port_string_omits_missing_node_port() -> None:
    """A port without an allocated node port prints as port/protocol."""
    ports = [{"port": 80, "nodePort": 30080, "protocol": "TCP"}, {"port": 443, "protocol": "TCP"}]
    assert port_string(ports) == "80:30080/TCP,443/TCP"


def test_headless_service_shows_none_cluster_ip() -> None:
    """A headless service prints its clusterIP None; no selector prints <none>."""
    obj = service("ClusterIP", [{"port": 80, "protocol": "TCP"}], clusterIPs=["None"])
    row = cells("", "Service", obj)
    assert (row["Cluster-IP"], row["Selector"]) == ("None", "<none>")


def test_endpoints_list_three_then_count_the_rest() -> None:
    """ENDPOINTS shows three ip:port pairs and '+ N more...'; none is <none>."""
    obj = {"metadata": {"name": "web"}, "subsets": [
        {"addresses": [{"ip": f"10.0.0.{i}"} for i in range(1, 5)], "ports": [{"port": 80}]}]}
    assert cells("", "Endpoints", obj)["Endpoints"] == (
        "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...")
    assert cells("", "Endpoints", {"metadata": {"name": "web"}})["Endpoints"] == "<none>"


def test_endpoint_slice_ports_and_addresses() -> None:
    """EndpointSlice lists ports and addresses, <unset> when there are none."""
    obj = {"metadata": {"name": "web-abc"}, "addressType": "IPv4",
           "ports": [{"port": 80, "name": "http"}],
           "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2"]}]}
    row = cells("discovery.k8s.io", "EndpointSlice", obj)
    assert (row["AddressType"], row["Ports"], row["Endpoints"]) == ("IPv4", "80",
                                                                    "10.0.0.1,10.0.0.2")
    empty = cells("discovery.k8s.io", "EndpointSlice", {"metadata": {"name": "x"}})
    assert (empty["Ports"], empty["Endpoints"]) == ("<unset>", "<unset>")


def test_ingress_hosts_address_and_ports() -> None:
    """Ingress shows its class, hosts, load balancer address and 80, 443 with TLS."""
    obj = {"metadata": {"name": "web"},
           "spec": {"ingressClassName": "nginx", "tls": [{"hosts": ["a.example"]}],
                    "rules": [{"host": "a.example"}, {"host": "b.example"}]},
           "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.4"}]}}}
    row = cells("networking.k8s.io", "Ingress", obj)
    assert [row["Class"], row["Hosts"], row["Address"], row["Ports"]] == [
        "nginx", "a.example,b.example", "192.0.2.4", "80, 443"]
    bare = cells("networking.k8s.io", "Ingress", {"metadata": {"name": "x"}, "spec": {}})
    assert [bare["Class"], bare["Hosts"], bare["Ports"]] == ["<none>", "*", "80"]


# ---------------------------------------------------------------------------------------------
# Workloads.

def deployment(**status: int) -> dict:
    return {"metadata": {"name": "web", "creationTimestamp": ago(days=2, hours=3)},
            "spec": {"replicas": 3,
                     "selector": {"matchLabels": {"app": "web"},
                                  "matchExpressions": [
                                      {"key": "env", "operator": "In",
                                       "values": ["prod", "dev"]}]},
                     "template": {"spec": {"containers": [
                         {"name": "nginx", "image": "nginx:1.27"},
                         {"name": "log", "image": "busybox"}]}}},
            "status": status}


def test_deployment_columns() -> None:
    """Deployment: READY ready/desired, UP-TO-DATE, AVAILABLE, AGE; wide adds the template."""
    row = cells("apps", "Deployment", deployment(readyReplicas=2, updatedReplicas=3,
                                                 availableReplicas=2))
    assert row == {"Name": "web", "Ready": "2/3", "Up-to-date": 3, "Available": 2,
                   "Age": "2d3h", "Containers": "nginx,log", "Images": "nginx:1.27,busybox",
                   "Selector": "app=web,env in (dev,prod)"}
    assert header("apps", "Deployment") == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]


def test_deployment_without_status_reads_zero() -> None:
    """A fresh deployment prints 0/N and zero counts."""
    row = cells("apps", "Deployment", deployment())
    assert (row["Ready"], row["Up-to-date"], row["Available"]) == ("0/3", 0, 0)


def test_replica_set_daemon_set_and_stateful_set() -> None:
    """Replica counts are integers; the StatefulSet prints ready/desired."""
    replica_set = deployment(replicas=3, readyReplicas=1)
    assert list(cells("apps", "ReplicaSet", replica_set).values())[1:4] == [3, 3, 1]
    daemon_set = {"metadata": {"name": "agent"},
                  "spec": {"selector": {"matchLabels": {"app": "agent"}},
                           "template": {"spec": {"nodeSelector": {"kubernetes.io/os": "linux"},
                                                 "containers": [{"name": "a", "image": "b"}]}}},
                  "status": {"desiredNumberScheduled": 1, "currentNumberScheduled": 1,
                             "numberReady": 1, "updatedNumberScheduled": 1,
                             "numberAvailable": 0}}
    row = cells("apps", "DaemonSet", daemon_set)
    assert list(row.values())[1:7] == [1, 1, 1, 1, 0, "kubernetes.io/os=linux"]
    assert row["Selector"] == "app=agent"
    stateful = {"metadata": {"name": "db"}, "spec": {"replicas": 3}, "status": {"readyReplicas": 2}}
    assert cells("apps", "StatefulSet", stateful)["Ready"] == "2/3"


def test_controller_revision_names_its_controller() -> None:
    """CONTROLLER is lower-case kind.group/name of the controlling owner."""
    obj = {"metadata": {"name": "agent-5d8f", "ownerReferences": [
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "controller": True}]},
        "revision": 2}
    row = cells("apps", "ControllerRevision", obj)
    assert (row["Controller"], row["Revision"]) == ("daemonset.apps/agent", 2)


@pytest.mark.parametrize("job_spec, job_status, expected", [
    pytest.param({"completions": 3}, {"succeeded": 1, "startTime": ago(minutes=4)},
                 ("Running", "1/3", "4m"), id="running"),
    pytest.param({"parallelism": 4}, {}, ("Running", "0/1 of 4", ""), id="work-queue"),
    pytest.param({"completions": 1},
                 {"succeeded": 1, "startTime": ago(minutes=10), "completionTime": ago(minutes=9),
                  "conditions": [{"type": "Complete", "status": "True"}]},
                 ("Complete", "1/1", "60s"), id="complete"),
    pytest.param({"completions": 1, "suspend": True},
                 {"conditions": [{"type": "Suspended", "status": "True"}]},
                 ("Suspended", "0/1", ""), id="suspended"),
])
def test_job_status_completions_duration(job_spec: dict, job_status: dict,
                                         expected: tuple[str, str, str]) -> None:
    """Job STATUS follows its conditions; COMPLETIONS and DURATION as kubectl shows them."""
    row = cells("batch", "Job", {"metadata": {"name": "pi"}, "spec": job_spec,
                                 "status": job_status})
    assert (row["Status"], row["Completions"], row["Duration"]) == expected


def test_cron_job_columns() -> None:
    """CronJob shows schedule, <none> time zone, suspend, active jobs and last schedule."""
    obj = {"metadata": {"name": "tick"},
           "spec": {"schedule": "*/5 * * * *", "suspend": False},
           "status": {"active": [{"name": "tick-1"}], "lastScheduleTime": ago(seconds=30)}}
    row = cells("batch", "CronJob", obj)
    assert list(row.values())[1:6] == ["*/5 * * * *", "<none>", "False", 1, "30s"]


@pytest.mark.parametrize("hpa, targets", [
    pytest.param({"spec": {"metrics": [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]},
        "status": {"currentMetrics": [{"type": "Resource", "resource": {
            "name": "cpu", "current": {"averageUtilization": 12}}}]}},
        "cpu: 12%/80%", id="cpu-utilization"),
    pytest.param({"spec": {"metrics": [{"type": "Resource", "resource": {
        "name": "memory", "target": {"type": "Utilization", "averageUtilization": 70}}}]}},
        "memory: <unknown>/70%", id="no-current-metrics"),
    pytest.param({"spec": {"targetCPUUtilizationPercentage": 50},
                  "status": {"currentCPUUtilizationPercentage": 20}},
                 "cpu: 20%/50%", id="autoscaling-v1-shape"),
    pytest.param({"spec": {}}, "<none>", id="no-metrics"),
])
def test_hpa_targets(hpa: dict, targets: str) -> None:
    """TARGETS renders each metric as current/target."""
    hpa["metadata"] = {"name": "web"}
    hpa["spec"] |= {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 1,
                    "maxReplicas": 5}
    row = cells("autoscaling", "HorizontalPodAutoscaler", hpa)
    assert [row["Reference"], row["Targets"], row["MinPods"], row["MaxPods"]] == [
        "Deployment/web", targets, "1", 5]


# ---------------------------------------------------------------------------------------------
# Nodes, events and the rest.

def node(labels: dict[str, str], ready: str | None = "True", **spec: Any) -> dict:
    conditions = [] if ready is None else [{"type": "Ready", "status": ready}]
    return {"metadata": {"name": "minikube", "labels": labels,
                         "creationTimestamp": ago(minutes=42)},
            "spec": spec,
            "status": {"conditions": conditions,
                       "addresses": [{"type": "InternalIP", "address": "192.168.49.2"},
                                     {"type": "Hostname", "address": "minikube"}],
                       "nodeInfo": {"kubeletVersion": "v1.32.0", "osImage": "Ubuntu 24.04",
                                    "kernelVersion": "6.8.0", "containerRuntimeVersion":
                                    "docker://27.3.1"}}}


@pytest.mark.parametrize("obj, node_status, roles", [
    pytest.param(node({"node-role.kubernetes.io/control-plane": ""}), "Ready", "control-plane",
                 id="control-plane"),
    pytest.param(node({"node-role.kubernetes.io/worker": "", "kubernetes.io/role": "infra",
                       "node-role.kubernetes.io/control-plane": ""}),
                 "Ready", "control-plane,infra,worker", id="roles-sorted-and-merged"),
    pytest.param(node({}, unschedulable=True), "Ready,SchedulingDisabled", "<none>",
                 id="cordoned"),
    pytest.param(node({}, ready="False"), "NotReady", "<none>", id="not-ready"),
    pytest.param(node({}, ready=None), "Unknown", "<none>", id="no-ready-condition"),
])
def test_node_status_and_roles(obj: dict, node_status: str, roles: str) -> None:
    """STATUS comes from the Ready condition and cordoning; ROLES from role labels."""
    row = cells("", "Node", obj)
    assert (row["Status"], row["Roles"]) == (node_status, roles)


def test_node_wide_cells() -> None:
    """-o wide shows addresses (<none> when missing) and the node's system info."""
    row = cells("", "Node", node({}))
    assert list(row.values())[3:] == ["42m", "v1.32.0", "192.168.49.2", "<none>",
                                      "Ubuntu 24.04", "6.8.0", "docker://27.3.1"]


def test_event_row_as_the_server_prints_it() -> None:
    """Event: LAST SEEN, TYPE, REASON, OBJECT kind/name, MESSAGE; wide adds the rest."""
    obj = {"metadata": {"name": "web.17f", "namespace": "default"},
           "involvedObject": {"kind": "Pod", "name": "web", "fieldPath": "spec.containers{app}"},
           "reason": "Pulled", "type": "Normal", "message": "Pulled image\n",
           "source": {"component": "kubelet", "host": "minikube"},
           "firstTimestamp": ago(minutes=8), "lastTimestamp": ago(seconds=20)}
    assert list(cells("", "Event", obj).values()) == [
        "20s", "Normal", "Pulled", "pod/web", "spec.containers{app}", "kubelet, minikube",
        "Pulled image", "8m", 1, "web.17f"]
    assert header("", "Event") == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]


def test_event_series_and_event_time() -> None:
    """A series gives LAST SEEN and COUNT; eventTime stands in for firstTimestamp."""
    obj = {"metadata": {"name": "e"}, "involvedObject": {"kind": "Node"},
           "eventTime": "2025-03-01T11:50:00.000000Z", "reportingController": "scheduler",
           "series": {"count": 4, "lastObservedTime": "2025-03-01T11:59:00.000000Z"}}
    row = cells("", "Event", obj)
    assert [row["Last Seen"], row["Object"], row["Source"], row["First Seen"], row["Count"]] == [
        "60s", "node", "scheduler", "10m", 4]


@pytest.mark.parametrize("group, kind, obj, expected", [
    pytest.param("", "Namespace", {"metadata": {"name": "dev"}, "status": {"phase": "Active"}},
                 ["dev", "Active"], id="namespace"),
    pytest.param("", "ConfigMap", {"metadata": {"name": "c"}, "data": {"a": "1"},
                                   "binaryData": {"b": "AA=="}}, ["c", 2], id="configmap"),
    pytest.param("", "Secret", {"metadata": {"name": "s"}, "type": "Opaque", "data": {"a": "MQ=="}},
                 ["s", "Opaque", 1], id="secret"),
    pytest.param("", "ServiceAccount", {"metadata": {"name": "default"}}, ["default", 0],
                 id="service-account"),
    pytest.param("coordination.k8s.io", "Lease",
                 {"metadata": {"name": "kube-scheduler"}, "spec": {"holderIdentity": "m_1"}},
                 ["kube-scheduler", "m_1"], id="lease"),
    pytest.param("rbac.authorization.k8s.io", "RoleBinding",
                 {"metadata": {"name": "rb"}, "roleRef": {"kind": "Role", "name": "reader"},
                  "subjects": [{"kind": "User", "name": "jane"},
                               {"kind": "ServiceAccount", "name": "ci", "namespace": "dev"}]},
                 ["rb", "Role/reader"], id="role-binding"),
    pytest.param("scheduling.k8s.io", "PriorityClass",
                 {"metadata": {"name": "high"}, "value": 1000, "globalDefault": False},
                 ["high", 1000, False], id="priority-class"),
    pytest.param("storage.k8s.io", "StorageClass",
                 {"metadata": {"name": "standard", "annotations": {
                     "storageclass.kubernetes.io/is-default-class": "true"}},
                  "provisioner": "k8s.io/minikube-hostpath"},
                 ["standard (default)", "k8s.io/minikube-hostpath", "Delete", "Immediate", False],
                 id="storage-class"),
])
def test_leading_cells_of_simple_kinds(group: str, kind: str, obj: dict,
                                       expected: list[Any]) -> None:
    """The first cells of the simpler kinds, with their integer and boolean types."""
    assert list(cells(group, kind, obj).values())[:len(expected)] == expected


def test_role_binding_wide_subjects() -> None:
    """-o wide splits subjects into users, groups and namespace/name service accounts."""
    obj = {"metadata": {"name": "rb"}, "roleRef": {"kind": "ClusterRole", "name": "view"},
           "subjects": [{"kind": "User", "name": "jane"}, {"kind": "User", "name": "joe"},
                        {"kind": "ServiceAccount", "name": "ci", "namespace": "dev"}]}
    row = cells("rbac.authorization.k8s.io", "ClusterRoleBinding", obj)
    assert [row["Users"], row["Groups"], row["ServiceAccounts"]] == ["jane, joe", "", "dev/ci"]


def test_resource_quota_splits_requests_and_limits() -> None:
    """REQUEST and LIMIT list used/hard by sorted resource name, AGE before them."""
    obj = {"metadata": {"name": "q", "creationTimestamp": ago(seconds=10)},
           "status": {"hard": {"limits.cpu": "2", "requests.cpu": "1", "pods": "10"},
                      "used": {"requests.cpu": "500m", "pods": "3"}}}
    assert list(cells("", "ResourceQuota", obj).values()) == [
        "q", "10s", "pods: 3/10, requests.cpu: 500m/1", "limits.cpu: 0/2"]
    assert header("", "ResourceQuota") == ["NAME", "AGE", "REQUEST", "LIMIT"]


def test_persistent_volume_and_claim() -> None:
    """PV and PVC show capacity, abbreviated access modes, claim, class and unset classes."""
    volume = {"metadata": {"name": "pv1"},
              "spec": {"capacity": {"storage": "1Gi"},
                       "accessModes": ["ReadWriteMany", "ReadWriteOnce"],
                       "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "standard",
                       "claimRef": {"namespace": "dev", "name": "data"}},
              "status": {"phase": "Bound"}}
    assert list(cells("", "PersistentVolume", volume).values())[:9] == [
        "pv1", "1Gi", "RWO,RWX", "Retain", "Bound", "dev/data", "standard", "<unset>", ""]
    claim = {"metadata": {"name": "data"},
             "spec": {"volumeName": "pv1", "storageClassName": "standard"},
             "status": {"phase": "Bound", "capacity": {"storage": "1Gi"},
                        "accessModes": ["ReadWriteOnce"]}}
    assert list(cells("", "PersistentVolumeClaim", claim).values())[:7] == [
        "data", "Bound", "pv1", "1Gi", "RWO", "standard", "<unset>"]


# ---------------------------------------------------------------------------------------------
# Selectors, ages, defaults, robustness.

@pytest.mark.parametrize("selector, expected", [
    pytest.param(None, "", id="missing"),
    pytest.param({}, "", id="empty"),
    pytest.param({"matchLabels": {"b": "2", "a": "1"}}, "a=1,b=2", id="labels-sorted"),
    pytest.param({"matchLabels": {"tier": "web"}, "matchExpressions": [
        {"key": "env", "operator": "NotIn", "values": ["qa", "dev"]},
        {"key": "legacy", "operator": "DoesNotExist"},
        {"key": "zone", "operator": "Exists"}]},
        "env notin (dev,qa),!legacy,tier=web,zone", id="expressions-ordered-by-key"),
])
def test_selector_string(selector: dict | None, expected: str) -> None:
    """LabelSelectors print like Kubernetes' selector.String(): requirements sorted by key."""
    assert selector_string(selector) == expected


def test_selector_string_rejects_unknown_operator() -> None:
    """An operator Kubernetes does not know is an error, not a guess."""
    with pytest.raises(ValueError):
        selector_string({"matchExpressions": [{"key": "a", "operator": "Near"}]})


def test_empty_selector_prints_none_where_kubernetes_does() -> None:
    """ReplicaSet and Job wide SELECTOR print <none> for an empty selector."""
    assert cells("apps", "ReplicaSet", {"metadata": {"name": "r"}})["Selector"] == "<none>"
    assert cells("batch", "Job", {"metadata": {"name": "j"}})["Selector"] == "<none>"


@pytest.mark.parametrize("created, expected", [
    pytest.param(ago(seconds=90), "90s", id="seconds"),
    pytest.param(ago(minutes=5), "5m", id="minutes"),
    pytest.param(ago(minutes=5, seconds=30), "5m30s", id="minutes-seconds"),
    pytest.param(ago(hours=3), "3h", id="hours"),
    pytest.param(ago(hours=5, minutes=20), "5h20m", id="hours-minutes"),
    pytest.param(ago(days=2, hours=3), "2d3h", id="days-hours"),
    pytest.param(ago(days=40), "40d", id="days"),
    pytest.param(None, "<unknown>", id="no-timestamp"),
])
def test_age_cell(created: str | None, expected: str) -> None:
    """AGE is kubectl's human duration since creationTimestamp."""
    obj = {"metadata": {"name": "x", "creationTimestamp": created}}
    assert cells("", "ConfigMap", obj)["Age"] == expected


def test_default_tables() -> None:
    """Built-in kinds without a printer get NAME/CREATED AT; custom resources NAME/AGE."""
    created = "2025-02-28T09:30:00Z"
    obj = {"metadata": {"name": "limits", "creationTimestamp": created}}
    assert printer_for("", "LimitRange") is BUILTIN_DEFAULT
    assert printer_for("rbac.authorization.k8s.io", "ClusterRole") is BUILTIN_DEFAULT
    assert header("", "LimitRange") == ["NAME", "CREATED AT"]
    assert cells("", "LimitRange", obj) == {"Name": "limits", "Created At": created}
    assert printer_for("example.com", "Widget") is CUSTOM_DEFAULT
    assert cells("example.com", "Widget", obj) == {"Name": "limits", "Age": "26h"}


EVERY_PRINTER = [*sorted(PRINTERS.items()), (("", "LimitRange"), BUILTIN_DEFAULT),
                 (("example.com", "Widget"), CUSTOM_DEFAULT)]


@pytest.mark.parametrize("key, printer", [
    pytest.param(key, printer, id=f"{key[0] or 'core'}-{key[1]}") for key, printer in EVERY_PRINTER
])
def test_every_printer_handles_a_minimal_object(key: tuple[str, str], printer: Printer) -> None:
    """A bare name and creationTimestamp give one cell per column, NAME set, no crash."""
    obj = {"metadata": {"name": "x", "creationTimestamp": ago(minutes=2)}}
    row = printer.row(obj, NOW)
    assert len(row) == len(printer.columns)
    name_columns = [i for i, c in enumerate(printer.columns) if c.format == "name"]
    assert len(name_columns) == 1 and row[name_columns[0]] == "x"
    assert all(c.type in {"string", "integer", "number", "boolean", "date"}
               for c in printer.columns)


def test_registry_covers_the_kinds_of_the_cluster() -> None:
    """Every kind the cluster serves with its own printer names it in its strategy."""
    expected = {
        ("", "Pod"), ("", "Service"), ("", "Endpoints"), ("", "Node"), ("", "Namespace"),
        ("", "Event"), ("", "ConfigMap"), ("", "Secret"), ("", "ServiceAccount"),
        ("", "ResourceQuota"), ("", "PersistentVolume"), ("", "PersistentVolumeClaim"),
        ("", "ReplicationController"), ("apps", "Deployment"), ("apps", "ReplicaSet"),
        ("apps", "StatefulSet"), ("apps", "DaemonSet"), ("apps", "ControllerRevision"),
        ("batch", "Job"), ("batch", "CronJob"), ("autoscaling", "HorizontalPodAutoscaler"),
        ("coordination.k8s.io", "Lease"), ("networking.k8s.io", "Ingress"),
        ("discovery.k8s.io", "EndpointSlice"), ("storage.k8s.io", "StorageClass"),
        ("scheduling.k8s.io", "PriorityClass"), ("rbac.authorization.k8s.io", "RoleBinding"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    }
    assert expected <= set(PRINTERS)
