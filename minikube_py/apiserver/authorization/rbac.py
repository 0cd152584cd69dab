"""The authorizers: ``RBAC`` over the policy index, and ``AlwaysAllow`` (``up
--authorization-mode AlwaysAllow``, for benches and debugging).

As Kubernetes' authorizer union of the privileged-group authorizer and RBAC: a member of
``system:masters`` is allowed everything without looking at rules; anyone else is allowed
when a rule of a role bound to their user, groups or service account allows the request
(cluster-wide bindings first, then the request namespace's), and otherwise refused.
"""

from __future__ import annotations

from typing import Protocol

from minikube_py.api.access import Attributes, Decision, RulesReview
from minikube_py.api.wire import UserInfo
from minikube_py.apiserver.authorization.policy import PolicyIndex
from minikube_py.apiserver.authorization.rules import Rule

MASTERS = "system:masters"
MODES = ("RBAC", "AlwaysAllow")
ALLOW, NO_OPINION = Decision(True), Decision(False)
_STAR = RulesReview(resource_rules=[{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                    non_resource_rules=[{"verbs": ["*"], "nonResourceURLs": ["*"]}])


class Authorizer(Protocol):
    def authorize(self, attrs: Attributes, *, explain: bool = False) -> Decision:
        """Allowed or not; ``explain`` asks for the reason too (the reviews show it; the
        request path does not pay for the words)."""

    def rules_for(self, user: UserInfo, namespace: str) -> RulesReview: ...

    def rules(self, user: UserInfo, namespace: str) -> list[Rule] | None:
        """The compiled rules of ``user`` in ``namespace``; None means everything."""


def _star() -> RulesReview:
    return RulesReview([dict(r) for r in _STAR.resource_rules],
                       [dict(r) for r in _STAR.non_resource_rules])


class AlwaysAllow:
    def authorize(self, attrs: Attributes, *, explain: bool = False) -> Decision:
        return ALLOW

    def rules_for(self, user: UserInfo, namespace: str) -> RulesReview:
        return _star()

    def rules(self, user: UserInfo, namespace: str) -> list[Rule] | None:
        return None


class RBACAuthorizer:
    def __init__(self, index: PolicyIndex) -> None:
        self.index = index

    def authorize(self, attrs: Attributes, *, explain: bool = False) -> Decision:
        if MASTERS in attrs.user.groups:
            return ALLOW
        index = self.index
        index.sync()
        for binding, subject, rules in index.grants(attrs.user, attrs.namespace):
            for rule in rules:
                if rule.allows(attrs):
                    if not explain:
                        return ALLOW
                    return Decision(True, f"RBAC: allowed by {binding.describe(subject)}")
        return self._refusal(attrs)

    def _refusal(self, attrs: Attributes) -> Decision:
        """No rule allows: Kubernetes adds the evaluation errors (bindings whose role is
        missing) as the reason, ``RBAC: role.rbac.authorization.k8s.io "x" not found``."""
        errors = [why for binding, _, _ in self.index.grants(attrs.user, attrs.namespace)
                  if (why := self.index.missing_role(binding)) is not None]
        if not errors:
            return NO_OPINION
        return Decision(False, "RBAC: " + (errors[0] if len(errors) == 1 else
                                           "[" + ", ".join(errors) + "]"))

    def rules(self, user: UserInfo, namespace: str) -> list[Rule] | None:
        if MASTERS in user.groups:
            return None
        self.index.sync()
        return self.index.rules_for(user, namespace)

    def rules_for(self, user: UserInfo, namespace: str) -> RulesReview:
        rules = self.rules(user, namespace)
        if rules is None:
            return _star()
        review = RulesReview()
        for rule in rules:
            src = rule.source
            if rule.urls:
                review.non_resource_rules.append({"verbs": list(src.get("verbs") or []),
                                                  "nonResourceURLs": list(rule.urls)})
            elif rule.resources:
                out = {"verbs": list(src.get("verbs") or []),
                       "apiGroups": list(src.get("apiGroups") or []),
                       "resources": list(src.get("resources") or [])}
                if rule.names:
                    out["resourceNames"] = list(src.get("resourceNames") or [])
                review.resource_rules.append(out)
        return review


def build(mode: str, index: PolicyIndex) -> Authorizer:
    if mode == "AlwaysAllow":
        return AlwaysAllow()
    if mode == "RBAC":
        return RBACAuthorizer(index)
    raise ValueError(f"unknown authorization mode {mode!r}: one of {', '.join(MODES)}")
