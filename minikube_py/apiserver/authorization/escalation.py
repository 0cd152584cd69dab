"""Escalation prevention: nobody grants rights they do not hold (Kubernetes' RBAC
policy-based storage), as a validating admission plugin on RBAC writes.

- A Role or ClusterRole may be created or changed only with rules the requester holds
  already (in its namespace, or cluster-wide for a ClusterRole), unless they may
  ``escalate`` it; an ``aggregationRule`` needs every right (cluster-admin).
- A RoleBinding or ClusterRoleBinding may be created or changed only if the requester holds
  every rule of the role it references, unless they may ``bind`` that role.
- Members of ``system:masters`` skip both checks; so does an update that leaves the rules
  (roles) or the role and subjects (bindings) as they were (finalizers, labels, the GC).

Refusals are 403 ``Forbidden`` naming the missing rights, as Kubernetes words them.
"""

from __future__ import annotations

import json
from typing import Any

from minikube_py.api.access import Attributes
from minikube_py.api.errors import Forbidden
from minikube_py.api.wire import UserInfo
from minikube_py.apiserver.admission import WriteContext
from minikube_py.apiserver.authorization.attributes import forbidden_error
from minikube_py.apiserver.authorization.policy import (
    CLUSTER_ROLE_BINDINGS,
    CLUSTER_ROLES,
    ROLE_BINDINGS,
    ROLES,
    PolicyIndex,
)
from minikube_py.apiserver.authorization.rbac import MASTERS, Authorizer
from minikube_py.apiserver.authorization.rules import Rule, compact, compile_rules, uncovered

_GROUP = "rbac.authorization.k8s.io"
_ROLE_KINDS = {ROLES.plural, CLUSTER_ROLES.plural}
_BINDING_KINDS = {ROLE_BINDINGS.plural, CLUSTER_ROLE_BINDINGS.plural}
FULL_AUTHORITY = compile_rules([{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]},
                                {"verbs": ["*"], "nonResourceURLs": ["*"]}])


class RBACEscalation:
    def __init__(self, authorizer: Authorizer, index: PolicyIndex) -> None:
        self.authorizer = authorizer
        self.index = index

    async def __call__(self, ctx: WriteContext) -> None:
        plural = ctx.rt.plural
        if ctx.rt.group != _GROUP or ctx.operation not in ("CREATE", "UPDATE") or \
                ctx.obj is None or ctx.subresource:
            return
        user = ctx.user
        if MASTERS in user.groups:
            return
        if plural in _ROLE_KINDS:
            self._role(ctx, user)
        elif plural in _BINDING_KINDS:
            self._binding(ctx, user)

    def _allowed(self, user: UserInfo, verb: str, resource: str, namespace: str,
                 name: str) -> bool:
        return self.authorizer.authorize(Attributes(
            user=user, verb=verb, resource_request=True, api_group=_GROUP, api_version="v1",
            resource=resource, namespace=namespace, name=name)).allowed

    def _role(self, ctx: WriteContext, user: UserInfo) -> None:
        obj = ctx.obj or {}
        if ctx.old is not None and obj.get("rules") == ctx.old.get("rules") and \
                obj.get("aggregationRule") == ctx.old.get("aggregationRule"):
            return
        if self._allowed(user, "escalate", ctx.rt.plural, ctx.namespace, ctx.name):
            return
        if obj.get("aggregationRule") is not None and \
                self._missing(user, "", FULL_AUTHORITY):
            raise forbidden_error(_GROUP, ctx.rt.plural, ctx.name, "must have cluster-admin "
                                  "privileges to use the aggregationRule")
        self._confirm(ctx, user, compile_rules(obj.get("rules")))

    def _binding(self, ctx: WriteContext, user: UserInfo) -> None:
        obj = ctx.obj or {}
        if ctx.old is not None and obj.get("subjects") == ctx.old.get("subjects") and \
                obj.get("roleRef") == ctx.old.get("roleRef"):
            return
        ref: dict[str, Any] = obj.get("roleRef") or {}
        ref_type, role = str(ref.get("kind") or ""), str(ref.get("name") or "")
        resource = "roles" if ref_type == "Role" else "clusterroles"
        if self._allowed(user, "bind", resource, ctx.namespace, role):
            return
        self.index.sync()
        self._confirm(ctx, user, self.index.reference_rules(ref_type, role, ctx.namespace))

    def _missing(self, user: UserInfo, namespace: str, wanted: tuple[Rule, ...]) -> list[Rule]:
        owned = self.authorizer.rules(user, namespace)
        return [] if owned is None else uncovered(owned, wanted)

    def _confirm(self, ctx: WriteContext, user: UserInfo, wanted: tuple[Rule, ...]) -> None:
        missing = self._missing(user, ctx.namespace, wanted)
        if missing:
            raise _escalation(ctx, user, missing)


def _escalation(ctx: WriteContext, user: UserInfo, missing: list[Rule]) -> Forbidden:
    groups = "[" + " ".join(json.dumps(g) for g in user.groups) + "]"
    why = (f'user "{user.name}" (groups={groups}) is attempting to grant RBAC permissions '
           "not currently held:\n" + "\n".join(compact(r) for r in missing))
    return forbidden_error(_GROUP, ctx.rt.plural, ctx.name, why)
