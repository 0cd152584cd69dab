"""TokenReview: whose is this bearer token? (authentication.k8s.io/v1; what webhooks and
aggregated servers ask). Create-only, not stored: the token goes through the apiserver's
authenticator chain.

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``)."""

from __future__ import annotations

from typing import Any

from minikube_py.api.access import Reviewer
from minikube_py.api.errors import BadRequest
from minikube_py.api.kinds.authorization.review import ReviewStrategy, answered, spec_of
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import authorization as schemas
from minikube_py.api.wire import UserInfo


class TokenReviewStrategy(ReviewStrategy):
    async def answer(self, obj: dict[str, Any], *, user: UserInfo,
                     reviewer: Reviewer) -> dict[str, Any]:
        spec = spec_of(obj)
        token = str(spec.get("token") or "")
        if not token:
            raise BadRequest("token is required for TokenReview in authentication")
        found = await reviewer.authenticate_token(token)
        status: dict[str, Any] = {"authenticated": found is not None,
                                  "user": found.to_wire() if found is not None else {}}
        if spec.get("audiences"):
            status["audiences"] = list(spec["audiences"])
        return answered(obj, RESOURCE, status)


RESOURCE = ResourceType("authentication.k8s.io", "v1", "TokenReview", "tokenreviews", False,
                        schemas.TOKEN_REVIEW, verbs=("create",), strategy=TokenReviewStrategy())
