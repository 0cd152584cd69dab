"""storage.k8s.io/v1 StorageClass: stored with Kubernetes' defaults, refused with its field
paths when invalid or when an immutable field changes, shown as kubectl shows it; and the
DefaultStorageClass admission of claims (in process, through the whole request pipeline)."""

from __future__ import annotations

from typing import Any

import pytest

from minikube_py.apiserver.server import ApiServer
from tests.apiserver.test_verbs import call

SC = "/apis/storage.k8s.io/v1/storageclasses"
PVC = "/api/v1/namespaces/default/persistentvolumeclaims"
DEFAULT = {"storageclass.kubernetes.io/is-default-class": "true"}
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


def storage_class(name: str, **fields: Any) -> dict[str, Any]:
    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": name, **fields.pop("metadata", {})},
            "provisioner": "example.com/disk", **fields}


def claim(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
            "spec": {"accessModes": ["ReadWriteOnce"],
                     "resources": {"requests": {"storage": "1Gi"}}, **spec}}


def fields(status: dict[str, Any]) -> set[str]:
    return {c["field"] for c in status["details"]["causes"]}


async def test_storage_class_defaults(apiserver: ApiServer) -> None:
    """A class without policy or mode gets Delete and Immediate; it is cluster-scoped."""
    code, obj = await call(apiserver, "POST", SC, storage_class("fast"))
    assert code == 201, obj
    assert obj["reclaimPolicy"] == "Delete" and obj["volumeBindingMode"] == "Immediate"
    assert "namespace" not in obj["metadata"]


@pytest.mark.parametrize(("body", "expected"), [
    pytest.param({"provisioner": ""}, {"provisioner"}, id="no-provisioner"),
    pytest.param({"provisioner": "bad provisioner!"}, {"provisioner"}, id="bad-provisioner"),
    pytest.param({"reclaimPolicy": "Recycle"}, {"reclaimPolicy"}, id="recycle-not-for-classes"),
    pytest.param({"volumeBindingMode": "Later"}, {"volumeBindingMode"}, id="bad-mode"),
    pytest.param({"parameters": {"": "x"}}, {"parameters"}, id="empty-parameter-key"),
])
async def test_storage_class_invalid(apiserver: ApiServer, body: dict[str, Any],
                                     expected: set[str]) -> None:
    """Kubernetes' StorageClass validation answers 422 naming each bad field."""
    code, status = await call(apiserver, "POST", SC, storage_class("bad", **body))
    assert code == 422, status
    assert fields(status) == expected, status["details"]["causes"]


@pytest.mark.parametrize(("patch", "field"), [
    pytest.param({"provisioner": "example.com/other"}, "provisioner", id="provisioner"),
    pytest.param({"parameters": {"type": "ssd"}}, "parameters", id="parameters"),
    pytest.param({"reclaimPolicy": "Retain"}, "reclaimPolicy", id="reclaim-policy"),
    pytest.param({"volumeBindingMode": "WaitForFirstConsumer"}, "volumeBindingMode",
                 id="binding-mode"),
])
async def test_storage_class_immutable(apiserver: ApiServer, patch: dict[str, Any],
                                       field: str) -> None:
    """Provisioner, parameters, reclaimPolicy and volumeBindingMode never change; the
    expansion flag may."""
    await call(apiserver, "POST", SC, storage_class("fixed", parameters={"type": "hdd"}))
    code, status = await call(apiserver, "PATCH", f"{SC}/fixed", patch,
                              ctype="application/merge-patch+json")
    assert code == 422 and fields(status) == {field}, status
    code, obj = await call(apiserver, "PATCH", f"{SC}/fixed", {"allowVolumeExpansion": True},
                           ctype="application/merge-patch+json")
    assert code == 200 and obj["allowVolumeExpansion"] is True


async def test_storage_class_table(apiserver: ApiServer) -> None:
    """kubectl's columns, and "(default)" after the default class's name."""
    await call(apiserver, "POST", SC, storage_class("main", metadata={"annotations": DEFAULT}))
    code, table = await call(apiserver, "GET", SC, accept=TABLE)
    assert code == 200, table
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name", "Provisioner", "ReclaimPolicy", "VolumeBindingMode", "AllowVolumeExpansion",
        "Age"]
    assert table["rows"][0]["cells"][:5] == ["main (default)", "example.com/disk", "Delete",
                                             "Immediate", False]


async def test_default_storage_class_admission(apiserver: ApiServer) -> None:
    """A claim naming no class gets the default class (the bootstrap's ``standard``, then
    another); "" (no class) and a named class are kept; with no default class the claim
    keeps no class."""
    code, obj = await call(apiserver, "POST", PVC, claim("first"))
    assert code == 201 and obj["spec"]["storageClassName"] == "standard", obj
    code, _ = await call(apiserver, "DELETE", f"{SC}/standard")
    assert code == 200
    code, obj = await call(apiserver, "POST", PVC, claim("before"))
    assert code == 201 and "storageClassName" not in obj["spec"], obj
    await call(apiserver, "POST", SC, storage_class("old", metadata={"annotations": DEFAULT}))
    await call(apiserver, "POST", SC, storage_class("plain"))
    code, obj = await call(apiserver, "POST", PVC, claim("defaulted"))
    assert code == 201 and obj["spec"]["storageClassName"] == "old", obj
    code, obj = await call(apiserver, "POST", PVC, claim("none", storageClassName=""))
    assert obj["spec"]["storageClassName"] == ""
    code, obj = await call(apiserver, "POST", PVC, claim("named", storageClassName="plain"))
    assert obj["spec"]["storageClassName"] == "plain"
