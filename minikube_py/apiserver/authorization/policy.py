"""The RBAC policy index: roles and bindings from the store, indexed by subject, kept current.

The apiserver lists the four RBAC resources once and then follows them with store watches:
a background task applies events as they come, and every look-up first takes whatever is
ready without waiting (``Watcher.take_ready``), so a request sees every RBAC write committed
before it (read your writes: a RoleBinding works from the next request on).

Bindings are indexed by subject key — ``u:<user>`` (a ServiceAccount subject is the user
``system:serviceaccount:<ns>:<name>``) and ``g:<group>`` — cluster-wide and per namespace;
roles are kept with their rules compiled. So what a request costs is the bindings of its
user and groups and the rules of their roles, never a scan of all bindings.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from minikube_py.api.registry import REGISTRY
from minikube_py.api.wire import UserInfo
from minikube_py.apiserver.authorization.rules import Rule, compile_rules
from minikube_py.store.errors import Compacted
from minikube_py.store.interface import Storage
from minikube_py.store.watch import DELETED, Event, Watcher, WatchOverflow
from minikube_py.util.tasks import TaskGroup

log = logging.getLogger(__name__)

_GROUP = "rbac.authorization.k8s.io"
ROLES = REGISTRY.require(_GROUP, "v1", "roles")
CLUSTER_ROLES = REGISTRY.require(_GROUP, "v1", "clusterroles")
ROLE_BINDINGS = REGISTRY.require(_GROUP, "v1", "rolebindings")
CLUSTER_ROLE_BINDINGS = REGISTRY.require(_GROUP, "v1", "clusterrolebindings")
_PREFIXES = tuple(rt.prefix() for rt in (ROLES, CLUSTER_ROLES, ROLE_BINDINGS,
                                          CLUSTER_ROLE_BINDINGS))
SA_PREFIX = "system:serviceaccount:"


@dataclass(frozen=True, slots=True)
class Binding:
    """A binding as the index keeps it: where it is, what it grants."""

    kind: str  # RoleBinding | ClusterRoleBinding
    namespace: str
    name: str
    role_type: str  # Role | ClusterRole
    role_name: str

    def describe(self, subject: str) -> str:
        """``RoleBinding "name/ns" of Role "r" to User "u"`` (the RBAC reason's source)."""
        where = f"{self.name}/{self.namespace}" if self.namespace else self.name
        return (f'{self.kind} "{where}" of {self.role_type} "{self.role_name}" to '
                f"{subject}")


Grant = tuple[Binding, str, tuple[Rule, ...]]


def subject_keys(subject: Any, namespace: str) -> tuple[str, str] | None:
    """The index key of a binding's subject and how the RBAC reason names it."""
    if not isinstance(subject, dict):
        return None
    subject_type, name = subject.get("kind"), str(subject.get("name") or "")
    if subject_type == "User":
        return f"u:{name}", f'User "{name}"'
    if subject_type == "Group":
        return f"g:{name}", f'Group "{name}"'
    if subject_type == "ServiceAccount":
        ns = str(subject.get("namespace") or namespace)
        return f"u:{SA_PREFIX}{ns}:{name}", f'ServiceAccount "{ns}/{name}"'
    return None


@functools.lru_cache(maxsize=4096)
def user_keys(user: UserInfo) -> tuple[str, ...]:
    """The index keys of a user: its name and each group (cached: a request's user is
    usually one of a few)."""
    return (f"u:{user.name}", *(f"g:{g}" for g in user.groups))


class PolicyIndex:
    """Roles and bindings by subject, from one store, current to its last committed write."""

    def __init__(self, store: Storage) -> None:
        self.store = store
        self.roles: dict[tuple[str, str], tuple[Rule, ...]] = {}
        self.cluster_roles: dict[str, tuple[Rule, ...]] = {}
        # subject key -> {binding name: (binding, subject)}
        self.cluster_bindings: dict[str, dict[str, tuple[Binding, str]]] = {}
        # (subject key, namespace) -> {binding name: (binding, subject)}
        self.role_bindings: dict[tuple[str, str], dict[str, tuple[Binding, str]]] = {}
        self._subjects: dict[str, list[str]] = {}  # store key -> subject keys it indexed
        # (user, namespace) -> what applies to them: (binding, subject, rules), in visiting
        # order. Emptied by every change of roles or bindings, so it is never stale.
        self._grants: dict[tuple[UserInfo, str], list[Grant]] = {}
        self._watchers: list[Watcher] = []
        self._tasks = TaskGroup("rbac-policy")
        self.revision = 0

    # -- life cycle --------------------------------------------------------------------------

    async def start(self) -> None:
        await self._load()
        self._tasks.spawn(self._follower(), name="rbac-policy-follower")

    async def stop(self) -> None:
        await self._tasks.stop()
        self._close_watchers()

    def _close_watchers(self) -> None:
        for watcher in self._watchers:
            watcher.close()
        self._watchers = []

    async def _load(self) -> None:
        """List everything, then watch from the list's revision (no await in between the
        lists: one snapshot)."""
        self._close_watchers()
        self.roles.clear()
        self.cluster_roles.clear()
        self.cluster_bindings.clear()
        self.role_bindings.clear()
        self._subjects.clear()
        revision = 0
        for prefix in _PREFIXES:
            entries, revision = self.store.list_prefix(prefix)
            for entry in entries:
                self._apply(entry.key, entry.decode())
        self.revision = revision
        self._watchers = [await self.store.watch(prefix, revision) for prefix in _PREFIXES]

    async def _follower(self) -> None:
        """Applies events as they come (so a quiet apiserver's watchers never fall behind);
        relists when a watch overflowed, was closed or its revision was compacted."""
        while True:
            try:
                if not self._watchers:
                    await self._load()
                for watcher in list(self._watchers):
                    batch = await watcher.next_batch(0.5)
                    if batch is None:
                        raise WatchOverflow("the watch was closed")
                    self._apply_events(batch)
            except (WatchOverflow, Compacted) as exc:
                log.warning("RBAC policy watch restarted: %s", exc)
                self._close_watchers()
                await asyncio.sleep(0.1)

    def sync(self) -> None:
        """Take every committed RBAC event not applied yet (without waiting)."""
        for watcher in self._watchers:
            try:
                batch = watcher.take_ready()
            except WatchOverflow:
                continue  # the follower relists
            if batch:
                self._apply_events(batch)

    def _apply_events(self, events: list[Event]) -> None:
        for event in events:
            self._apply(event.key, None if event.type == DELETED else event.object)
            self.revision = max(self.revision, event.rev)

    # -- the index ---------------------------------------------------------------------------

    def _apply(self, key: str, obj: dict[str, Any] | None) -> None:
        self._grants.clear()
        rest = key.split("/")  # "", registry, resource, [ns,] name
        resource = rest[2]
        if resource == ROLES.plural:
            ns, name = rest[3], rest[4]
            if obj is None:
                self.roles.pop((ns, name), None)
            else:
                self.roles[(ns, name)] = compile_rules(obj.get("rules"))
        elif resource == CLUSTER_ROLES.plural:
            if obj is None:
                self.cluster_roles.pop(rest[3], None)
            else:
                self.cluster_roles[rest[3]] = compile_rules(obj.get("rules"))
        elif resource in (ROLE_BINDINGS.plural, CLUSTER_ROLE_BINDINGS.plural):
            self._unbind(key)
            if obj is not None:
                self._bind(key, obj)

    def _bind(self, key: str, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        ns = str(meta.get("namespace") or "")
        ref = obj.get("roleRef") or {}
        binding = Binding("RoleBinding" if ns else "ClusterRoleBinding", ns,
                          str(meta.get("name") or ""), str(ref.get("kind") or ""),
                          str(ref.get("name") or ""))
        keys = []
        for subject in obj.get("subjects") or []:
            found = subject_keys(subject, ns)
            if found is None:
                continue
            skey, described = found
            table = self.role_bindings.setdefault((skey, ns), {}) if ns else \
                self.cluster_bindings.setdefault(skey, {})
            table[binding.name] = (binding, described)
            keys.append(skey)
        self._subjects[key] = keys

    def _unbind(self, key: str) -> None:
        keys = self._subjects.pop(key, None)
        if not keys:
            return
        rest = key.split("/")
        ns, name = (rest[3], rest[4]) if len(rest) == 5 else ("", rest[3])
        for skey in keys:
            table = self.role_bindings.get((skey, ns)) if ns else self.cluster_bindings.get(skey)
            if table is not None:
                table.pop(name, None)
                if not table:
                    if ns:
                        del self.role_bindings[(skey, ns)]
                    else:
                        del self.cluster_bindings[skey]

    def role_rules(self, binding: Binding) -> tuple[Rule, ...]:
        if binding.role_type == "ClusterRole":
            return self.cluster_roles.get(binding.role_name, ())
        if binding.role_type == "Role":
            return self.roles.get((binding.namespace, binding.role_name), ())
        return ()

    def missing_role(self, binding: Binding) -> str | None:
        """Why a binding grants nothing because its role does not exist (RBAC's evaluation
        error, in the lister's words), or None."""
        if binding.role_type == "ClusterRole":
            if binding.role_name not in self.cluster_roles:
                return f'clusterrole.rbac.authorization.k8s.io "{binding.role_name}" not found'
        elif (binding.namespace, binding.role_name) not in self.roles:
            return f'role.rbac.authorization.k8s.io "{binding.role_name}" not found'
        return None

    def reference_rules(self, ref_type: str, name: str, namespace: str) -> tuple[Rule, ...]:
        """The rules a roleRef names (GetRoleReferenceRules)."""
        if ref_type == "ClusterRole":
            return self.cluster_roles.get(name, ())
        return self.roles.get((namespace, name), ())

    def bindings_for(self, user: UserInfo, namespace: str) -> Iterator[tuple[Binding, str]]:
        """The bindings that apply to ``user`` in ``namespace``: cluster-wide first, then the
        namespace's (the order Kubernetes visits them in)."""
        keys = user_keys(user)
        for skey in keys:
            table = self.cluster_bindings.get(skey)
            if table:
                yield from table.values()
        if namespace:
            for skey in keys:
                table = self.role_bindings.get((skey, namespace))
                if table:
                    yield from table.values()

    def grants(self, user: UserInfo, namespace: str) -> list[Grant]:
        """The bindings that apply to ``user`` in ``namespace`` with their roles' rules,
        remembered until roles or bindings change (a request's user asks again soon)."""
        found = self._grants.get((user, namespace))
        if found is None:
            found = [(binding, subject, self.role_rules(binding))
                     for binding, subject in self.bindings_for(user, namespace)]
            if len(self._grants) > 10_000:
                self._grants.clear()
            self._grants[(user, namespace)] = found
        return found

    def rules_for(self, user: UserInfo, namespace: str) -> list[Rule]:
        return [rule for _, _, rules in self.grants(user, namespace) for rule in rules]
