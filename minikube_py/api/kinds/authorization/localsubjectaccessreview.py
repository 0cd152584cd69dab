"""LocalSubjectAccessReview: a SubjectAccessReview posted in a namespace, about that
namespace only (authorization.k8s.io/v1; what namespace admins may ask). Create-only, not
stored.

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``)."""

from __future__ import annotations

from typing import Any

from minikube_py.api.access import Reviewer
from minikube_py.api.errors import Cause
from minikube_py.api.kinds.authorization import review
from minikube_py.api.kinds.authorization.subjectaccessreview import validate_subject
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import authorization as schemas
from minikube_py.api.validation.base import invalid
from minikube_py.api.wire import UserInfo


class LocalSubjectAccessReviewStrategy(review.ReviewStrategy):
    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        spec = review.spec_of(obj)
        causes = validate_subject(spec)
        namespace = (obj.get("metadata") or {}).get("namespace") or ""
        res = spec.get("resourceAttributes")
        if isinstance(res, dict) and (res.get("namespace") or "") != namespace:
            causes.append(invalid("spec.resourceAttributes.namespace",
                                  res.get("namespace") or "", "must match metadata.namespace"))
        if spec.get("nonResourceAttributes") is not None:
            causes.append(invalid("spec.nonResourceAttributes",
                                  spec.get("nonResourceAttributes"),
                                  "disallowed on this kind of request"))
        return causes

    async def answer(self, obj: dict[str, Any], *, user: UserInfo,
                     reviewer: Reviewer) -> dict[str, Any]:
        spec = review.spec_of(obj)
        decision = reviewer.authorize(review.attributes(spec, review.spec_user(spec)))
        return review.answered(obj, RESOURCE, review.status(decision))


RESOURCE = ResourceType(review.GROUP, "v1", "LocalSubjectAccessReview",
                        "localsubjectaccessreviews", True, schemas.LOCAL_SUBJECT_ACCESS_REVIEW,
                        verbs=("create",), strategy=LocalSubjectAccessReviewStrategy())
