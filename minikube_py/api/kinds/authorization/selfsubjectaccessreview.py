"""SelfSubjectAccessReview: may I do this? (authorization.k8s.io/v1; ``kubectl auth
can-i``). Create-only, not stored: the answer is the authorizer's decision for the user who
asks.

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``)."""

from __future__ import annotations

from typing import Any

from minikube_py.api.access import Reviewer
from minikube_py.api.errors import Cause
from minikube_py.api.kinds.authorization import review
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import authorization as schemas
from minikube_py.api.wire import UserInfo


class SelfSubjectAccessReviewStrategy(review.ReviewStrategy):
    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return review.validate_attributes(review.spec_of(obj))

    async def answer(self, obj: dict[str, Any], *, user: UserInfo,
                     reviewer: Reviewer) -> dict[str, Any]:
        decision = reviewer.authorize(review.attributes(review.spec_of(obj), user))
        return review.answered(obj, RESOURCE, review.status(decision))


RESOURCE = ResourceType(review.GROUP, "v1", "SelfSubjectAccessReview",
                        "selfsubjectaccessreviews", False, schemas.SELF_SUBJECT_ACCESS_REVIEW,
                        verbs=("create",), strategy=SelfSubjectAccessReviewStrategy())
