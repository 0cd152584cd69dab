"""Admission plugins: checks every write passes after validation, before the store.

NamespaceLifecycle (as Kubernetes'): no new content in a namespace that does not exist or is
terminating; the namespaces the system needs cannot be deleted. Later issues add LimitRanger,
ResourceQuota and ServiceAccount here.
"""

from __future__ import annotations

from minikube_py.api.errors import Forbidden, NotFound
from minikube_py.api.registry import REGISTRY
from minikube_py.apiserver.rest import WriteContext
from minikube_py.store.sqlite import Store

IMMORTAL_NAMESPACES = ("default", "kube-system", "kube-public")

_NAMESPACES = REGISTRY.by_path("", "v1", "namespaces")


class NamespaceLifecycle:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def __call__(self, ctx: WriteContext) -> None:
        if ctx.rt is _NAMESPACES:
            if ctx.operation == "DELETE" and ctx.name in IMMORTAL_NAMESPACES:
                raise Forbidden(f'namespaces "{ctx.name}" is forbidden: this namespace may not '
                                'be deleted', name=ctx.name, kind="namespaces")
            return
        if not ctx.rt.namespaced or ctx.operation != "CREATE":
            return
        assert _NAMESPACES is not None
        ns = self.store.get(_NAMESPACES.key(None, ctx.namespace))
        if ns is None:
            raise NotFound(f'namespaces "{ctx.namespace}" not found', name=ctx.namespace,
                           kind="namespaces")
        if (ns.get("status") or {}).get("phase") == "Terminating" or \
                (ns.get("metadata") or {}).get("deletionTimestamp"):
            if ctx.rt.kind == "Event" and ctx.rt.group == "":
                return  # events about the teardown are still recorded
            raise Forbidden(f'{ctx.rt.plural} "{ctx.name}" is forbidden: unable to create new '
                            f'content in namespace {ctx.namespace} because it is being '
                            'terminated', name=ctx.name, group=ctx.rt.group,
                            kind=ctx.rt.plural)
