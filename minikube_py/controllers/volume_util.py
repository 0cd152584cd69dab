"""The pure part of the PersistentVolume controller (``persistentvolume.py``): its annotation
names and phases, and the matching of a claim to the volumes it could bind (Kubernetes'
``pkg/controller/volume/persistentvolume/util`` and ``index.go``: ``findMatchingVolume``,
``CheckAccessModes``, ``IsVolumeBoundToClaim``). No I/O; the controller's unit tests and the
controller itself read it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

from minikube_py.api.validation.meta import selector_matches
from minikube_py.api.validation.names import parse_quantity

Object = Mapping[str, Any]

BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
SELECTED_NODE = "volume.kubernetes.io/selected-node"
STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner"
BETA_STORAGE_CLASS = "volume.beta.kubernetes.io/storage-class"
YES = "yes"

# Phases (core/v1).
CLAIM_PENDING, CLAIM_BOUND, CLAIM_LOST = "Pending", "Bound", "Lost"
VOLUME_PENDING, VOLUME_AVAILABLE, VOLUME_BOUND = "Pending", "Available", "Bound"
VOLUME_RELEASED, VOLUME_FAILED = "Released", "Failed"


def meta(obj: Object) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def spec(obj: Object) -> Mapping[str, Any]:
    return obj.get("spec") or {}


def annotations_of(obj: Object) -> Mapping[str, Any]:
    return meta(obj).get("annotations") or {}


def phase(obj: Object) -> str:
    return str((obj.get("status") or {}).get("phase") or "")


def claim_class(claim: Object) -> str:
    """The class a claim asks for: the beta annotation wins over the field (as in
    ``GetPersistentVolumeClaimClass``); "" means no class."""
    beta = annotations_of(claim).get(BETA_STORAGE_CLASS)
    if beta is not None:
        return str(beta)
    return str(spec(claim).get("storageClassName") or "")


def volume_class(volume: Object) -> str:
    beta = annotations_of(volume).get(BETA_STORAGE_CLASS)
    if beta is not None:
        return str(beta)
    return str(spec(volume).get("storageClassName") or "")


def claim_request(claim: Object) -> Fraction:
    requests = (spec(claim).get("resources") or {}).get("requests") or {}
    return parse_quantity(requests.get("storage")) or Fraction(0)


def volume_capacity(volume: Object) -> Fraction:
    return parse_quantity((spec(volume).get("capacity") or {}).get("storage")) or Fraction(0)


def access_modes_fit(volume: Object, claim: Object) -> bool:
    """Every mode the claim asks for is one the volume offers."""
    offered = set(spec(volume).get("accessModes") or ())
    return all(mode in offered for mode in spec(claim).get("accessModes") or ())


def volume_mode(obj: Object) -> str:
    return str(spec(obj).get("volumeMode") or "Filesystem")


def is_bound_to(volume: Object, claim: Object) -> bool:
    """The volume's claimRef names this claim (and its uid, when the ref carries one)."""
    ref = spec(volume).get("claimRef") or {}
    if not ref or ref.get("name") != meta(claim).get("name") or \
            (ref.get("namespace") or "") != (meta(claim).get("namespace") or ""):
        return False
    return not ref.get("uid") or ref.get("uid") == meta(claim).get("uid")


def satisfies(volume: Object, claim: Object) -> bool:
    """The volume could serve the claim: class, access modes, capacity, selector and
    volume mode (``checkVolumeSatisfyClaim`` plus the selector of ``findMatchingVolume``)."""
    if volume_class(volume) != claim_class(claim) or volume_mode(volume) != volume_mode(claim):
        return False
    if not access_modes_fit(volume, claim) or volume_capacity(volume) < claim_request(claim):
        return False
    selector = spec(claim).get("selector")
    return selector is None or selector_matches(selector, meta(volume).get("labels") or {})


def find_best_match(claim: Object, volumes: Iterable[Object]) -> Object | None:
    """The volume to bind ``claim`` to: one pre-bound to it (claimRef naming it) if any that
    fits, else the smallest Available unclaimed volume that satisfies it."""
    best: Object | None = None
    for volume in volumes:
        if meta(volume).get("deletionTimestamp"):
            continue
        if is_bound_to(volume, claim):
            if satisfies(volume, claim):
                return volume  # pre-bound: exactly this one
            continue
        if spec(volume).get("claimRef") or phase(volume) not in ("", VOLUME_AVAILABLE):
            continue
        if satisfies(volume, claim) and (best is None or
                                          volume_capacity(volume) < volume_capacity(best)):
            best = volume
    return best


def claim_ref(claim: Object) -> dict[str, Any]:
    """The ObjectReference a volume's ``spec.claimRef`` holds for ``claim``."""
    return {"kind": "PersistentVolumeClaim", "apiVersion": "v1",
            "namespace": meta(claim).get("namespace"), "name": meta(claim).get("name"),
            "uid": meta(claim).get("uid"),
            "resourceVersion": meta(claim).get("resourceVersion")}


def claim_volume_names(pod: Object) -> list[str]:
    return [str(v["persistentVolumeClaim"].get("claimName") or "")
            for v in spec(pod).get("volumes") or ()
            if isinstance(v, dict) and isinstance(v.get("persistentVolumeClaim"), dict)]
