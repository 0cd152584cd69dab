"""What the DaemonSet controller (``daemonset.py``) decides about one node and one pod
(Kubernetes' ``pkg/controller/daemon/util/daemonset_util.go`` and the predicates of
``daemon_controller.go``): should a daemon pod run on a node, the pod made for a node, which
node a pod is meant for, whether a pod is of the current template, and the ControllerRevision
of a template.

Placement follows Kubernetes >= 1.12: a daemon pod is created without ``nodeName`` but with a
required node affinity ``metadata.name In [node]`` (``matchFields``); the scheduler binds it.

The node-selector and toleration rules are the scheduler's too
(``api/machinery/nodeaffinity.py``: controllers and the scheduler are independent siblings
in the layering contract, so they share them from the api layer).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from minikube_py.api.machinery.nodeaffinity import NODE_NAME_FIELD, term_matches, tolerates
from minikube_py.controllers import deployment_util as du

Object = dict[str, Any]

REVISION_HASH = "controller-revision-hash"  # apps.DefaultDaemonSetUniqueLabelKey
TEMPLATE_GENERATION = "pod-template-generation"  # extensions.DaemonSetTemplateGenerationKey
TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation"

NO_SCHEDULE, NO_EXECUTE = "NoSchedule", "NoExecute"

# The tolerations every daemon pod gets (``AddOrUpdateDaemonPodTolerations``): a daemon runs
# on nodes that are not ready, unreachable, under pressure or cordoned.
DEFAULT_TOLERATIONS: tuple[tuple[str, str], ...] = (
    ("node.kubernetes.io/not-ready", NO_EXECUTE),
    ("node.kubernetes.io/unreachable", NO_EXECUTE),
    ("node.kubernetes.io/disk-pressure", NO_SCHEDULE),
    ("node.kubernetes.io/memory-pressure", NO_SCHEDULE),
    ("node.kubernetes.io/pid-pressure", NO_SCHEDULE),
    ("node.kubernetes.io/unschedulable", NO_SCHEDULE),
)
NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable"  # hostNetwork pods only


# --- node selectors and taints --------------------------------------------------------------


def _required_affinity(spec: Mapping[str, Any]) -> Mapping[str, Any] | None:
    node_affinity = (spec.get("affinity") or {}).get("nodeAffinity") or {}
    found = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    return found if isinstance(found, dict) else None


def fits_node_affinity(spec: Mapping[str, Any], node: Object) -> bool:
    """``spec.nodeSelector`` (every pair) and the required node affinity (any term)."""
    meta = node.get("metadata") or {}
    labels, name = meta.get("labels") or {}, str(meta.get("name") or "")
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    required = _required_affinity(spec)
    if required is None:
        return True
    return any(term_matches(t, labels, name) for t in required.get("nodeSelectorTerms") or [])


def _untolerated(taints: Iterable[Mapping[str, Any]], tolerations: list[Object],
                 effects: tuple[str, ...]) -> bool:
    return any(t.get("effect") in effects and not any(tolerates(tol, t) for tol in tolerations)
               for t in taints)


def add_daemon_tolerations(spec: Object) -> None:
    """Add :data:`DEFAULT_TOLERATIONS` (and network-unavailable for hostNetwork pods) unless
    an equal toleration is there (``AddOrUpdateTolerationInPodSpec``)."""
    wanted = list(DEFAULT_TOLERATIONS)
    if spec.get("hostNetwork"):
        wanted.append((NETWORK_UNAVAILABLE, NO_SCHEDULE))
    tolerations = [t for t in spec.get("tolerations") or [] if isinstance(t, dict)]
    for key, effect in wanted:
        new = {"key": key, "operator": "Exists", "effect": effect}
        if not any(t.get("key") == key and t.get("operator") == "Exists"
                   and t.get("effect") == effect and not t.get("value") for t in tolerations):
            tolerations.append(new)
    spec["tolerations"] = tolerations


def should_run(ds: Object, node: Object) -> tuple[bool, bool]:
    """(should run, should continue running) of a daemon pod on ``node``
    (``NodeShouldRunDaemonPod``): the node's name and affinity must fit; an untolerated
    NoSchedule taint keeps new pods off, an untolerated NoExecute one also evicts."""
    template_spec = copy.deepcopy(((ds.get("spec") or {}).get("template") or {}).get("spec")
                                  or {})
    name = str((node.get("metadata") or {}).get("name") or "")
    if template_spec.get("nodeName") and template_spec["nodeName"] != name:
        return False, False
    if not fits_node_affinity(template_spec, node):
        return False, False
    add_daemon_tolerations(template_spec)
    taints = [t for t in (node.get("spec") or {}).get("taints") or [] if isinstance(t, dict)]
    tolerations = template_spec["tolerations"]
    if _untolerated(taints, tolerations, (NO_SCHEDULE, NO_EXECUTE)):
        return False, not _untolerated(taints, tolerations, (NO_EXECUTE,))
    return True, True


# --- daemon pods ----------------------------------------------------------------------------


def template_generation(ds: Object) -> int:
    """The template generation: the deprecated annotation when the apiserver keeps it, else
    ``metadata.generation``."""
    meta = ds.get("metadata") or {}
    value = (meta.get("annotations") or {}).get(TEMPLATE_GENERATION_ANNOTATION)
    try:
        return int(value) if value is not None else int(meta.get("generation") or 0)
    except ValueError:
        return int(meta.get("generation") or 0)


def pod_template(ds: Object, revision_hash: str) -> Object:
    """The template of new daemon pods (``CreatePodTemplate``): the DaemonSet's, labelled
    with its generation and revision hash, with the daemon tolerations."""
    template = copy.deepcopy((ds.get("spec") or {}).get("template") or {})
    labels = template.setdefault("metadata", {}).setdefault("labels", {})
    labels[TEMPLATE_GENERATION] = str(template_generation(ds))
    if revision_hash:
        labels[REVISION_HASH] = revision_hash
    add_daemon_tolerations(template.setdefault("spec", {}))
    return template


def node_name_affinity(affinity: Object | None, node: str) -> Object:
    """``affinity`` with its required node terms pinned to ``node`` by ``matchFields``
    (``ReplaceDaemonSetPodNodeNameNodeAffinity``): each term keeps its expressions and gets
    ``metadata.name In [node]`` as its only field requirement."""
    affinity = copy.deepcopy(affinity or {})
    node_affinity = affinity.setdefault("nodeAffinity", {})
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    field = {"key": NODE_NAME_FIELD, "operator": "In", "values": [node]}
    terms = [t for t in required.get("nodeSelectorTerms") or [] if isinstance(t, dict)]
    if not terms:
        terms = [{}]
    for term in terms:
        term["matchFields"] = [field]
    node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {
        "nodeSelectorTerms": terms}
    return affinity


def target_node(pod: Object) -> str | None:
    """The node a daemon pod is for (``GetTargetNodeName``): its ``nodeName``, or the one
    node its node affinity's ``matchFields`` names."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    required = _required_affinity(spec) or {}
    for term in required.get("nodeSelectorTerms") or []:
        for req in (term or {}).get("matchFields") or []:
            values = req.get("values") or []
            if req.get("key") == NODE_NAME_FIELD and req.get("operator") == "In" and \
                    len(values) == 1:
                return str(values[0])
    return None


def is_pod_updated(pod: Object, revision_hash: str, generation: int | None) -> bool:
    """Of the current template (``IsPodUpdated``): its revision hash or generation label."""
    labels = (pod.get("metadata") or {}).get("labels") or {}
    by_generation = generation is not None and labels.get(TEMPLATE_GENERATION) == str(generation)
    return (bool(revision_hash) and labels.get(REVISION_HASH) == revision_hash) or by_generation


# --- ControllerRevisions --------------------------------------------------------------------


def revision_data(ds: Object) -> Object:
    """What a ControllerRevision of ``ds`` holds (``getPatch``): a strategic-merge patch that
    replaces the template, which ``kubectl rollout undo`` applies."""
    template = copy.deepcopy((ds.get("spec") or {}).get("template") or {})
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


def matches_revision(ds: Object, revision: Object) -> bool:
    return bool(du.normalized(revision.get("data")) == du.normalized(revision_data(ds)))


def revision_hash(ds: Object) -> str:
    """``ComputeHash`` of the template with the collision count."""
    return du.compute_hash((ds.get("spec") or {}).get("template"),
                           ((ds.get("status") or {}).get("collisionCount")))


def revision_number(revision: Object) -> int:
    return int(revision.get("revision") or 0)
