"""Defaulting of storage.k8s.io/v1 kinds, as pkg/apis/storage/v1/defaults.go: a
StorageClass reclaims its volumes with Delete and binds them Immediately unless it says
otherwise."""

from __future__ import annotations

from typing import Any

from minikube_py.api.defaults.core import default


def default_storage_class(storage_class: dict[str, Any]) -> None:
    default(storage_class, "reclaimPolicy", "Delete")
    default(storage_class, "volumeBindingMode", "Immediate")
