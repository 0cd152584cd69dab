"""Admission plugins: what every write passes through after decoding and defaulting.

As in Kubernetes, mutating plugins run first (they may change the object), then validation,
then validating plugins (they may only refuse). The chain the apiserver uses:

- mutating: DefaultTolerationSeconds (pods tolerate ``not-ready``/``unreachable`` for 300 s)
  and Priority (a pod's ``priority`` and ``preemptionPolicy`` from its PriorityClass, or
  from the ``globalDefault`` class, else 0);
- mutating, in ``admission_classes.py`` (added by the apiserver after these): RuntimeClass
  (a pod's overhead and scheduling from its RuntimeClass), DefaultIngressClass (an Ingress
  without a class gets the default one) and DefaultStorageClass (so does a
  PersistentVolumeClaim);
- validating: NamespaceLifecycle (no new content in a namespace that is missing or
  terminating; the system namespaces cannot be deleted).

Last in each list, the admission webhooks (``apiserver/webhooks/``): the mutating and
validating webhook configurations users store, called for the requests they match.

LimitRanger (``limitranger.py``) and ResourceQuota (``resourcequota.py``) are added by the
apiserver (``server.py``); a later issue adds ServiceAccount here.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from minikube_py.api.errors import Forbidden, NotFound
from minikube_py.api.registry import REGISTRY, ResourceType
from minikube_py.api.wire import SYSTEM_ADMIN, UserInfo

# Who the request being served runs as (set by ApiServer.handle around each request, after
# authentication and impersonation): what plugins that judge the requester read.
REQUESTER: contextvars.ContextVar[UserInfo] = contextvars.ContextVar("requester",
                                                                     default=SYSTEM_ADMIN)


@dataclass
class WriteContext:
    """What admission sees of a write."""

    rt: ResourceType
    operation: str  # CREATE, UPDATE, DELETE
    namespace: str
    name: str
    obj: dict[str, Any] | None
    old: dict[str, Any] | None
    subresource: str = ""
    dry_run: bool = False
    #: Warnings for the client (admission webhooks' answers), sent as Warning headers.
    warnings: list[str] = field(default_factory=list)

    @property
    def user(self) -> UserInfo:
        return REQUESTER.get()


Admit = Callable[[WriteContext], Awaitable[None]]
# Reads an object the way a plugin may: (resource type, namespace, name) -> object or None.
Getter = Callable[[ResourceType, str, str], dict[str, Any] | None]
# Lists every object of a resource type (cluster-scoped kinds such as PriorityClass).
ListAll = Callable[[ResourceType], list[dict[str, Any]]]

IMMORTAL_NAMESPACES = ("default", "kube-system", "kube-public")
DEFAULT_TOLERATION_SECONDS = 300
NOT_READY_TAINT = "node.kubernetes.io/not-ready"
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"
# The two classes every cluster has (created at daemon start; known here even before that).
SYSTEM_PRIORITY_CLASSES = {"system-cluster-critical": 2_000_000_000,
                           "system-node-critical": 2_000_001_000}
DEFAULT_PREEMPTION_POLICY = "PreemptLowerPriority"

_NAMESPACES = REGISTRY.by_path("", "v1", "namespaces")
_PODS = REGISTRY.by_path("", "v1", "pods")
_PRIORITY_CLASSES = REGISTRY.by_path("scheduling.k8s.io", "v1", "priorityclasses")


@dataclass
class AdmissionChain:
    mutating: list[Admit] = field(default_factory=list)
    validating: list[Admit] = field(default_factory=list)

    async def mutate(self, ctx: WriteContext) -> None:
        for plugin in self.mutating:
            await plugin(ctx)

    async def validate(self, ctx: WriteContext) -> None:
        for plugin in self.validating:
            await plugin(ctx)


def default_admission(get: Getter, list_all: ListAll | None = None) -> AdmissionChain:
    return AdmissionChain(mutating=[default_toleration_seconds, Priority(get, list_all)],
                          validating=[NamespaceLifecycle(get)])


def _pod_create(ctx: WriteContext) -> dict[str, Any] | None:
    """The spec of a pod being created (not through a subresource), else None."""
    if ctx.rt is not _PODS or ctx.operation != "CREATE" or ctx.subresource or ctx.obj is None:
        return None
    spec = ctx.obj.setdefault("spec", {})
    return spec if isinstance(spec, dict) else None


async def default_toleration_seconds(ctx: WriteContext) -> None:
    """A new pod tolerates the not-ready and unreachable taints for 300 s (unless it says
    otherwise), so a node that goes away evicts its pods after five minutes."""
    spec = _pod_create(ctx)
    if spec is None:
        return
    tolerations = spec.get("tolerations")
    if not isinstance(tolerations, list):
        tolerations = spec["tolerations"] = []
    for taint in (NOT_READY_TAINT, UNREACHABLE_TAINT):
        if not any(_tolerates_no_execute(t, taint) for t in tolerations):
            tolerations.append({"key": taint, "operator": "Exists", "effect": "NoExecute",
                                "tolerationSeconds": DEFAULT_TOLERATION_SECONDS})


def _tolerates_no_execute(toleration: Any, taint: str) -> bool:
    if not isinstance(toleration, dict):
        return False
    return toleration.get("key", "") in (taint, "") and \
        toleration.get("effect", "") in ("NoExecute", "")


class Priority:
    """A new pod's ``priority`` comes from its PriorityClass, else from the class marked
    ``globalDefault``, else 0; a priority the client set that differs is refused, and an
    unknown class name too, as Kubernetes' Priority admission plugin does."""

    def __init__(self, get: Getter, list_all: ListAll | None = None) -> None:
        self.get = get
        self.list_all = list_all

    def _class(self, name: str) -> dict[str, Any] | None:
        if _PRIORITY_CLASSES is None:
            return None
        return self.get(_PRIORITY_CLASSES, "", name)

    def _global_default(self) -> dict[str, Any] | None:
        if _PRIORITY_CLASSES is None or self.list_all is None:
            return None
        defaults = [c for c in self.list_all(_PRIORITY_CLASSES) if c.get("globalDefault")]
        # Several defaults can exist for a moment: Kubernetes takes the lowest value.
        return min(defaults, key=lambda c: int(c.get("value") or 0), default=None)

    async def __call__(self, ctx: WriteContext) -> None:
        spec = _pod_create(ctx)
        if spec is None:
            return
        class_name = spec.get("priorityClassName") or ""
        policy = DEFAULT_PREEMPTION_POLICY
        if class_name:
            found = self._class(class_name)
            if found is None and class_name not in SYSTEM_PRIORITY_CLASSES:
                raise Forbidden(f'pods "{ctx.name}" is forbidden: no PriorityClass with name '
                                f'{class_name} was found', name=ctx.name, kind="pods")
            value = int(found.get("value") or 0) if found is not None else \
                SYSTEM_PRIORITY_CLASSES[class_name]
        else:
            found = self._global_default()
            value = int(found.get("value") or 0) if found is not None else 0
            if found is not None:
                spec["priorityClassName"] = found["metadata"]["name"]
        if found is not None and found.get("preemptionPolicy"):
            policy = str(found["preemptionPolicy"])
        given = spec.get("priority")
        if given is not None and given != value:
            raise Forbidden(f'pods "{ctx.name}" is forbidden: the integer value of priority '
                            f'({given}) must not be provided in pod spec; priority admission '
                            f'controller computed {value} from the given PriorityClass name',
                            name=ctx.name, kind="pods")
        spec["priority"] = value
        spec.setdefault("preemptionPolicy", policy)


class NamespaceLifecycle:
    def __init__(self, get: Getter) -> None:
        self.get = get

    async def __call__(self, ctx: WriteContext) -> None:
        if ctx.rt is _NAMESPACES:
            if ctx.operation == "DELETE" and ctx.name in IMMORTAL_NAMESPACES:
                raise Forbidden(f'namespaces "{ctx.name}" is forbidden: this namespace may not '
                                'be deleted', name=ctx.name, kind="namespaces")
            return
        if not ctx.rt.namespaced or ctx.operation != "CREATE":
            return
        assert _NAMESPACES is not None
        ns = self.get(_NAMESPACES, "", ctx.namespace)
        if ns is None:
            raise NotFound(f'namespaces "{ctx.namespace}" not found', name=ctx.namespace,
                           kind="namespaces")
        if (ns.get("status") or {}).get("phase") == "Terminating" or \
                (ns.get("metadata") or {}).get("deletionTimestamp"):
            if ctx.rt.strategy.creatable_in_terminating_namespace:
                return  # events about the teardown are still recorded
            raise Forbidden(f'{ctx.rt.plural} "{ctx.name}" is forbidden: unable to create new '
                            f'content in namespace {ctx.namespace} because it is being '
                            'terminated', name=ctx.name, group=ctx.rt.group,
                            kind=ctx.rt.plural)
