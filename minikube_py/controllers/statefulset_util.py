"""The pure parts of the StatefulSet controller (Kubernetes' ``pkg/controller/statefulset/
stateful_set_utils.go``): ordinals and stable pod names, the pod and claims a set makes for
an ordinal, whether a live pod still has its identity and storage, pod health, the
ControllerRevisions of a set's template, and the status counts.

Only ``statefulset.py`` calls these; nothing here talks to the API.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from minikube_py.controllers.controller_utils import is_pod_available, is_pod_ready, set_counts
from minikube_py.controllers.deployment_util import SAFE_ALPHANUMS

Object = dict[str, Any]

POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
REVISION_LABEL = "controller-revision-hash"  # apps.StatefulSetRevisionLabel
HASH_LABEL = "controller.kubernetes.io/hash"  # history.ControllerRevisionHashLabel
ROLLING_UPDATE, ON_DELETE = "RollingUpdate", "OnDelete"
PARALLEL = "Parallel"
RETAIN, DELETE = "Retain", "Delete"

_MEMBER = re.compile(r"^(.*)-([0-9]+)$")


# --- the set's spec -------------------------------------------------------------------------


def spec(obj: Object | None) -> Object:
    value = (obj or {}).get("spec")
    return value if isinstance(value, dict) else {}


def replicas(sts: Object) -> int:
    value = spec(sts).get("replicas")
    return 1 if value is None else int(value)


def start_ordinal(sts: Object) -> int:
    """``spec.ordinals.start`` (0 when unset)."""
    return int((spec(sts).get("ordinals") or {}).get("start") or 0)


def monotonic(sts: Object) -> bool:
    """OrderedReady (the default): one pod at a time, each after its predecessors are ready."""
    return spec(sts).get("podManagementPolicy") != PARALLEL


def strategy_type(sts: Object) -> str:
    return str((spec(sts).get("updateStrategy") or {}).get("type") or ROLLING_UPDATE)


def partition(sts: Object) -> int:
    rolling = (spec(sts).get("updateStrategy") or {}).get("rollingUpdate") or {}
    return int(rolling.get("partition") or 0)


def min_ready_seconds(sts: Object) -> int:
    return int(spec(sts).get("minReadySeconds") or 0)


def retention(sts: Object) -> tuple[str, str]:
    """(whenDeleted, whenScaled) of ``persistentVolumeClaimRetentionPolicy``."""
    policy = spec(sts).get("persistentVolumeClaimRetentionPolicy") or {}
    return (str(policy.get("whenDeleted") or RETAIN), str(policy.get("whenScaled") or RETAIN))


# --- ordinals and names ---------------------------------------------------------------------


def parent_and_ordinal(pod: Object) -> tuple[str, int]:
    """(parent name, ordinal) from ``<parent>-<ordinal>``; ("", -1) for other names."""
    match = _MEMBER.match(str(pod["metadata"].get("name") or ""))
    return (match.group(1), int(match.group(2))) if match else ("", -1)


def ordinal_of(pod: Object) -> int:
    return parent_and_ordinal(pod)[1]


def is_member_of(sts: Object, pod: Object) -> bool:
    return bool(parent_and_ordinal(pod)[0] == sts["metadata"]["name"])


def pod_name(sts: Object, ordinal: int) -> str:
    return f"{sts['metadata']['name']}-{ordinal}"


def claim_name(template_name: str, pod: str) -> str:
    return f"{template_name}-{pod}"


def claim_templates(sts: Object) -> list[Object]:
    return [t for t in spec(sts).get("volumeClaimTemplates") or [] if isinstance(t, dict)]


def claims_of(sts: Object, pod: str) -> dict[str, Object]:
    """The PVCs a pod of the set uses, by the volume name that mounts them
    (``getPersistentVolumeClaims``): the template's spec, labels of the set's selector."""
    labels = dict((spec(sts).get("selector") or {}).get("matchLabels") or {})
    out: dict[str, Object] = {}
    for template in claim_templates(sts):
        tmeta = template.get("metadata") or {}
        name = str(tmeta.get("name") or "")
        meta: Object = {"name": claim_name(name, pod),
                        "namespace": sts["metadata"].get("namespace"),
                        "labels": {**(tmeta.get("labels") or {}), **labels}}
        if tmeta.get("annotations"):
            meta["annotations"] = copy.deepcopy(tmeta["annotations"])
        out[name] = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta,
                     "spec": copy.deepcopy(template.get("spec") or {})}
    return out


# --- pods -----------------------------------------------------------------------------------


def _set_identity(sts: Object, pod: Object) -> None:
    """Name, labels, hostname and subdomain (``updateIdentity``)."""
    name = pod["metadata"]["name"]
    labels = pod["metadata"].setdefault("labels", {})
    labels[POD_NAME_LABEL] = name
    labels[POD_INDEX_LABEL] = str(ordinal_of(pod))
    pod_spec = pod.setdefault("spec", {})
    pod_spec["hostname"] = name
    service = spec(sts).get("serviceName")
    if service:
        pod_spec["subdomain"] = service
    else:
        pod_spec.pop("subdomain", None)


def _set_storage(sts: Object, pod: Object) -> None:
    """Point the volumes named after claim templates at the pod's claims (``updateStorage``)."""
    claims = claims_of(sts, pod["metadata"]["name"])
    if not claims:
        return
    pod_spec = pod.setdefault("spec", {})
    volumes = [v for v in pod_spec.get("volumes") or [] if v.get("name") not in claims]
    for volume, claim in claims.items():
        volumes.append({"name": volume, "persistentVolumeClaim": {
            "claimName": claim["metadata"]["name"]}})
    pod_spec["volumes"] = volumes


def new_pod(sts: Object, ordinal: int, revision: str, ref: Object) -> Object:
    """The pod of ``ordinal`` from the set's template (``newStatefulSetPod``)."""
    template = spec(sts).get("template") or {}
    tmeta = template.get("metadata") or {}
    meta: Object = {"name": pod_name(sts, ordinal), "namespace": sts["metadata"].get("namespace"),
                    "ownerReferences": [ref], "labels": dict(tmeta.get("labels") or {})}
    for key in ("annotations", "finalizers"):
        if tmeta.get(key):
            meta[key] = copy.deepcopy(tmeta[key])
    pod: Object = {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
                   "spec": copy.deepcopy(template.get("spec") or {})}
    _set_identity(sts, pod)
    _set_storage(sts, pod)
    meta["labels"][REVISION_LABEL] = revision
    return pod


def identity_matches(sts: Object, pod: Object) -> bool:
    parent, ordinal = parent_and_ordinal(pod)
    labels = pod["metadata"].get("labels") or {}
    pod_spec = pod.get("spec") or {}
    return (parent == sts["metadata"]["name"] and ordinal >= 0
            and labels.get(POD_NAME_LABEL) == pod["metadata"]["name"]
            and labels.get(POD_INDEX_LABEL) == str(ordinal)
            and pod_spec.get("hostname") == pod["metadata"]["name"]
            and pod_spec.get("subdomain") == (spec(sts).get("serviceName") or None))


def storage_matches(sts: Object, pod: Object) -> bool:
    volumes = {v.get("name"): v for v in (pod.get("spec") or {}).get("volumes") or []}
    for volume, claim in claims_of(sts, pod["metadata"]["name"]).items():
        source = (volumes.get(volume) or {}).get("persistentVolumeClaim") or {}
        if source.get("claimName") != claim["metadata"]["name"]:
            return False
    return True


def fix_identity(sts: Object, pod: Object) -> Object:
    """A copy of ``pod`` with its identity set again (its storage a pod cannot change)."""
    fixed = copy.deepcopy(pod)
    _set_identity(sts, fixed)
    return fixed


def revision_of(pod: Object) -> str:
    return str((pod["metadata"].get("labels") or {}).get(REVISION_LABEL) or "")


def is_terminating(pod: Object) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def is_finished(pod: Object) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Failed", "Succeeded")


def is_running_and_ready(pod: Object) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and is_pod_ready(pod)


def is_running_and_available(pod: Object, min_ready: int, now: float) -> bool:
    return is_running_and_ready(pod) and is_pod_available(pod, min_ready, now)


def is_healthy(pod: Object, min_ready: int, now: float) -> bool:
    return is_running_and_available(pod, min_ready, now) and not is_terminating(pod)


# --- revisions ------------------------------------------------------------------------------


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def revision_data(sts: Object) -> Object:
    """What a ControllerRevision stores: a strategic merge patch replacing the template
    (``getPatch``; ``kubectl rollout undo`` sends it back as is). Its keys are sorted and the
    template's metadata has ``creationTimestamp: null``, as Go encodes it: kubectl compares
    these bytes with its own encoding of the live set to say a rollback is not needed."""
    template = copy.deepcopy(spec(sts).get("template") or {})
    meta = template.get("metadata")
    template["metadata"] = {**(meta if isinstance(meta, dict) else {}),
                            "creationTimestamp": None}
    template["$patch"] = "replace"
    return {"spec": {"template": _sorted(template)}}


def _fnv32(data: bytes) -> int:
    h = 0x811C9DC5
    for byte in data:
        h = ((h * 0x01000193) & 0xFFFFFFFF) ^ byte
    return h


def revision_hash(data: Object, collision_count: int) -> str:
    """``HashControllerRevision``: fnv32 of the data (and the collision count), safe-encoded."""
    blob = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        blob += str(collision_count).encode()
    return "".join(SAFE_ALPHANUMS[ord(c) % len(SAFE_ALPHANUMS)] for c in str(_fnv32(blob)))


def new_revision(sts: Object, number: int, collision_count: int, ref: Object) -> Object:
    """The ControllerRevision ``<set>-<hash>`` of the set's template (``newRevision``):
    labelled as its pods are, with the set's annotations."""
    data = revision_data(sts)
    digest = revision_hash(data, collision_count)
    tmeta = (spec(sts).get("template") or {}).get("metadata") or {}
    meta: Object = {"name": f"{sts['metadata']['name'][:223]}-{digest}",
                    "namespace": sts["metadata"].get("namespace"),
                    "labels": {**(tmeta.get("labels") or {}), HASH_LABEL: digest},
                    "ownerReferences": [ref]}
    if sts["metadata"].get("annotations"):
        meta["annotations"] = dict(sts["metadata"]["annotations"])
    return {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": meta,
            "data": data, "revision": number}


def equal_revision(a: Object, b: Object) -> bool:
    """Same data (``history.EqualRevision``, on the decoded data)."""
    return bool(a.get("data") == b.get("data"))


def apply_revision(sts: Object, revision: Object) -> Object:
    """The set with the template of ``revision`` (``ApplyRevision``)."""
    out = copy.deepcopy(sts)
    template = copy.deepcopy(((revision.get("data") or {}).get("spec") or {}).get("template")
                             or {})
    template.pop("$patch", None)
    meta = template.get("metadata")
    if isinstance(meta, dict) and meta.get("creationTimestamp", "") is None:
        del meta["creationTimestamp"]
    out.setdefault("spec", {})["template"] = template
    return out


def revision_number(revision: Object) -> int:
    return int(revision.get("revision") or 0)


def sorted_revisions(revisions: list[Object]) -> list[Object]:
    return sorted(revisions, key=lambda r: (revision_number(r), r["metadata"]["name"]))


# --- status ---------------------------------------------------------------------------------


def compute_status(sts: Object, pods: list[Object], *, current: str, update: str,
                   collision_count: int, min_ready: int, now: float) -> Object:
    """The counts of ``computeReplicaStatus`` over the set's pods, and the revisions; a
    finished rollout (every pod updated and ready) makes the update revision current."""
    status = copy.deepcopy(sts.get("status") or {})
    total = ready = available = current_n = updated = 0
    for pod in pods:
        total += 1
        if is_running_and_ready(pod):
            ready += 1
            if is_running_and_available(pod, min_ready, now):
                available += 1
        if not is_terminating(pod):
            current_n += revision_of(pod) == current
            updated += revision_of(pod) == update
    if strategy_type(sts) == ROLLING_UPDATE and updated == total and ready == total:
        current, current_n = update, updated
    status["replicas"] = total  # the counters without omitempty
    status["availableReplicas"] = available
    status["collisionCount"] = collision_count
    set_counts(status, readyReplicas=ready, currentReplicas=current_n, updatedReplicas=updated,
               observedGeneration=int(sts["metadata"].get("generation") or 0))
    status["currentRevision"] = current
    status["updateRevision"] = update
    return status
