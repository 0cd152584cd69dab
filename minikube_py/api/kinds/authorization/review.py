"""What the access reviews share: their validation (pkg/apis/authorization/validation), the
spec as :class:`~minikube_py.api.access.Attributes`, and the status of a decision."""

from __future__ import annotations

from typing import Any

from minikube_py.api.access import Attributes, Decision, Reviewer
from minikube_py.api.errors import Cause
from minikube_py.api.resource import ResourceType
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation.base import invalid
from minikube_py.api.wire import UserInfo

GROUP = "authorization.k8s.io"


def spec_of(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def validate_attributes(spec: dict[str, Any]) -> list[Cause]:
    """Exactly one of ``resourceAttributes`` and ``nonResourceAttributes``."""
    res, non = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if res is not None and non is not None:
        return [invalid("spec.nonResourceAttributes", non,
                        "cannot be specified in combination with resourceAttributes")]
    if res is None and non is None:
        return [invalid("spec.resourceAttributes", None, "exactly one of "
                        "nonResourceAttributes or resourceAttributes must be specified")]
    return []


def attributes(spec: dict[str, Any], user: UserInfo) -> Attributes:
    """The request a review asks about (authorizationutil.AuthorizationAttributesFrom)."""
    res = spec.get("resourceAttributes")
    if isinstance(res, dict):
        return Attributes(user=user, verb=str(res.get("verb") or ""), resource_request=True,
                          namespace=str(res.get("namespace") or ""),
                          api_group=str(res.get("group") or ""),
                          api_version=str(res.get("version") or ""),
                          resource=str(res.get("resource") or ""),
                          subresource=str(res.get("subresource") or ""),
                          name=str(res.get("name") or ""))
    non = spec.get("nonResourceAttributes") or {}
    return Attributes(user=user, verb=str(non.get("verb") or ""), resource_request=False,
                      path=str(non.get("path") or ""))


def status(decision: Decision) -> dict[str, Any]:
    out: dict[str, Any] = {"allowed": decision.allowed}
    if decision.reason:
        out["reason"] = decision.reason
    return out


def spec_user(spec: dict[str, Any]) -> UserInfo:
    """The user a SubjectAccessReview names (``system:authenticated`` is not added: the
    review asks about exactly the groups it lists, as Kubernetes')."""
    extra = spec.get("extra") if isinstance(spec.get("extra"), dict) else {}
    assert isinstance(extra, dict)
    return UserInfo(str(spec.get("user") or ""), tuple(spec.get("groups") or ()),
                    uid=str(spec.get("uid") or ""),
                    extra=tuple(sorted((str(k), tuple(v or ())) for k, v in extra.items())))


def answered(obj: dict[str, Any], rt: ResourceType, status_: dict[str, Any]) -> dict[str, Any]:
    """The review as it goes back: the body the client sent, its status filled in."""
    out = dict(obj)
    out["apiVersion"], out["kind"] = rt.api_version, rt.kind
    out.setdefault("metadata", {})
    out["status"] = status_
    return out


class ReviewStrategy(Strategy):
    """A review: create-only, never stored."""

    stored = False

    async def answer(self, obj: dict[str, Any], *, user: UserInfo,
                     reviewer: Reviewer) -> dict[str, Any]:
        raise NotImplementedError
