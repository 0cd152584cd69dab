"""SubjectAccessReview: may this user (or these groups) do this? (authorization.k8s.io/v1;
what webhooks and aggregated servers ask). Create-only, not stored.

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``)."""

from __future__ import annotations

from typing import Any

from minikube_py.api.access import Reviewer
from minikube_py.api.errors import Cause
from minikube_py.api.kinds.authorization import review
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import authorization as schemas
from minikube_py.api.validation.base import invalid
from minikube_py.api.wire import UserInfo


def validate_subject(spec: dict[str, Any]) -> list[Cause]:
    causes = review.validate_attributes(spec)
    if not spec.get("user") and not spec.get("groups"):
        causes.append(invalid("spec.user", spec.get("user") or "",
                              "at least one of user or group must be specified"))
    return causes


class SubjectAccessReviewStrategy(review.ReviewStrategy):
    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validate_subject(review.spec_of(obj))

    async def answer(self, obj: dict[str, Any], *, user: UserInfo,
                     reviewer: Reviewer) -> dict[str, Any]:
        spec = review.spec_of(obj)
        decision = reviewer.authorize(review.attributes(spec, review.spec_user(spec)))
        return review.answered(obj, RESOURCE, review.status(decision))


RESOURCE = ResourceType(review.GROUP, "v1", "SubjectAccessReview", "subjectaccessreviews",
                        False, schemas.SUBJECT_ACCESS_REVIEW, verbs=("create",),
                        strategy=SubjectAccessReviewStrategy())
