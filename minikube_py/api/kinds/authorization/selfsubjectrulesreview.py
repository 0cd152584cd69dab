"""SelfSubjectRulesReview: what may I do in this namespace? (authorization.k8s.io/v1;
``kubectl auth can-i --list``). Create-only, not stored.

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``)."""

from __future__ import annotations

from typing import Any

from minikube_py.api.access import Reviewer
from minikube_py.api.errors import BadRequest
from minikube_py.api.kinds.authorization import review
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import authorization as schemas
from minikube_py.api.wire import UserInfo


class SelfSubjectRulesReviewStrategy(review.ReviewStrategy):
    async def answer(self, obj: dict[str, Any], *, user: UserInfo,
                     reviewer: Reviewer) -> dict[str, Any]:
        namespace = str(review.spec_of(obj).get("namespace") or "")
        if not namespace:
            raise BadRequest("no namespace on request")
        rules = reviewer.rules_for(user, namespace)
        status: dict[str, Any] = {"resourceRules": rules.resource_rules,
                                  "nonResourceRules": rules.non_resource_rules,
                                  "incomplete": rules.incomplete}
        if rules.evaluation_error:
            status["evaluationError"] = rules.evaluation_error
        return review.answered(obj, RESOURCE, status)


RESOURCE = ResourceType(review.GROUP, "v1", "SelfSubjectRulesReview",
                        "selfsubjectrulesreviews", False, schemas.SELF_SUBJECT_RULES_REVIEW,
                        verbs=("create",), strategy=SelfSubjectRulesReviewStrategy())
