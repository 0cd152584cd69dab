"""SelfSubjectReview: who am I? (authentication.k8s.io/v1; ``kubectl auth whoami``).
Create-only, not stored: the answer is the requester's user info after impersonation.

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``)."""

from __future__ import annotations

from typing import Any

from minikube_py.api.access import Reviewer
from minikube_py.api.kinds.authorization.review import ReviewStrategy, answered
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import authorization as schemas
from minikube_py.api.wire import UserInfo


class SelfSubjectReviewStrategy(ReviewStrategy):
    async def answer(self, obj: dict[str, Any], *, user: UserInfo,
                     reviewer: Reviewer) -> dict[str, Any]:
        return answered(obj, RESOURCE, {"userInfo": user.to_wire()})


RESOURCE = ResourceType("authentication.k8s.io", "v1", "SelfSubjectReview",
                        "selfsubjectreviews", False, schemas.SELF_SUBJECT_REVIEW,
                        verbs=("create",), strategy=SelfSubjectReviewStrategy())
