"""The apiserver's :class:`~minikube_py.api.access.Reviewer`: what the review kinds (access
reviews, rules reviews, token reviews) are answered with — the request pipeline's own
authorizer and authenticator chain, so a review says what a request would get."""

from __future__ import annotations

from minikube_py.api.access import Attributes, Decision, RulesReview
from minikube_py.api.wire import UserInfo
from minikube_py.apiserver.authentication import BearerAuthenticator
from minikube_py.apiserver.authorization.rbac import Authorizer


class ApiReviewer:
    def __init__(self, authorizer: Authorizer,
                 authenticator: BearerAuthenticator | None = None) -> None:
        self.authorizer = authorizer
        self.authenticator = authenticator

    def authorize(self, attrs: Attributes) -> Decision:
        return self.authorizer.authorize(attrs, explain=True)

    def rules_for(self, user: UserInfo, namespace: str) -> RulesReview:
        return self.authorizer.rules_for(user, namespace)

    async def authenticate_token(self, token: str) -> UserInfo | None:
        if self.authenticator is None:
            return None
        return await self.authenticator.authenticate_token(token)
