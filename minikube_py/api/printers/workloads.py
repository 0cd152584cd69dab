"""Table printers of the workload kinds: Pod, ReplicationController, apps, batch, autoscaling.

Built on the columns and cell helpers of ``printers/base.py``; each kind's strategy names its
printer here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from minikube_py.api.printers.base import (
    AGE,
    CONTAINERS,
    IMAGES,
    Column,
    Obj,
    age_of,
    condition_true,
    container_cells,
    format_labels,
    format_selector,
    meta,
    name_of,
    selector_string,
    simple,
    since,
    spec,
    status,
    template_spec,
    wide,
)
from minikube_py.util.clock import human_duration, parse_rfc3339


def _int(value: Any) -> int:
    return int(value or 0)


# ---------------------------------------------------------------------------------------------
# Pod.

def _is_sidecar(container: Mapping[str, Any] | None) -> bool:
    """A restartable init container (``restartPolicy: Always``)."""
    return container is not None and container.get("restartPolicy") == "Always"


@dataclass
class _Restarts:
    """Restart count and the latest ``lastState.terminated.finishedAt`` of some containers."""

    count: int = 0
    last: str | None = None

    def add(self, container_status: Mapping[str, Any]) -> None:
        self.count += int(container_status.get("restartCount") or 0)
        last_state = container_status.get("lastState") or {}
        finished = (last_state.get("terminated") or {}).get("finishedAt")
        if finished and (self.last is None or parse_rfc3339(self.last) < parse_rfc3339(finished)):
            self.last = finished

    def cell(self, now: dt.datetime) -> str:
        if self.count and self.last:
            return f"{self.count} ({since(self.last, now)} ago)"
        return str(self.count)


def _terminated_reason(terminated: Mapping[str, Any]) -> str:
    if terminated.get("reason"):
        return str(terminated["reason"])
    if terminated.get("signal"):
        return f"Signal:{terminated['signal']}"
    return f"ExitCode:{terminated.get('exitCode') or 0}"


@dataclass
class _PodTally:
    """What the STATUS, READY and RESTARTS cells are computed from, container by container."""

    reason: str
    ready: int = 0
    all_restarts: _Restarts = field(default_factory=_Restarts)
    sidecar_restarts: _Restarts = field(default_factory=_Restarts)
    initializing: bool = False

    def scan_init_containers(self, pod: Obj) -> None:
        """Stop at the first init container that is neither done nor a started sidecar."""
        init_containers = spec(pod).get("initContainers") or []
        init_specs = {c.get("name"): c for c in init_containers}
        statuses = status(pod).get("initContainerStatuses") or []
        for index, container in enumerate(statuses):
            sidecar = _is_sidecar(init_specs.get(container.get("name")))
            self.all_restarts.add(container)
            if sidecar:
                self.sidecar_restarts.add(container)
            state = container.get("state") or {}
            terminated, waiting = state.get("terminated"), state.get("waiting") or {}
            if terminated is not None and not terminated.get("exitCode"):
                continue
            if sidecar and container.get("started"):
                self.ready += 1 if container.get("ready") else 0
                continue
            if terminated is not None:
                self.reason = "Init:" + _terminated_reason(terminated)
            elif waiting.get("reason") and waiting["reason"] != "PodInitializing":
                self.reason = "Init:" + waiting["reason"]
            else:
                self.reason = f"Init:{index}/{len(init_containers)}"
            self.initializing = True
            return

    def scan_containers(self, pod: Obj) -> _Restarts:
        """Scan app containers last to first; the first one's reason wins."""
        restarts = _Restarts(self.sidecar_restarts.count, self.sidecar_restarts.last)
        has_running = False
        for container in reversed(status(pod).get("containerStatuses") or []):
            restarts.add(container)
            state = container.get("state") or {}
            waiting, terminated = state.get("waiting") or {}, state.get("terminated")
            if waiting.get("reason"):
                self.reason = waiting["reason"]
            elif terminated is not None:
                self.reason = _terminated_reason(terminated)
            elif container.get("ready") and state.get("running") is not None:
                has_running = True
                self.ready += 1
        # A Completed container next to a running one: the pod is still running.
        if self.reason == "Completed" and has_running:
            ready = condition_true(status(pod).get("conditions"), "Ready")
            self.reason = "Running" if ready else "NotReady"
        return restarts


def pod_status_cells(pod: Obj, now: dt.datetime) -> tuple[str, str, str]:
    """The READY, STATUS and RESTARTS cells of a pod, computed as kubectl does."""
    pod_status = status(pod)
    phase = pod_status.get("phase") or ""
    tally = _PodTally(reason=pod_status.get("reason") or phase)
    for condition in pod_status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("reason") == "SchedulingGated":
            tally.reason = "SchedulingGated"
    tally.scan_init_containers(pod)
    restarts = tally.all_restarts
    if not tally.initializing or condition_true(pod_status.get("conditions"), "Initialized"):
        restarts = tally.scan_containers(pod)
    if meta(pod).get("deletionTimestamp"):
        if pod_status.get("reason") == "NodeLost":
            tally.reason = "Unknown"
        elif phase not in ("Succeeded", "Failed"):
            tally.reason = "Terminating"
    pod_spec = spec(pod)
    total = len(pod_spec.get("containers") or []) + sum(
        1 for c in pod_spec.get("initContainers") or [] if _is_sidecar(c))
    return f"{tally.ready}/{total}", tally.reason, restarts.cell(now)


def _readiness_gates(pod: Obj) -> str:
    gates = spec(pod).get("readinessGates") or []
    if not gates:
        return "<none>"
    conditions = status(pod).get("conditions") or []
    passed = sum(1 for gate in gates
                 if condition_true(conditions, gate.get("conditionType", "")))
    return f"{passed}/{len(gates)}"


def _pod_row(pod: Obj, now: dt.datetime) -> list[Any]:
    ready, reason, restarts = pod_status_cells(pod, now)
    pod_status = status(pod)
    pod_ips = pod_status.get("podIPs") or []
    ip = (pod_ips[0].get("ip") if pod_ips else pod_status.get("podIP")) or "<none>"
    return [name_of(pod), ready, reason, restarts, age_of(pod, now), ip,
            spec(pod).get("nodeName") or "<none>",
            pod_status.get("nominatedNodeName") or "<none>", _readiness_gates(pod)]


POD = simple((
    Column("Ready", description="The aggregate readiness state of this pod for accepting traffic."),
    Column("Status", description="The aggregate status of the containers in this pod."),
    Column("Restarts", description="The number of times the containers in this pod have been "
           "restarted and when the last container in this pod has restarted."),
    AGE,
    wide("IP", "IP address allocated to the pod."),
    wide("Node", "The node the pod is bound to."),
    wide("Nominated Node", "The node the scheduler nominated for this pod when preempting."),
    wide("Readiness Gates", "Readiness gates that hold and pass for this pod."),
), _pod_row)


# ---------------------------------------------------------------------------------------------
# apps: Deployment, ReplicaSet, StatefulSet, DaemonSet, ControllerRevision.

def _deployment_row(deployment: Obj, now: dt.datetime) -> list[Any]:
    deployment_status = status(deployment)
    try:
        selector = selector_string(spec(deployment).get("selector"))
    except ValueError:
        selector = "<invalid>"
    ready = (f"{_int(deployment_status.get('readyReplicas'))}/"
             f"{_int(spec(deployment).get('replicas'))}")
    return [name_of(deployment), ready, _int(deployment_status.get("updatedReplicas")),
            _int(deployment_status.get("availableReplicas")), age_of(deployment, now),
            *container_cells(template_spec(deployment)), selector]


DEPLOYMENT = simple((
    Column("Ready", description="Number of the pod with ready state"),
    Column("Up-to-date", description="Total number of non-terminated pods targeted by this "
           "deployment that have the desired template spec."),
    Column("Available", description="Total number of available pods (ready for at least "
           "minReadySeconds) targeted by this deployment."),
    AGE, CONTAINERS, IMAGES,
    wide("Selector", "Label selector for pods."),
), _deployment_row)


def _replica_set_row(replica_set: Obj, now: dt.datetime) -> list[Any]:
    replica_set_status = status(replica_set)
    return [name_of(replica_set), _int(spec(replica_set).get("replicas")),
            _int(replica_set_status.get("replicas")),
            _int(replica_set_status.get("readyReplicas")), age_of(replica_set, now),
            *container_cells(template_spec(replica_set)),
            format_selector(spec(replica_set).get("selector"))]


_REPLICA_COLUMNS = (
    Column("Desired", type="integer", description="Number of desired pods."),
    Column("Current", type="integer", description="Number of most recently observed pods."),
    Column("Ready", type="integer", description="Number of pods with a Ready condition."),
    AGE, CONTAINERS, IMAGES,
    wide("Selector", "Label selector for pods."),
)

REPLICA_SET = simple(_REPLICA_COLUMNS, _replica_set_row)


def _replication_controller_row(controller: Obj, now: dt.datetime) -> list[Any]:
    controller_status = status(controller)
    return [name_of(controller), _int(spec(controller).get("replicas")),
            _int(controller_status.get("replicas")),
            _int(controller_status.get("readyReplicas")), age_of(controller, now),
            *container_cells(template_spec(controller)),
            format_labels(spec(controller).get("selector"))]


REPLICATION_CONTROLLER = simple(_REPLICA_COLUMNS, _replication_controller_row)


def _stateful_set_row(stateful_set: Obj, now: dt.datetime) -> list[Any]:
    ready = _int(status(stateful_set).get("readyReplicas"))
    return [name_of(stateful_set), f"{ready}/{_int(spec(stateful_set).get('replicas'))}",
            age_of(stateful_set, now), *container_cells(template_spec(stateful_set))]


STATEFUL_SET = simple((
    Column("Ready", description="Number of the pod with ready state"),
    AGE, CONTAINERS, IMAGES,
), _stateful_set_row)


def _daemon_set_row(daemon_set: Obj, now: dt.datetime) -> list[Any]:
    daemon_status = status(daemon_set)
    counts = [_int(daemon_status.get(field)) for field in (
        "desiredNumberScheduled", "currentNumberScheduled", "numberReady",
        "updatedNumberScheduled", "numberAvailable")]
    pod_spec = template_spec(daemon_set)
    return [name_of(daemon_set), *counts, format_labels(pod_spec.get("nodeSelector")),
            age_of(daemon_set, now), *container_cells(pod_spec),
            format_selector(spec(daemon_set).get("selector"))]


DAEMON_SET = simple((
    Column("Desired", type="integer", description="The number of nodes that should be running "
           "the daemon pod."),
    Column("Current", type="integer", description="The number of nodes running at least one "
           "daemon pod that are supposed to."),
    Column("Ready", type="integer", description="The number of nodes with a ready daemon pod."),
    Column("Up-to-date", type="integer", description="The number of nodes running the updated "
           "daemon pod."),
    Column("Available", type="integer", description="The number of nodes with an available "
           "daemon pod."),
    Column("Node Selector", description="The node selector of the daemon pods."),
    AGE, CONTAINERS, IMAGES,
    wide("Selector", "Label selector for pods."),
), _daemon_set_row)


def controller_name(obj: Obj) -> str:
    """``daemonset.apps/fluentd`` for the controlling owner of an object, ``<none>`` if none."""
    for owner in meta(obj).get("ownerReferences") or []:
        if not owner.get("controller"):
            continue
        api_version, kind = owner.get("apiVersion") or "", owner.get("kind") or ""
        group = api_version.rpartition("/")[0]
        group_kind = (f"{kind}.{group}" if group else kind).lower()
        name = owner.get("name", "")
        return f"{group_kind}/{name}" if group_kind else name
    return "<none>"


CONTROLLER_REVISION = simple((
    Column("Controller", description="Controller of the object"),
    Column("Revision", description="Revision indicates the revision of the state represented "
           "by Data."),
    AGE,
), lambda obj, now: [name_of(obj), controller_name(obj), _int(obj.get("revision")),
                     age_of(obj, now)])


# ---------------------------------------------------------------------------------------------
# batch: Job, CronJob.

def job_completions(job: Obj) -> str:
    """``1/3``, or ``0/1 of 4`` for a work-queue job with parallelism."""
    succeeded = _int(status(job).get("succeeded"))
    completions = spec(job).get("completions")
    if completions is not None:
        return f"{succeeded}/{completions}"
    parallelism = _int(spec(job).get("parallelism"))
    return f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"


def _job_duration(job: Obj, now: dt.datetime) -> str:
    started, completed = status(job).get("startTime"), status(job).get("completionTime")
    if not started:
        return ""
    if not completed:
        return since(started, now)
    seconds = int((parse_rfc3339(completed) - parse_rfc3339(started)).total_seconds())
    return human_duration(max(seconds, 0))


def job_status(job: Obj) -> str:
    """The STATUS cell: the first of these conditions that holds, else Running."""
    conditions = status(job).get("conditions")
    if condition_true(conditions, "Complete"):
        return "Complete"
    if condition_true(conditions, "Failed"):
        return "Failed"
    if meta(job).get("deletionTimestamp"):
        return "Terminating"
    for condition in ("Suspended", "FailureTarget", "SuccessCriteriaMet"):
        if condition_true(conditions, condition):
            return condition
    return "Running"


def _job_row(job: Obj, now: dt.datetime) -> list[Any]:
    return [name_of(job), job_status(job), job_completions(job), _job_duration(job, now),
            age_of(job, now), *container_cells(template_spec(job)),
            format_selector(spec(job).get("selector"))]


JOB = simple((
    Column("Status", description="Status of the job."),
    Column("Completions", description="The number of pods which reached phase Succeeded."),
    Column("Duration", description="Time required to complete the job."),
    AGE, CONTAINERS, IMAGES,
    wide("Selector", "Label selector for pods."),
), _job_row)


def _bool_pointer(value: bool | None) -> str:
    return "<unset>" if value is None else ("True" if value else "False")


def _cron_job_row(cron_job: Obj, now: dt.datetime) -> list[Any]:
    cron_spec, cron_status = spec(cron_job), status(cron_job)
    job_spec = (cron_spec.get("jobTemplate") or {}).get("spec") or {}
    last_schedule = cron_status.get("lastScheduleTime")
    return [name_of(cron_job), cron_spec.get("schedule") or "",
            cron_spec.get("timeZone") or "<none>", _bool_pointer(cron_spec.get("suspend")),
            len(cron_status.get("active") or []),
            since(last_schedule, now) if last_schedule else "<none>", age_of(cron_job, now),
            *container_cells((job_spec.get("template") or {}).get("spec")),
            format_selector(job_spec.get("selector"))]


CRON_JOB = simple((
    Column("Schedule", description="The schedule in Cron format."),
    Column("Timezone", description="The time zone name for the given schedule."),
    Column("Suspend", type="boolean", description="Whether subsequent executions are suspended."),
    Column("Active", type="integer", description="The number of currently running jobs."),
    Column("Last Schedule", description="When the job was last successfully scheduled."),
    AGE, CONTAINERS, IMAGES,
    wide("Selector", "Label selector for pods."),
), _cron_job_row)


# ---------------------------------------------------------------------------------------------
# autoscaling: HorizontalPodAutoscaler.

def _hpa_metrics(hpa: Obj) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """Metric specs and statuses in autoscaling/v2 form (v1 objects are converted)."""
    hpa_spec, hpa_status = spec(hpa), status(hpa)
    if "metrics" in hpa_spec or "targetCPUUtilizationPercentage" not in hpa_spec:
        return list(hpa_spec.get("metrics") or []), list(hpa_status.get("currentMetrics") or [])
    target = {"type": "Utilization",
              "averageUtilization": hpa_spec["targetCPUUtilizationPercentage"]}
    specs = [{"type": "Resource", "resource": {"name": "cpu", "target": target}}]
    current = hpa_status.get("currentCPUUtilizationPercentage")
    statuses = [] if current is None else [{
        "type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": current}},
    }]
    return specs, statuses  # type: ignore[return-value]


def _metric_text(metric: Mapping[str, Any], current: Mapping[str, Any] | None) -> str:
    """One TARGETS entry: ``cpu: 12%/80%``, ``<unknown>/10`` or ``5/10 (avg)``."""
    kind = metric.get("type") or ""
    field = {"Resource": "resource", "ContainerResource": "containerResource", "Pods": "pods",
             "Object": "object", "External": "external"}.get(kind)
    if field is None:
        return "<unknown type>"
    source = metric.get(field) or {}
    target = source.get("target") or {}
    now_value = ((current or {}).get(field) or {}).get("current") if current else None
    if kind in ("Resource", "ContainerResource"):
        prefix = f"{source.get('name', '')}: "
        if target.get("averageValue") is not None:
            return f"{prefix}{_value(now_value, 'averageValue')}/{target['averageValue']}"
        utilization = target.get("averageUtilization")
        target_text = f"{utilization}%" if utilization is not None else "<auto>"
        current_text = "<unknown>"
        if now_value and now_value.get("averageUtilization") is not None:
            current_text = f"{now_value['averageUtilization']}%"
        return f"{prefix}{current_text}/{target_text}"
    if kind == "Pods":
        return f"{_value(now_value, 'averageValue')}/{target.get('averageValue', '')}"
    if target.get("averageValue") is not None:
        return f"{_value(now_value, 'averageValue')}/{target['averageValue']} (avg)"
    return f"{_value(now_value, 'value')}/{target.get('value', '')}"


def _value(current: Mapping[str, Any] | None, key: str) -> str:
    if current and current.get(key) is not None:
        return str(current[key])
    return "<unknown>"


def hpa_targets(hpa: Obj) -> str:
    """The TARGETS cell: at most two metrics, then ``+ N more...``."""
    specs, statuses = _hpa_metrics(hpa)
    if not specs:
        return "<none>"
    texts = [_metric_text(metric, statuses[i] if i < len(statuses) else None)
             for i, metric in enumerate(specs)]
    if len(texts) > 2:
        return f"{', '.join(texts[:2])} + {len(texts) - 2} more..."
    return ", ".join(texts)


def _hpa_row(hpa: Obj, now: dt.datetime) -> list[Any]:
    hpa_spec = spec(hpa)
    target = hpa_spec.get("scaleTargetRef") or {}
    min_replicas = hpa_spec.get("minReplicas")
    return [name_of(hpa), f"{target.get('kind', '')}/{target.get('name', '')}", hpa_targets(hpa),
            "<unset>" if min_replicas is None else str(min_replicas),
            _int(hpa_spec.get("maxReplicas")), _int(status(hpa).get("currentReplicas")),
            age_of(hpa, now)]


HORIZONTAL_POD_AUTOSCALER = simple((
    Column("Reference", description="The target resource being scaled."),
    Column("Targets", description="The metrics and their current and desired values."),
    Column("MinPods", description="The lower limit for the number of replicas."),
    Column("MaxPods", description="The upper limit for the number of replicas."),
    Column("Replicas", description="Current number of replicas of pods managed by this "
           "autoscaler."),
    AGE,
), _hpa_row)
