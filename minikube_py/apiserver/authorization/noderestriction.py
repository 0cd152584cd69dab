"""NodeRestriction: what a kubelet's identity may write beyond its RBAC role (Kubernetes'
NodeRestriction admission plugin), a validating admission plugin.

RBAC's ``system:node`` role lets any node write any Node and any pod's status; this plugin
narrows a request from ``system:node:<name>`` (in ``system:nodes``) to its own: its Node
object, its Lease in ``kube-node-lease``, and the status and deletion of pods bound to it
(``spec.nodeName``); it may not create pods (we have no mirror pods). Everyone else passes.
"""

from __future__ import annotations

from typing import Any

from minikube_py.apiserver.admission import WriteContext
from minikube_py.apiserver.authorization.attributes import forbidden_error

NODE_PREFIX = "system:node:"
NODES_GROUP = "system:nodes"
LEASE_NAMESPACE = "kube-node-lease"


def node_name(ctx: WriteContext) -> str | None:
    user = ctx.user
    if not user.name.startswith(NODE_PREFIX) or NODES_GROUP not in user.groups:
        return None
    return user.name[len(NODE_PREFIX):] or None


def _bound_to(pod: dict[str, Any] | None) -> str:
    return str(((pod or {}).get("spec") or {}).get("nodeName") or "")


async def node_restriction(ctx: WriteContext) -> None:
    node = node_name(ctx)
    if node is None:
        return
    rt = ctx.rt
    if rt.group == "" and rt.plural == "nodes":
        if ctx.name != node:
            raise _forbidden(ctx, f'node "{node}" is not allowed to modify node "{ctx.name}"')
    elif rt.group == "coordination.k8s.io" and rt.plural == "leases" and \
            ctx.namespace == LEASE_NAMESPACE:
        if ctx.name != node:
            raise _forbidden(ctx, f'node "{node}" can only access node lease with the same '
                                  "name as the requesting node")
    elif rt.group == "" and rt.plural == "pods":
        _pod(ctx, node)


def _pod(ctx: WriteContext, node: str) -> None:
    if ctx.operation == "CREATE" and not ctx.subresource:
        raise _forbidden(ctx, f'node "{node}" can only create mirror pods')
    if ctx.operation == "DELETE" and _bound_to(ctx.old) != node:
        raise _forbidden(ctx, f'node "{node}" can only delete pods with spec.nodeName set '
                              "to itself")
    if ctx.operation == "UPDATE" and _bound_to(ctx.old) != node:
        raise _forbidden(ctx, f'node "{node}" can only update pod status for pods with '
                              "spec.nodeName set to itself")


def _forbidden(ctx: WriteContext, why: str) -> Exception:
    return forbidden_error(ctx.rt.group, ctx.rt.plural, ctx.name, why)
