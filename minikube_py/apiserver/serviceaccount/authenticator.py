"""Authentication of service account tokens (Kubernetes' ``pkg/serviceaccount`` validator):
one of the authenticators the HTTP front end asks in turn (``apiserver/auth.py``).

A bearer token that is a JWT of this cluster's issuer is checked by the
:class:`~.tokens.TokenIssuer` (signature, issuer, time, audience), then against the cluster:
the service account must exist with the uid of the token, and a token bound to a pod only
lives as long as that pod (the same uid; a pod being deleted keeps its tokens for 60 s past
its deletion time, as Kubernetes allows during graceful termination). The user is
``system:serviceaccount:<ns>:<name>`` (uid the account's) in the groups
``system:serviceaccounts``, ``system:serviceaccounts:<ns>`` and ``system:authenticated``.

A token of another kind is not this authenticator's (None: the next one may know it); a token
of ours that fails a check is refused (None too, and logged at debug with the reason).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from minikube_py.api.registry import REGISTRY, ResourceType
from minikube_py.api.wire import UserInfo
from minikube_py.apiserver.serviceaccount.tokens import (
    PRIVATE_CLAIMS,
    TokenInvalid,
    TokenIssuer,
    username,
)
from minikube_py.util.clock import parse_rfc3339

log = logging.getLogger(__name__)

# Reads an object the way admission does: (resource type, namespace, name) -> object or None.
Getter = Callable[[ResourceType, str, str], dict[str, Any] | None]

SERVICE_ACCOUNTS = REGISTRY.require("", "v1", "serviceaccounts")
PODS = REGISTRY.require("", "v1", "pods")
ALL_SERVICE_ACCOUNTS = "system:serviceaccounts"
AUTHENTICATED = "system:authenticated"
POD_DELETION_GRACE = 60.0
EXTRA_POD_NAME = "authentication.kubernetes.io/pod-name"
EXTRA_POD_UID = "authentication.kubernetes.io/pod-uid"
EXTRA_CREDENTIAL_ID = "authentication.kubernetes.io/credential-id"


def service_account_groups(namespace: str) -> tuple[str, ...]:
    return (ALL_SERVICE_ACCOUNTS, f"{ALL_SERVICE_ACCOUNTS}:{namespace}", AUTHENTICATED)


class ServiceAccountTokenAuthenticator:
    """Bearer tokens issued by ``serviceaccounts/<name>/token``."""

    def __init__(self, issuer: TokenIssuer, get: Getter) -> None:
        self.issuer = issuer
        self.get = get

    async def authenticate_token(self, token: str) -> UserInfo | None:
        """One of the chain's token authenticators (``apiserver/authentication.py``)."""
        return self.authenticate_bearer(token)

    def authenticate_bearer(self, token: str) -> UserInfo | None:
        if not self.issuer.is_ours(token):
            return None
        try:
            return self._user(self.issuer.verify(token))
        except TokenInvalid as exc:
            log.debug("service account token refused: %s", exc)
            return None

    def authenticate(self, authorization: str | None) -> UserInfo | None:
        """The user of an ``Authorization: Bearer`` header, if it is one of our tokens."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return None
        return self.authenticate_bearer(token.strip())

    def _user(self, claims: dict[str, Any]) -> UserInfo:
        private = claims[PRIVATE_CLAIMS]
        namespace = str(private.get("namespace") or "")
        account = private.get("serviceaccount") or {}
        name = str(account.get("name") or "") if isinstance(account, dict) else ""
        if not namespace or not name or claims.get("sub") != username(namespace, name):
            raise TokenInvalid("service account token claims are incomplete")
        sa = self.get(SERVICE_ACCOUNTS, namespace, name)
        if sa is None:
            raise TokenInvalid(f"service account {namespace}/{name} has been deleted")
        sa_uid = str((sa.get("metadata") or {}).get("uid") or "")
        if sa_uid != account.get("uid"):
            raise TokenInvalid(f"service account UID ({sa_uid}) does not match claim "
                               f"({account.get('uid')})")
        if (sa.get("metadata") or {}).get("deletionTimestamp"):
            raise TokenInvalid(f"service account {namespace}/{name} has been deleted")
        extra: list[tuple[str, tuple[str, ...]]] = []
        bound = private.get("pod")
        if isinstance(bound, dict):
            self._check_pod(namespace, bound)
            extra += [(EXTRA_POD_NAME, (str(bound.get("name")),)),
                      (EXTRA_POD_UID, (str(bound.get("uid")),))]
        if claims.get("jti"):
            extra.append((EXTRA_CREDENTIAL_ID, (f"JTI={claims['jti']}",)))
        return UserInfo(username(namespace, name), service_account_groups(namespace),
                        uid=sa_uid, extra=tuple(extra))

    def _check_pod(self, namespace: str, bound: dict[str, Any]) -> None:
        name = str(bound.get("name") or "")
        pod = self.get(PODS, namespace, name)
        if pod is None:
            raise TokenInvalid(f"pod {namespace}/{name} has been deleted")
        meta = pod.get("metadata") or {}
        if meta.get("uid") != bound.get("uid"):
            raise TokenInvalid(f"pod UID ({meta.get('uid')}) does not match claim "
                               f"({bound.get('uid')})")
        deleted = meta.get("deletionTimestamp")
        if deleted and parse_rfc3339(str(deleted)).timestamp() < \
                self.issuer.now() - POD_DELETION_GRACE:
            raise TokenInvalid(f"pod {namespace}/{name} has been deleted")
