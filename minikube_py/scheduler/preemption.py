"""DefaultPreemption, the post-filter plugin: when a pod fits nowhere, find the node where
evicting the fewest, least important pods would make it fit; nominate that node and delete
those pods gracefully (kube-scheduler's ``framework/preemption`` and
``plugins/defaultpreemption``).

1. The pod may preempt unless its ``preemptionPolicy`` is ``Never`` or it already nominated
   a node where a lower-priority pod is still terminating (it waits for that one).
2. Candidates are the nodes whose rejection could be undone by removing pods (status
   ``Unschedulable``; ``UnschedulableAndUnresolvable`` is "Preemption is not helpful").
3. On a copy of each candidate, every lower-priority pod is removed; if the pod still does
   not fit, the node is out. Then victims are reprieved one by one, most important first
   (those whose eviction would violate a PodDisruptionBudget before the others): a pod that
   can stay while the preemptor still fits, stays.
4. The node chosen has, in order: fewest PDB violations, the lowest highest-victim priority,
   the lowest sum of victim priorities, the fewest victims, then the first found.
5. Victims get a ``Preempted`` event and a graceful delete; the preemptor's
   ``status.nominatedNodeName`` is set by the scheduler from the result.

Limitation: plugins whose pre-filter counts pods across nodes (InterPodAffinity,
PodTopologySpread) are not re-run for a dry run's removals (kube-scheduler's PreFilter
``AddPod/RemovePod`` extensions), so preemption for affinity reasons is not attempted well.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from minikube_py.api.errors import NotFound, StatusError
from minikube_py.api.machinery.selectors import LabelSelector
from minikube_py.api.registry import REGISTRY
from minikube_py.client.events import NORMAL
from minikube_py.scheduler.framework import (
    Code,
    CycleState,
    Diagnosis,
    Handle,
    PostFilterResult,
    Status,
    reasons_histogram,
    unresolvable,
    unschedulable,
)
from minikube_py.scheduler.types import NodeInfo, PodInfo

log = logging.getLogger(__name__)

NAME = "DefaultPreemption"
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"
_PODS = REGISTRY.by_path("", "v1", "pods")


@dataclass
class Candidate:
    node: str
    victims: list[PodInfo]
    pdb_violations: int

    def rank(self) -> tuple[int, int, int, int]:
        priorities = [v.priority for v in self.victims]
        return (self.pdb_violations, max(priorities, default=0), sum(priorities),
                len(self.victims))


class DefaultPreemption:
    name = NAME

    def __init__(self, handle: Handle) -> None:
        self.handle = handle

    async def post_filter(self, state: CycleState, pod: PodInfo,
                          diagnosis: Diagnosis) -> tuple[PostFilterResult | None, Status]:
        ok, why = self.eligible(pod)
        if not ok:
            return None, unschedulable(why)
        nodes = self.handle.node_infos()
        candidates, statuses = self.find_candidates(state, pod, nodes, diagnosis)
        if not candidates:
            message = (f"preemption: 0/{len(nodes)} nodes are available: "
                       f"{', '.join(reasons_histogram(statuses))}.")
            return None, unschedulable(message)
        best = min(candidates, key=Candidate.rank)
        await self.prepare(pod, best)
        return PostFilterResult(nominated_node=best.node), Status(Code.SUCCESS)

    def eligible(self, pod: PodInfo) -> tuple[bool, str]:
        if pod.spec.get("preemptionPolicy") == "Never":
            return False, "not eligible due to preemptionPolicy=Never."
        nominated = str((pod.pod.get("status") or {}).get("nominatedNodeName") or "")
        node = self.handle.node_info(nominated) if nominated else None
        if node is not None and any(p.terminating and p.priority < pod.priority
                                    for p in node.pods.values()):
            return False, "not eligible due to a terminating pod on the nominated node."
        return True, ""

    def find_candidates(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo],
                        diagnosis: Diagnosis) -> tuple[list[Candidate], dict[str, Status]]:
        statuses: dict[str, Status] = {}
        candidates = []
        pdbs = self._pdbs()
        for node in nodes:
            status = diagnosis.statuses.get(node.name)
            if diagnosis.pre_filter_message or (
                    status is not None and status.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE):
                statuses[node.name] = unresolvable(NOT_HELPFUL)
                continue
            victims, violations, why = self.select_victims_on_node(state, pod, node, pdbs)
            if why is not None:
                statuses[node.name] = why
            else:
                candidates.append(Candidate(node.name, victims, violations))
        return candidates, statuses

    def select_victims_on_node(self, state: CycleState, pod: PodInfo, node: NodeInfo,
                               pdbs: list[tuple[LabelSelector, str, tuple[int]]],
                               ) -> tuple[list[PodInfo], int, Status | None]:
        framework = self.handle.framework()
        filters = framework.filters_for(state)
        lower = [p for p in node.pods.values() if p.priority < pod.priority]
        if not lower:
            return [], 0, unresolvable(NO_VICTIMS)
        trial = node.clone()
        for victim in lower:
            trial.remove_pod(victim.key)
        status = framework.run_filters(filters, state, pod, trial)
        if status is not None:
            return [], 0, status
        lower.sort(key=lambda p: (-p.priority, _start(p)))
        violating, fine = _split_by_pdb(lower, pdbs)
        victims: list[PodInfo] = []
        violations = 0
        for group, counts in ((violating, True), (fine, False)):
            for candidate in group:
                trial.add_pod(candidate)
                if framework.run_filters(filters, state, pod, trial) is not None:
                    trial.remove_pod(candidate.key)
                    victims.append(candidate)
                    violations += 1 if counts else 0
        if not victims:
            return [], 0, unresolvable(NO_VICTIMS)
        return victims, violations, None

    def _pdbs(self) -> list[tuple[LabelSelector, str, tuple[int]]]:
        """(selector, namespace, [disruptions allowed]) of each PodDisruptionBudget, when the
        cluster serves that kind."""
        lister = self.handle.lister("poddisruptionbudgets")
        if lister is None:
            return []
        out = []
        for pdb in lister.list():
            try:
                selector = LabelSelector.from_dict((pdb.get("spec") or {}).get("selector"))
            except StatusError:
                continue
            allowed = int((pdb.get("status") or {}).get("disruptionsAllowed") or 0)
            out.append((selector, str(pdb["metadata"].get("namespace") or ""), (allowed,)))
        return out

    async def prepare(self, pod: PodInfo, candidate: Candidate) -> None:
        """Evict the victims: a Preempted event each, then a graceful delete."""
        assert _PODS is not None
        for victim in candidate.victims:
            self.handle.events.event(
                victim.pod, NORMAL, "Preempted",
                f"Preempted by pod {pod.uid} on node {candidate.node}", resource_type=_PODS)
            try:
                await self.handle.client.delete(_PODS, victim.name, victim.namespace,
                                                preconditions={"uid": victim.uid})
            except NotFound:
                continue
            except StatusError as exc:
                log.warning("preempting %s for %s failed: %s", victim.key, pod.key, exc)


def _start(pod: PodInfo) -> str:
    status = pod.pod.get("status") or {}
    return str(status.get("startTime") or (pod.pod.get("metadata") or {}).get(
        "creationTimestamp") or "")


def _split_by_pdb(pods: list[PodInfo], pdbs: list[tuple[LabelSelector, str, tuple[int]]],
                  ) -> tuple[list[PodInfo], list[PodInfo]]:
    """Pods whose eviction would violate a budget, and the others (order kept). Each
    node's dry run starts from the budgets' own allowances."""
    if not pdbs:
        return [], list(pods)
    allowed = [budget[0] for _, _, budget in pdbs]
    violating: list[PodInfo] = []
    fine: list[PodInfo] = []
    for pod in pods:
        violates = False
        for i, (selector, namespace, _) in enumerate(pdbs):
            # An empty selector matches no pod here, as in Kubernetes' preemption.
            if namespace == pod.namespace and not selector.empty() and \
                    selector.matches(pod.labels):
                allowed[i] -= 1
                violates = violates or allowed[i] < 0
        (violating if violates else fine).append(pod)
    return violating, fine


def new(_args: Mapping[str, Any], handle: Handle) -> DefaultPreemption:
    return DefaultPreemption(handle)
