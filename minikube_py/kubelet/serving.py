"""Finding what a streaming request (pods/log, exec, portforward) is for: the pod, through
the API as the caller sees it, and the kubelet of its node in this process
(:data:`.kubelet.KUBELETS`), as kube-apiserver finds the node's kubelet port."""

from __future__ import annotations

import asyncio
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


CONNECT_TIMEOUT = 10.0  # seconds a port-forward waits for the pod's port to accept


class ForwardError(Exception):
    """A pod port that port-forward cannot reach; the message is the kubelet's words."""


async def dial_pod(kubelet: Kubelet, pod: Object, port: int
                   ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection to ``port`` of ``pod`` where this node reaches it (port-forward, both
    protocols); ForwardError naming the pod when it cannot be made."""
    try:
        host, dial_port = kubelet.dial_address(pod, port)
        return await asyncio.wait_for(asyncio.open_connection(host, dial_port),
                                      CONNECT_TIMEOUT)
    except (OSError, TimeoutError, LookupError) as exc:
        meta = pod["metadata"]
        raise ForwardError(f"error forwarding port {port} to pod {meta.get('namespace')}/"
                           f"{meta.get('name')}, uid {meta.get('uid', '')}: "
                           f"{exc or type(exc).__name__}") from None
