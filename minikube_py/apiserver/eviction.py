"""``pods/eviction``: a pod's deletion that honours the PodDisruptionBudget covering it (the
logic of Kubernetes' ``pkg/registry/core/pod/storage/eviction.go``; ``handlers.py`` decodes
the Eviction and calls :func:`evict`).

Order of the checks, as Kubernetes':

1. A pod that is terminal, Pending or already terminating is deleted with no budget consulted
   (a pod not terminal gets its resourceVersion as a delete precondition, so that it cannot
   become Ready in between); a conflict re-reads it, unless the caller gave a
   resourceVersion precondition of its own.
2. The budgets of the pod's namespace whose (non-empty) selector matches it: none → delete;
   more than one → a 500 Status ("more than one PodDisruptionBudget").
3. A pod that is not Ready is deleted without spending the budget when the budget says
   ``unhealthyPodEvictionPolicy: AlwaysAllow``, or when it is met already
   (``currentHealthy >= desiredHealthy > 0``); again with the resourceVersion precondition, a
   conflict answering 429 so the client retries.
4. Otherwise the budget is spent: a status the controller has not caught up with
   (``observedGeneration`` behind) or ``disruptionsAllowed == 0`` is 429 TooManyRequests
   with a ``DisruptionBudget`` cause; else ``disruptionsAllowed`` is decremented and the pod
   recorded in ``disruptedPods`` by a resourceVersion-checked status update (a conflict
   re-reads the budget and checks again), and only then is the pod deleted.

Every delete but a dry run's is preceded by the pod's ``DisruptionTarget`` condition
(``EvictionByEvictionAPI``), written through ``/status`` as Kubernetes does since 1.26.

Budget first, then the delete: a delete that fails after the budget was spent leaves the pod
in ``disruptedPods``, which the disruption controller drops after two minutes, giving the
budget back; the reverse order could delete a pod no budget allowed. A dry run checks and
"spends" without writing the budget, and deletes with ``dryRun``.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import datetime as dt
from typing import Any

from minikube_py.api import disruptionbudgets as budgets
from minikube_py.api.errors import Cause, Conflict, Forbidden, Timeout, TooManyRequests
from minikube_py.api.registry import REGISTRY, ResourceType
from minikube_py.apiserver.options import DeleteOptions, WriteOptions
from minikube_py.apiserver.rest import RestStorage
from minikube_py.util.clock import rfc3339

Object = dict[str, Any]

PDBS = REGISTRY.require("policy", "v1", "poddisruptionbudgets")
MANAGER = "kube-apiserver"
#: Kubernetes' ``EvictionsRetry`` takes 20 steps (of 500 ms against etcd); our store is
#: local, so the steps are short.
RETRY_STEPS = 20
RETRY_DELAY = 0.01
TOO_MANY_PDBS = ("This pod has more than one PodDisruptionBudget, which the eviction "
                 "subresource does not support.")
VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget."

DISRUPTION_TARGET = "DisruptionTarget"
_WRITE = WriteOptions(dry_run=False, field_validation="Ignore", field_manager=MANAGER, force=None)

SUCCESS: Object = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                   "code": 201}


def _phase(pod: Object) -> str:
    return str((pod.get("status") or {}).get("phase") or "")


def can_ignore_pdb(pod: Object) -> bool:
    """Terminal, Pending or terminating pods are deleted without a budget (``canIgnorePDB``)."""
    return (_phase(pod) in ("Succeeded", "Failed", "Pending")
            or bool(pod["metadata"].get("deletionTimestamp")))


def _should_enforce_resource_version(pod: Object) -> bool:
    return (_phase(pod) not in ("Succeeded", "Failed")
            and not pod["metadata"].get("deletionTimestamp"))


def _with_rv(options: DeleteOptions, pod: Object) -> DeleteOptions:
    return dataclasses.replace(options, precondition_rv=str(pod["metadata"]["resourceVersion"]))


def _still_processing(name: str) -> TooManyRequests:
    return TooManyRequests(VIOLATION, retry_after=10, causes=[Cause(
        "", f"The disruption budget {name} is still being processed by the server.",
        "DisruptionBudget")])


def pod_budgets(rest: RestStorage, pod: Object) -> list[Object]:
    """The budgets covering ``pod`` (``getPodDisruptionBudgets``: an empty selector here
    matches nothing, as Kubernetes' eviction handler has it)."""
    namespace = pod["metadata"].get("namespace") or ""
    found = []
    for pdb in rest.find_all(PDBS, namespace):
        selector = budgets.selector_of(pdb)
        if selector.empty() or not selector.matches(pod["metadata"].get("labels") or {}):
            continue
        found.append(pdb)
    return found


async def evict(rest: RestStorage, pods: ResourceType, namespace: str, name: str,
                options: DeleteOptions) -> tuple[int, Object]:
    """Evict the pod; returns the (code, Status) to answer, or raises the refusal."""
    retry = options.precondition_rv is None
    pod: Object = {}
    for step in range(RETRY_STEPS):
        pod = rest.get(pods, namespace, name)
        if not can_ignore_pdb(pod):
            break
        delete_options = options
        if _should_enforce_resource_version(pod) and options.precondition_rv is None:
            delete_options = _with_rv(options, pod)
        try:
            await add_condition_and_delete(rest, pods, namespace, name, delete_options)
        except Conflict:
            if not retry or step == RETRY_STEPS - 1:
                raise
            await asyncio.sleep(RETRY_DELAY)
            continue
        return 201, SUCCESS
    matching = pod_budgets(rest, pod)
    if len(matching) > 1:
        return 500, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                     "status": "Failure", "message": TOO_MANY_PDBS, "code": 500}
    precondition = False
    if matching:
        pdb = matching[0]
        if not budgets.is_pod_ready(pod) and _unhealthy_evictable(pdb):
            precondition = True
        else:
            await _spend(rest, pod, pdb, dry_run=options.dry_run)
    delete_options = _with_rv(options, pod) if precondition else options
    try:
        await add_condition_and_delete(rest, pods, namespace, name, delete_options)
    except Conflict:
        if precondition and options.precondition_rv is None:
            raise _still_processing(matching[0]["metadata"]["name"]) from None
        raise
    return 201, SUCCESS


async def add_condition_and_delete(rest: RestStorage, pods: ResourceType, namespace: str,
                                   name: str, options: DeleteOptions) -> None:
    """``addConditionAndDeletePod``: the pod's ``DisruptionTarget`` condition (reason
    ``EvictionByEvictionAPI``) through ``/status``, checked against the delete's
    preconditions, then the delete (its resourceVersion precondition moved to the pod the
    condition write made). A dry run only deletes, with ``dryRun``."""
    if not options.dry_run:
        for step in range(RETRY_STEPS):
            latest = rest.get(pods, namespace, name)
            meta = latest["metadata"]
            if options.precondition_uid and options.precondition_uid != meta.get("uid"):
                raise Conflict.of("", "pods", name, "Precondition failed: UID in precondition: "
                                  f"{options.precondition_uid}, UID in object meta: "
                                  f"{meta.get('uid')}")
            if options.precondition_rv and options.precondition_rv != meta["resourceVersion"]:
                raise Conflict.of("", "pods", name, "Precondition failed: ResourceVersion in "
                                  f"precondition: {options.precondition_rv}, ResourceVersion "
                                  f"in object meta: {meta['resourceVersion']}")
            _set_disruption_target(latest)
            try:
                written = await rest.update(pods, namespace, name, latest, subresource="status",
                                            manager=MANAGER, opts=_WRITE)
            except Conflict:  # changed since the read: read again (only without a precondition)
                if options.precondition_rv or step == RETRY_STEPS - 1:
                    raise
                await asyncio.sleep(RETRY_DELAY)
                continue
            if options.precondition_rv:
                options = _with_rv(options, written.obj)
            break
    await rest.delete(pods, namespace, name, options)


def _set_disruption_target(pod: Object) -> None:
    """``podutil.UpdatePodCondition`` of ``DisruptionTarget``: the transition time changes
    only when the status does."""
    status = pod.setdefault("status", {})
    conditions = [c for c in status.get("conditions") or [] if isinstance(c, dict)]
    current = next((c for c in conditions if c.get("type") == DISRUPTION_TARGET), None)
    wanted = {"type": DISRUPTION_TARGET, "status": "True", "lastProbeTime": None,
              "lastTransitionTime": rfc3339(), "reason": "EvictionByEvictionAPI",
              "message": "Eviction API: evicting"}
    if current is None:
        conditions.append(wanted)
    else:
        if current.get("status") == "True":
            wanted["lastTransitionTime"] = current.get("lastTransitionTime") or rfc3339()
        current.clear()
        current.update(wanted)
    status["conditions"] = conditions


def _unhealthy_evictable(pdb: Object) -> bool:
    spec, status = pdb.get("spec") or {}, pdb.get("status") or {}
    if spec.get("unhealthyPodEvictionPolicy") == budgets.ALWAYS_ALLOW:
        return True
    desired = int(status.get("desiredHealthy") or 0)
    return int(status.get("currentHealthy") or 0) >= desired > 0


async def _spend(rest: RestStorage, pod: Object, pdb: Object, *, dry_run: bool) -> None:
    """Verify and decrement the budget (``checkAndDecrement``), re-reading it on conflict."""
    namespace, name = pdb["metadata"]["namespace"], pdb["metadata"]["name"]
    for step in range(RETRY_STEPS):
        if step:
            pdb = rest.get(PDBS, namespace, name)
        updated = _decremented(pdb, pod["metadata"]["name"])
        if dry_run:
            return
        try:
            await rest.update(PDBS, namespace, name, updated, subresource="status",
                              manager=MANAGER, opts=_WRITE)
            return
        except Conflict:
            await asyncio.sleep(RETRY_DELAY)
    raise Timeout(f'couldn\'t update PodDisruptionBudget "{name}" due to conflicts',
                  retry_after=10)


def _decremented(pdb: Object, pod_name: str) -> Object:
    """The budget with one disruption spent on ``pod_name``, or the refusal."""
    meta, status = pdb["metadata"], pdb.get("status") or {}
    name = meta["name"]
    if int(status.get("observedGeneration") or 0) < int(meta.get("generation") or 0):
        raise _still_processing(name)
    allowed = int(status.get("disruptionsAllowed") or 0)
    if allowed < 0:
        raise Forbidden(f'poddisruptionbudget.policy "{name}" is forbidden: pdb disruptions '
                        "allowed is negative", name=name, group="policy",
                        kind="poddisruptionbudget")
    if len(status.get("disruptedPods") or {}) > budgets.MAX_DISRUPTED_POD_SIZE:
        raise Forbidden(f'poddisruptionbudget.policy "{name}" is forbidden: DisruptedPods map '
                        "too big - too many evictions not confirmed by PDB controller",
                        name=name, group="policy", kind="poddisruptionbudget")
    if allowed == 0:
        raise TooManyRequests(VIOLATION, causes=[Cause(
            "", f"The disruption budget {name} needs {int(status.get('desiredHealthy') or 0)} "
            f"healthy pods and has {int(status.get('currentHealthy') or 0)} currently",
            "DisruptionBudget")])
    updated = copy.deepcopy(pdb)
    new_status = updated.setdefault("status", {})
    new_status["disruptionsAllowed"] = allowed - 1
    if allowed - 1 == 0:
        budgets.update_disruption_allowed_condition(new_status)
    disrupted = new_status.setdefault("disruptedPods", {})
    disrupted[pod_name] = rfc3339(dt.datetime.now(dt.UTC))
    return updated
