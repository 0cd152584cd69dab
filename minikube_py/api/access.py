"""Who may do what: the attributes an authorizer decides on, its decision, and the
:class:`Reviewer` seam through which the review kinds are answered.

The apiserver's authorizer (``apiserver/authorization``) makes :class:`Attributes` from every
request (Kubernetes' ``authorizer.Attributes``) and decides; the kinds of
``authorization.k8s.io`` and ``authentication.k8s.io`` (``api/kinds/authorization``,
``api/kinds/authentication``) are not stored: their strategy answers a create by asking a
:class:`Reviewer`, which the apiserver implements over its authorizer and authenticators.
This module sits in the api layer so that both sides share the record without the api layer
knowing the apiserver.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from minikube_py.api.wire import UserInfo


@dataclass(slots=True)
class Attributes:
    """One request as an authorizer sees it: a resource request (verb on group/resource/
    subresource, maybe a namespace and a name) or a non-resource one (verb on a path)."""

    user: UserInfo
    verb: str
    resource_request: bool
    namespace: str = ""
    api_group: str = ""
    api_version: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""
    path: str = ""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


@dataclass
class RulesReview:
    """What a user may do in a namespace (SelfSubjectRulesReview's status)."""

    resource_rules: list[dict[str, Any]] = field(default_factory=list)
    non_resource_rules: list[dict[str, Any]] = field(default_factory=list)
    incomplete: bool = False
    evaluation_error: str = ""


class Reviewer(Protocol):
    """What the review kinds ask the apiserver."""

    def authorize(self, attrs: Attributes) -> Decision:
        """The authorizer's decision on ``attrs``."""

    def rules_for(self, user: UserInfo, namespace: str) -> RulesReview:
        """The rules that apply to ``user`` in ``namespace`` (and cluster-wide)."""

    async def authenticate_token(self, token: str) -> UserInfo | None:
        """The user a bearer token stands for, through the authenticator chain."""


class NoReviewer:
    """A reviewer for a pipeline without authorization (tests on a bare ApiServer): every
    request is allowed, no token is known."""

    def authorize(self, attrs: Attributes) -> Decision:
        return Decision(True, "no authorizer configured")

    def rules_for(self, user: UserInfo, namespace: str) -> RulesReview:
        return RulesReview(resource_rules=[{"verbs": ["*"], "apiGroups": ["*"],
                                            "resources": ["*"]}],
                           non_resource_rules=[{"verbs": ["*"], "nonResourceURLs": ["*"]}])

    async def authenticate_token(self, token: str) -> UserInfo | None:
        return None
