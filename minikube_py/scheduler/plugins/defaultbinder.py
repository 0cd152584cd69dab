"""DefaultBinder: bind the pod to its node through the ``pods/binding`` subresource."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minikube_py.api.errors import StatusError
from minikube_py.api.registry import REGISTRY
from minikube_py.scheduler.framework import CycleState, Handle, Status, error
from minikube_py.scheduler.types import PodInfo

NAME = "DefaultBinder"
_PODS = REGISTRY.by_path("", "v1", "pods")


def binding(pod: PodInfo, node: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Binding",
            "metadata": {"name": pod.name, "namespace": pod.namespace, "uid": pod.uid},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node}}


class DefaultBinder:
    name = NAME

    def __init__(self, handle: Handle) -> None:
        self.handle = handle

    async def bind(self, _state: CycleState, pod: PodInfo, node: str) -> Status | None:
        assert _PODS is not None
        try:
            await self.handle.client.request(
                "POST", _PODS.path(pod.namespace, pod.name, "binding"), body=binding(pod, node))
        except StatusError as exc:
            return error(str(exc))
        return None


def new(_args: Mapping[str, Any], handle: Handle) -> DefaultBinder:
    return DefaultBinder(handle)
