"""The create fast path of field tracking gives exactly what the general diff gives."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from minikube_py.api.machinery import fieldsets, managedfields
from minikube_py.api.registry import REGISTRY

NOW = "2026-12-03T10:00:00Z"

DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"},
                 "annotations": {"a": "b"}, "finalizers": ["x/y"], "uid": "u",
                 "resourceVersion": "3", "generation": 1, "creationTimestamp": NOW},
    "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
             "strategy": {"type": "RollingUpdate",
                          "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
             "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                 "containers": [{"name": "c", "image": "nginx", "ports": [
                     {"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}],
                     "env": [{"name": "A", "value": "1"}], "resources": {},
                     "args": ["x", "y"]},
                     {"name": "side", "image": "busybox"}],
                 "volumes": [{"name": "v", "emptyDir": {}}],
                 "tolerations": [{"key": "k", "operator": "Exists"}]}}},
    "status": {"replicas": 1},
}
SERVICE = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "s", "namespace": "default"},
           "spec": {"ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}],
                    "selector": {"app": "web"}, "type": "ClusterIP"}}
CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
             "data": {"k": "", "z": "v"}, "binaryData": {}}


def slow(obj: dict[str, Any], rt: Any, subresource: str = "") -> Any:
    """The general path: a diff against an empty object."""
    added = fieldsets.compare({}, fieldsets.owned_content(obj, subresource), rt.schema).added
    entries = [managedfields.ManagedFieldsEntry(
        manager="m", operation=managedfields.UPDATE, api_version=obj["apiVersion"], time=NOW,
        subresource=subresource, fields=frozenset(added))]
    return managedfields.encode_entries(entries)


@pytest.mark.parametrize("obj, kind, subresource", [
    pytest.param(DEPLOYMENT, "deployments", "", id="deployment"),
    pytest.param(DEPLOYMENT, "deployments", "status", id="deployment-status"),
    pytest.param(SERVICE, "services", "", id="service"),
    pytest.param(CONFIGMAP, "configmaps", "", id="configmap"),
])
def test_create_fast_path_equals_the_diff(obj: dict[str, Any], kind: str,
                                          subresource: str) -> None:
    """managedFields of a created object match the diff-based computation exactly."""
    rt = REGISTRY.resolve(kind)
    new = copy.deepcopy(obj)
    managedfields.record_update(None, new, manager="m", schema=rt.schema, now=NOW,
                      subresource=subresource)
    assert new["metadata"].get("managedFields", []) == slow(obj, rt, subresource)
