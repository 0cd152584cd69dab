"""The PersistentVolume controller: binds claims to volumes, provisions volumes for claims of
the host-path class, and reclaims volumes whose claim is gone (Kubernetes'
``pkg/controller/volume/persistentvolume/pv_controller.go``, its ``syncClaim`` and
``syncVolume``).

Keys are ``claim:<namespace>/<name>`` and ``volume:<name>``; events of claims, volumes,
StorageClasses and scheduled pods map to them. A claim is bound in four idempotent writes,
each made only when needed: the volume's ``claimRef`` (``bound-by-controller`` when we set
it), the volume's phase Bound, the claim's ``volumeName`` with ``bind-completed``, and the
claim's status (Bound, the volume's capacity and access modes). A claim that nothing fits and
whose class's provisioner is ``minikube-py.io/hostpath`` gets a volume from
``hostpath.py`` (pre-bound to it, then bound as above); under ``WaitForFirstConsumer`` only
once the scheduler's ``volume.kubernetes.io/selected-node`` annotation is on the claim or a
pod using it has been scheduled (our scheduler leaves such claims to us and does not write
the annotation). A volume whose claim is gone is Released, then reclaimed by its policy:
Retain keeps it; Delete removes it and its directory, Recycle empties the directory and
makes it Available, both only for volumes the provisioner made (others become Failed, as
Kubernetes' without a plugin for them).

Matching itself (class, modes, size, selector, volume mode; the smallest fit) is the pure
``volume_util.py``.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from minikube_py.api.errors import AlreadyExists, NotFound, StatusError
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.events import NORMAL, WARNING, EventRecorder
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.controllers.base import Controller, Object
from minikube_py.controllers.hostpath import PROVISIONER, HostPathProvisioner
from minikube_py.controllers.volume_util import (
    BIND_COMPLETED,
    BOUND_BY_CONTROLLER,
    CLAIM_BOUND,
    CLAIM_LOST,
    CLAIM_PENDING,
    SELECTED_NODE,
    STORAGE_PROVISIONER,
    VOLUME_AVAILABLE,
    VOLUME_BOUND,
    VOLUME_FAILED,
    VOLUME_RELEASED,
    YES,
    annotations_of,
    claim_class,
    claim_ref,
    claim_volume_names,
    find_best_match,
    is_bound_to,
    meta,
    phase,
    satisfies,
    spec,
)
from minikube_py.util.clock import rfc3339

log = logging.getLogger(__name__)

CLAIMS = REGISTRY.require("", "v1", "persistentvolumeclaims")
VOLUMES = REGISTRY.require("", "v1", "persistentvolumes")
CLASSES = REGISTRY.require("storage.k8s.io", "v1", "storageclasses")
PODS = REGISTRY.require("", "v1", "pods")
CLAIM, VOLUME = "claim:", "volume:"
NO_CLASS = "no persistent volumes available for this claim and no storage class is set"
EXTERNAL = ("Waiting for a volume to be created either by the external provisioner '%s' or "
            "manually by the system administrator. If volume creation is delayed, please "
            "verify that the provisioner is running and correctly registered.")


def _claim_key(namespace: Any, name: Any) -> str:
    return f"{CLAIM}{namespace}/{name}"


class PersistentVolumeController(Controller):
    name = "persistentvolume-binder"
    workers = 2

    def __init__(self, client: Client, informers: SharedInformerFactory, *,
                 provisioner: HostPathProvisioner | None = None,
                 recorder: EventRecorder | None = None, owns_recorder: bool = False) -> None:
        super().__init__(client, informers, recorder=recorder, owns_recorder=owns_recorder)
        self.provisioner = provisioner
        self.claims = self.watch(CLAIMS, keys=self._claim_keys).lister
        self.volumes = self.watch(VOLUMES, keys=self._volume_keys).lister
        self.classes = self.watch(CLASSES, keys=lambda _sc: self._unbound_claim_keys()).lister
        self.pods = self.watch(PODS, keys=self._pod_keys,
                               changed=lambda old, new: spec(old).get("nodeName") !=
                               spec(new).get("nodeName")).lister

    # -- event -> keys -------------------------------------------------------------------

    @staticmethod
    def _claim_keys(claim: Object) -> list[str]:
        keys = [_claim_key(meta(claim).get("namespace"), meta(claim).get("name"))]
        if spec(claim).get("volumeName"):
            keys.append(VOLUME + str(spec(claim)["volumeName"]))
        return keys

    def _volume_keys(self, volume: Object) -> list[str]:
        keys = [VOLUME + str(meta(volume).get("name"))]
        ref = spec(volume).get("claimRef")
        if ref:
            keys.append(_claim_key(ref.get("namespace"), ref.get("name")))
        else:  # a volume free to bind: the claims waiting may fit it now
            keys += self._unbound_claim_keys()
        return keys

    def _unbound_claim_keys(self) -> list[str]:
        return [_claim_key(meta(c).get("namespace"), meta(c).get("name"))
                for c in self.claims.list() if not spec(c).get("volumeName")]

    @staticmethod
    def _pod_keys(pod: Object) -> list[str]:
        if not spec(pod).get("nodeName"):
            return []
        return [_claim_key(meta(pod).get("namespace"), name) for name in claim_volume_names(pod)]

    # -- reconcile -----------------------------------------------------------------------

    async def reconcile(self, key: str) -> None:
        if key.startswith(CLAIM):
            namespace, _, name = key[len(CLAIM):].partition("/")
            claim = self.claims.get(name, namespace)
            if claim is not None:
                await self._sync_claim(copy.deepcopy(claim))
        elif key.startswith(VOLUME):
            volume = self.volumes.get(key[len(VOLUME):])
            if volume is not None:
                await self._sync_volume(copy.deepcopy(volume))

    async def _sync_claim(self, claim: Object) -> None:
        if annotations_of(claim).get(BIND_COMPLETED):
            await self._sync_bound_claim(claim)
        elif spec(claim).get("volumeName"):
            await self._sync_prebound_claim(claim)
        else:
            await self._sync_unbound_claim(claim)

    async def _sync_unbound_claim(self, claim: Object) -> None:
        class_name = claim_class(claim)
        storage_class = self.classes.get(class_name) if class_name else None
        if storage_class is not None and \
                storage_class.get("volumeBindingMode") == "WaitForFirstConsumer" and \
                not self._selected_node(claim):
            await self._claim_phase(claim, CLAIM_PENDING)
            self._event(claim, NORMAL, "WaitForFirstConsumer",
                        "waiting for first consumer to be created before binding")
            return
        volume = find_best_match(claim, self.volumes.list())
        if volume is not None:
            await self._bind(copy.deepcopy(dict(volume)), claim)
            return
        if storage_class is not None and storage_class.get("provisioner") == PROVISIONER \
                and self.provisioner is not None:
            await self._provision(claim, storage_class)
            return
        await self._claim_phase(claim, CLAIM_PENDING)
        if not class_name:
            self._event(claim, WARNING, "FailedBinding", NO_CLASS)
        elif storage_class is None:
            self._event(claim, WARNING, "ProvisioningFailed",
                        f'storageclass.storage.k8s.io "{class_name}" not found')
        else:
            self._event(claim, NORMAL, "ExternalProvisioning",
                        EXTERNAL % storage_class.get("provisioner"))

    async def _sync_prebound_claim(self, claim: Object) -> None:
        """The user named the volume (``spec.volumeName``): bind to it if it is free or
        already names this claim, and fits."""
        name = str(spec(claim)["volumeName"])
        volume = self.volumes.get(name)
        if volume is None:
            await self._claim_phase(claim, CLAIM_PENDING)
            return
        ref = spec(volume).get("claimRef")
        if ref and not is_bound_to(volume, claim):
            await self._claim_phase(claim, CLAIM_PENDING)
            self._event(claim, WARNING, "FailedBinding",
                        "volume already bound to a different claim.")
            return
        if not satisfies(volume, claim):
            await self._claim_phase(claim, CLAIM_PENDING)
            self._event(claim, WARNING, "FailedBinding",
                        f'Cannot bind to requested volume "{name}": it does not satisfy '
                        "the claim (class, access modes, size or volume mode)")
            return
        await self._bind(copy.deepcopy(volume), claim)

    async def _sync_bound_claim(self, claim: Object) -> None:
        name = spec(claim).get("volumeName")
        volume = self.volumes.get(str(name)) if name else None
        if volume is None:
            if phase(claim) != CLAIM_LOST:
                await self._claim_phase(claim, CLAIM_LOST)
                self._event(claim, WARNING, "ClaimLost", "Bound claim has lost reference to "
                            "PersistentVolume. Data on the volume is lost!")
            return
        ref = spec(volume).get("claimRef") or {}
        if not ref or (is_bound_to(volume, claim) and ref.get("uid")):
            await self._bind(copy.deepcopy(volume), claim)
        elif phase(claim) != CLAIM_LOST:
            await self._claim_phase(claim, CLAIM_LOST)
            self._event(claim, WARNING, "ClaimMisbound", "Two claims are bound to the same "
                        "volume, this one is bound incorrectly")

    def _selected_node(self, claim: Object) -> str:
        node = annotations_of(claim).get(SELECTED_NODE)
        if node:
            return str(node)
        name = meta(claim).get("name")
        for pod in self.pods.namespaced(str(meta(claim).get("namespace"))).list():
            if spec(pod).get("nodeName") and name in claim_volume_names(pod):
                return str(spec(pod)["nodeName"])
        return ""

    # -- binding -------------------------------------------------------------------------

    async def _bind(self, volume: Object, claim: Object) -> None:
        volume = await self._bind_volume(volume, claim)
        volume = await self._volume_phase(volume, VOLUME_BOUND)
        claim = await self._bind_claim(claim, volume)
        await self._claim_bound_status(claim, volume)

    async def _bind_volume(self, volume: Object, claim: Object) -> Object:
        ref = spec(volume).get("claimRef") or {}
        if ref.get("uid") == meta(claim).get("uid") and ref.get("name"):
            return volume
        if not ref:
            volume["metadata"].setdefault("annotations", {})[BOUND_BY_CONTROLLER] = YES
        volume["spec"]["claimRef"] = claim_ref(claim)
        return await self.client.update(VOLUMES, volume)

    async def _bind_claim(self, claim: Object, volume: Object) -> Object:
        name = meta(volume).get("name")
        notes = annotations_of(claim)
        wanted = {BIND_COMPLETED: YES}
        if not spec(claim).get("volumeName"):
            wanted[BOUND_BY_CONTROLLER] = YES
        provisioned_by = annotations_of(volume).get("pv.kubernetes.io/provisioned-by")
        if provisioned_by:
            wanted[STORAGE_PROVISIONER] = str(provisioned_by)
        if spec(claim).get("volumeName") == name and \
                all(notes.get(k) for k in wanted):
            return claim
        claim["spec"]["volumeName"] = name
        claim["metadata"].setdefault("annotations", {}).update(
            {k: v for k, v in wanted.items() if not notes.get(k)})
        return await self.client.update(CLAIMS, claim)

    async def _claim_bound_status(self, claim: Object, volume: Object) -> None:
        status = dict(claim.get("status") or {})
        wanted = {"phase": CLAIM_BOUND,
                  "accessModes": list(spec(volume).get("accessModes") or []),
                  "capacity": dict(spec(volume).get("capacity") or {})}
        if all(status.get(k) == v for k, v in wanted.items()):
            return
        claim["status"] = {**status, **wanted}
        await self.client.update_status(CLAIMS, claim)
        log.info("bound claim %s/%s to volume %s", meta(claim).get("namespace"),
                 meta(claim).get("name"), meta(volume).get("name"))

    async def _claim_phase(self, claim: Object, value: str) -> None:
        if phase(claim) == value:
            return
        claim["status"] = {**(claim.get("status") or {}), "phase": value}
        await self.client.update_status(CLAIMS, claim)

    async def _volume_phase(self, volume: Object, value: str, message: str = "") -> Object:
        status = volume.get("status") or {}
        if status.get("phase") == value and (status.get("message") or "") == message:
            return volume
        volume["status"] = {"phase": value, "lastPhaseTransitionTime": rfc3339()}
        if message:
            volume["status"]["message"] = message
        return await self.client.update_status(VOLUMES, volume)

    # -- provisioning --------------------------------------------------------------------

    async def _provision(self, claim: Object, storage_class: Object) -> None:
        assert self.provisioner is not None
        volume = self.provisioner.volume_for(claim, storage_class)
        if self.volumes.get(meta(volume)["name"]) is not None:
            return  # made already; its events bind it
        await self.provisioner.provision(volume)
        try:
            created = await self.client.create(VOLUMES, volume)
        except AlreadyExists:
            return
        except StatusError as err:
            await self.provisioner.delete(volume)
            self._event(claim, WARNING, "ProvisioningFailed",
                        f"Failed to provision volume with StorageClass "
                        f"\"{meta(storage_class).get('name')}\": {err.message}")
            raise
        self._event(claim, NORMAL, "ProvisioningSucceeded",
                    f"Successfully provisioned volume {meta(created)['name']} using "
                    f"{PROVISIONER}")
        await self._bind(created, claim)

    # -- volumes -------------------------------------------------------------------------

    async def _sync_volume(self, volume: Object) -> None:
        ref = spec(volume).get("claimRef")
        if not ref:
            await self._volume_phase(volume, VOLUME_AVAILABLE)
            return
        if not ref.get("uid"):  # pre-bound by the user to a claim not bound yet
            await self._volume_phase(volume, VOLUME_AVAILABLE)
            self.enqueue(_claim_key(ref.get("namespace"), ref.get("name")))
            return
        claim = await self._claim_of(ref)
        if claim is None:
            if phase(volume) not in (VOLUME_RELEASED, VOLUME_FAILED):
                volume = await self._volume_phase(volume, VOLUME_RELEASED)
            if phase(volume) == VOLUME_RELEASED:
                await self._reclaim(volume)
            return
        bound_to = spec(claim).get("volumeName")
        if not bound_to:
            self.enqueue(_claim_key(ref.get("namespace"), ref.get("name")))
        elif bound_to == meta(volume).get("name"):
            await self._volume_phase(volume, VOLUME_BOUND)
        elif annotations_of(volume).get(BOUND_BY_CONTROLLER):
            await self._unbind(volume)  # the claim went to another volume: free this one

    async def _claim_of(self, ref: Any) -> Object | None:
        """The claim ``ref`` names, with its uid; a live read before a volume is released,
        so a cache behind our own writes never releases a volume in use."""
        claim = self.claims.get(str(ref.get("name")), str(ref.get("namespace")))
        if claim is None:
            try:
                claim = await self.client.get(CLAIMS, str(ref.get("name")),
                                              str(ref.get("namespace")))
            except NotFound:
                return None
        return claim if meta(claim).get("uid") == ref.get("uid") else None

    async def _unbind(self, volume: Object) -> None:
        volume["spec"].pop("claimRef", None)
        volume["metadata"].get("annotations", {}).pop(BOUND_BY_CONTROLLER, None)
        volume = await self.client.update(VOLUMES, volume)
        await self._volume_phase(volume, VOLUME_AVAILABLE)

    async def _reclaim(self, volume: Object) -> None:
        policy = spec(volume).get("persistentVolumeReclaimPolicy") or "Retain"
        name = meta(volume).get("name")
        ours = self.provisioner is not None and self.provisioner.owns(volume)
        if policy == "Retain":
            return
        if policy == "Recycle":
            if not ours:
                await self._fail(volume, "VolumeFailedRecycle",
                                 "No recycler plugin found for the volume!")
                return
            assert self.provisioner is not None
            await self.provisioner.scrub(volume)
            await self._unbind(volume)
            self._event(volume, NORMAL, "VolumeRecycled", "Volume recycled")
            return
        if not ours:
            await self._fail(volume, "VolumeFailedDelete",
                             f'error getting deleter volume plugin for volume "{name}": no '
                             "deletable volume plugin matched")
            return
        assert self.provisioner is not None
        try:
            await self.provisioner.delete(volume)
        except OSError as err:
            await self._fail(volume, "VolumeFailedDelete", str(err))
            return
        try:
            await self.client.delete(VOLUMES, str(name))
        except NotFound:
            pass
        log.info("deleted volume %s (its claim is gone, policy Delete)", name)

    async def _fail(self, volume: Object, reason: str, message: str) -> None:
        await self._volume_phase(volume, VOLUME_FAILED, message)
        self._event(volume, WARNING, reason, message)

    def _event(self, obj: Object, event_type: str, reason: str, message: str) -> None:
        if self.recorder is not None:
            rt = CLAIMS if meta(obj).get("namespace") else VOLUMES
            self.recorder.event(dict(obj), event_type, reason, message, resource_type=rt)
