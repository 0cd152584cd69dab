"""The PersistentVolume controller: binding by class, modes and size (smallest fit),
pre-bound claims and volumes, release on claim deletion with Delete and Retain, and the
host-path provisioner making and removing a real directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from minikube_py.controllers.hostpath import DEFAULT_STORAGE_CLASS, HostPathProvisioner
from minikube_py.controllers.persistentvolume import (
    CLAIMS,
    CLASSES,
    VOLUMES,
    PersistentVolumeController,
)
from tests.controllers.fakes import FakeCluster


def volume(name: str, size: str, *, cls: str = "", modes: tuple[str, ...] = ("ReadWriteOnce",),
           policy: str = "Retain", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": name, "namespace": ""},
            "spec": {"capacity": {"storage": size}, "accessModes": list(modes),
                     "storageClassName": cls, "persistentVolumeReclaimPolicy": policy,
                     "volumeMode": "Filesystem", "hostPath": {"path": f"/data/{name}"}, **spec},
            "status": {"phase": "Available"}}


def claim(name: str, size: str = "1Gi", *, cls: str | None = "",
          modes: tuple[str, ...] = ("ReadWriteOnce",), **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"accessModes": list(modes),
                            "resources": {"requests": {"storage": size}}, **spec}
    if cls is not None:
        body["storageClassName"] = cls
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": name, "namespace": "default"}, "spec": body,
            "status": {"phase": "Pending"}}


def controller(cluster: FakeCluster, root: Path | None = None) -> PersistentVolumeController:
    return PersistentVolumeController(
        cluster.client, cluster.informers,
        provisioner=HostPathProvisioner(root) if root is not None else None)


async def test_binds_smallest_volume_that_fits() -> None:
    """Of volumes of the right class and modes, the smallest big enough is bound both ways
    with the binder's annotations, phases and the claim's capacity."""
    cluster = FakeCluster()
    cluster.seed(VOLUMES, volume("small", "500Mi"), volume("big", "10Gi"),
                 volume("fits", "2Gi"), volume("rox", "1Gi", modes=("ReadOnlyMany",)),
                 volume("other-class", "1Gi", cls="fast"))
    cluster.seed(CLAIMS, claim("data"))
    await controller(cluster).reconcile("claim:default/data")
    pv, pvc = cluster.get("persistentvolumes", "fits", ""), cluster.get(
        "persistentvolumeclaims", "data")
    assert pv["spec"]["claimRef"]["name"] == "data" and pv["status"]["phase"] == "Bound"
    assert pv["spec"]["claimRef"]["uid"] == pvc["metadata"]["uid"]
    assert pv["metadata"]["annotations"]["pv.kubernetes.io/bound-by-controller"] == "yes"
    assert pvc["spec"]["volumeName"] == "fits"
    assert pvc["metadata"]["annotations"]["pv.kubernetes.io/bind-completed"] == "yes"
    assert pvc["status"] == {"phase": "Bound", "accessModes": ["ReadWriteOnce"],
                             "capacity": {"storage": "2Gi"}}
    assert "claimRef" not in cluster.get("persistentvolumes", "small", "")["spec"]


async def test_no_match_stays_pending() -> None:
    """A claim nothing fits, of no class, stays Pending and nothing is bound."""
    cluster = FakeCluster()
    cluster.seed(VOLUMES, volume("tiny", "100Mi"))
    cluster.seed(CLAIMS, claim("data"))
    await controller(cluster).reconcile("claim:default/data")
    assert cluster.writes(resource="persistentvolumes") == []
    assert "volumeName" not in cluster.get("persistentvolumeclaims", "data")["spec"]


async def test_prebound_volume_and_claim_honoured() -> None:
    """A volume whose claimRef names a claim goes to it (not a smaller free one); a claim
    naming a volume gets that one."""
    cluster = FakeCluster()
    reserved = volume("reserved", "5Gi", claimRef={"namespace": "default", "name": "mine"})
    cluster.seed(VOLUMES, volume("free", "1Gi"), reserved, volume("named", "3Gi"))
    cluster.seed(CLAIMS, claim("mine"), claim("pick", volumeName="named"))
    ctl = controller(cluster)
    await ctl.reconcile("claim:default/mine")
    await ctl.reconcile("claim:default/pick")
    assert cluster.get("persistentvolumeclaims", "mine")["spec"]["volumeName"] == "reserved"
    assert cluster.get("persistentvolumes", "reserved", "")["spec"]["claimRef"]["uid"]
    pick = cluster.get("persistentvolumeclaims", "pick")
    assert pick["status"]["phase"] == "Bound"
    assert "pv.kubernetes.io/bound-by-controller" not in pick["metadata"]["annotations"]
    assert cluster.get("persistentvolumes", "named", "")["spec"]["claimRef"]["name"] == "pick"


async def bound_then_deleted(cluster: FakeCluster, ctl: PersistentVolumeController,
                             name: str) -> None:
    await ctl.reconcile("claim:default/data")
    cluster.sync_caches()
    del cluster.objects[("persistentvolumeclaims", "default", "data")]
    cluster.informers.informer_for(CLAIMS).indexer.replace([], "1")
    await ctl.reconcile(f"volume:{name}")


async def test_claim_deleted_retain_keeps_released_volume() -> None:
    """Retain: the volume of a deleted claim is Released and stays."""
    cluster = FakeCluster()
    cluster.seed(VOLUMES, volume("keep", "1Gi", policy="Retain"))
    cluster.seed(CLAIMS, claim("data"))
    await bound_then_deleted(cluster, controller(cluster), "keep")
    assert cluster.get("persistentvolumes", "keep", "")["status"]["phase"] == "Released"


async def test_claim_deleted_delete_of_foreign_volume_fails() -> None:
    """Delete on a volume the provisioner did not make: Failed, and it is not removed."""
    cluster = FakeCluster()
    cluster.seed(VOLUMES, volume("manual", "1Gi", policy="Delete"))
    cluster.seed(CLAIMS, claim("data"))
    await bound_then_deleted(cluster, controller(cluster, Path("/nonexistent")), "manual")
    status = cluster.get("persistentvolumes", "manual", "")["status"]
    assert status["phase"] == "Failed" and "no deletable volume plugin" in status["message"]


async def test_provisions_real_directory_and_deletes_it(tmp_path: Path) -> None:
    """A claim of the host-path class gets pvc-<uid> with a directory under the root,
    bound; deleting the claim removes the volume and its directory."""
    cluster = FakeCluster()
    cluster.seed(CLASSES, {**DEFAULT_STORAGE_CLASS, "metadata": {
        **DEFAULT_STORAGE_CLASS["metadata"], "namespace": ""}})
    cluster.seed(CLAIMS, claim("data", "2Gi", cls="standard"))
    ctl = controller(cluster, tmp_path)
    await ctl.reconcile("claim:default/data")
    uid = cluster.get("persistentvolumeclaims", "data")["metadata"]["uid"]
    name = f"pvc-{uid}"
    pv = cluster.get("persistentvolumes", name, "")
    assert pv["spec"]["hostPath"]["path"] == str(tmp_path / name)
    assert (tmp_path / name).is_dir()
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Delete"
    assert pv["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"] == \
        "minikube-py.io/hostpath"
    assert cluster.get("persistentvolumeclaims", "data")["spec"]["volumeName"] == name
    (tmp_path / name / "file").write_text("x")
    await bound_then_deleted(cluster, ctl, name)
    assert ("persistentvolumes", "", name) not in cluster.objects
    assert not (tmp_path / name).exists()
