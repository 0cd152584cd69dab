"""The local host-path provisioner of the default StorageClass (minikube's ``standard`` class
and its ``k8s.io/minikube-hostpath`` storage-provisioner): a claim of a class whose
provisioner is :data:`PROVISIONER` gets a PersistentVolume ``pvc-<claim uid>`` whose hostPath
is a directory made for it under the daemon's data dir (``<data dir>/volumes/<pv name>``);
deleting such a volume removes that directory, and only directories this provisioner made
(the volume's ``pv.kubernetes.io/provisioned-by`` and a path directly under the root).

The PersistentVolume controller (``persistentvolume.py``) calls it; the daemon gives the
controller manager the root, as it gives csrsigning the CA's files. Every virtual node is a
process of this host, so a directory here is reachable from each of them and the volume
carries no node affinity.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Any

from minikube_py.controllers.volume_util import (
    BOUND_BY_CONTROLLER,
    PROVISIONED_BY,
    YES,
    annotations_of,
    claim_ref,
    meta,
    spec,
)

PROVISIONER = "minikube-py.io/hostpath"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
DEFAULT_STORAGE_CLASS: dict[str, Any] = {
    "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
    "metadata": {"name": "standard", "annotations": {DEFAULT_CLASS_ANNOTATION: "true"},
                 "labels": {"addonmanager.kubernetes.io/mode": "EnsureExists"}},
    "provisioner": PROVISIONER, "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate",
}


class HostPathProvisioner:
    """Makes and removes the directories of provisioned volumes under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def volume_for(self, claim: dict[str, Any], storage_class: dict[str, Any]) -> dict[str, Any]:
        """The PersistentVolume to create for ``claim`` (pre-bound to it, as Kubernetes'
        provisioned volumes are)."""
        name = f"pvc-{meta(claim).get('uid')}"
        claim_spec = spec(claim)
        storage = ((claim_spec.get("resources") or {}).get("requests") or {}).get("storage")
        volume_spec: dict[str, Any] = {
            "capacity": {"storage": storage or "0"},
            "accessModes": list(claim_spec.get("accessModes") or ["ReadWriteOnce"]),
            "persistentVolumeReclaimPolicy": storage_class.get("reclaimPolicy") or "Delete",
            "storageClassName": meta(storage_class).get("name"),
            "volumeMode": claim_spec.get("volumeMode") or "Filesystem",
            "hostPath": {"path": str(self.root / name), "type": ""},
            "claimRef": claim_ref(claim),
        }
        if storage_class.get("mountOptions"):
            volume_spec["mountOptions"] = list(storage_class["mountOptions"])
        return {"apiVersion": "v1", "kind": "PersistentVolume",
                "metadata": {"name": name, "annotations": {PROVISIONED_BY: PROVISIONER,
                                                           BOUND_BY_CONTROLLER: YES}},
                "spec": volume_spec}

    async def provision(self, volume: dict[str, Any]) -> None:
        """Make the volume's directory (writable by any container user, as minikube's is)."""
        await asyncio.to_thread(self._make, Path(spec(volume)["hostPath"]["path"]))

    def _make(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, 0o777)  # containers of any uid write their claims here

    def owns(self, volume: dict[str, Any]) -> bool:
        """This provisioner made the volume and its directory is one of ours."""
        if annotations_of(volume).get(PROVISIONED_BY) != PROVISIONER:
            return False
        path = (spec(volume).get("hostPath") or {}).get("path")
        return bool(path) and Path(str(path)).parent == self.root and \
            Path(str(path)).name == meta(volume).get("name")

    async def delete(self, volume: dict[str, Any]) -> None:
        """Remove the volume's directory (gone already is fine)."""
        path = Path(str(spec(volume)["hostPath"]["path"]))
        await asyncio.to_thread(self._remove, path)

    async def scrub(self, volume: dict[str, Any]) -> None:
        """Empty the volume's directory (the Recycle policy's ``rm -rf /scrub/*``)."""
        await asyncio.to_thread(self._scrub, Path(str(spec(volume)["hostPath"]["path"])))

    @staticmethod
    def _remove(path: Path) -> None:
        if path.exists():
            shutil.rmtree(path)

    @staticmethod
    def _scrub(path: Path) -> None:
        for child in path.iterdir() if path.exists() else ():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
