"""Finding what a streaming request (pods/log, exec, portforward) is for: the pod, through
the API as the caller sees it, and the kubelet of its node in this process
(:data:`.kubelet.KUBELETS`), as kube-apiserver finds the node's kubelet port."""

from __future__ import annotations

import json
from typing import Any

from minikube_py.api.errors import BadRequest, NotFound, ServiceUnavailable
from minikube_py.api.wire import ApiRequest, ApiResponse

from .kubelet import KUBELETS, Kubelet

Object = dict[str, Any]


async def pod_of(server: Any, req: ApiRequest, info: Any) -> Object:
    got: ApiResponse = await server.handle(ApiRequest(
        method="GET", path=f"/api/v1/namespaces/{info.namespace}/pods/{info.name}",
        user=req.user, accept="application/json"))
    if got.status >= 400:
        raise NotFound(f'pods "{info.name}" not found')
    body = got.body if got.body is not None else json.loads(got.raw or b"{}")
    return body  # type: ignore[no-any-return]


def kubelet_of(pod: Object) -> Kubelet:
    node = (pod.get("spec") or {}).get("nodeName")
    if not node:
        raise BadRequest(f"pod {pod['metadata']['name']} is not scheduled to a node yet")
    kubelet = KUBELETS.get(str(node))
    if kubelet is None or kubelet.runtime is None:
        raise ServiceUnavailable(f"the kubelet of node {node} is not reachable from the "
                                 "apiserver (it does not run in the daemon)")
    return kubelet
