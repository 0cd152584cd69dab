"""Authentication: bearer tokens, as a static token file does it in Kubernetes, then any
other :class:`Authenticator` of the chain (:class:`UnionAuthenticator`, Kubernetes' union of
request authenticators: the first that knows the token wins), such as the service account
tokens of ``apiserver/serviceaccount``.

The admin token is made at first start (``DATA_DIR/token``) and written into the kubeconfig.
A request without a valid token gets 401 Unauthorized; ``/version``, ``/healthz``, ``/livez``
and ``/readyz`` are open, as the ``system:public-info-viewer`` role opens them in Kubernetes,
and so is service account issuer discovery (``/.well-known/openid-configuration``,
``/openid/v1/jwks``).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from minikube_py.api.wire import SYSTEM_ADMIN, UserInfo

PUBLIC_PATHS = ("/version", "/healthz", "/livez", "/readyz",
                "/.well-known/openid-configuration", "/openid/v1/jwks")


class Authenticator(Protocol):
    def authenticate(self, authorization: str | None) -> UserInfo | None:
        """The user of an ``Authorization`` header, None when this authenticator does not
        know the credential."""
        ...


def ensure_token(data_dir: Path) -> str:
    path = data_dir / "token"
    if path.exists():
        token = path.read_text().strip()
        if token:
            return token
    token = secrets.token_urlsafe(32)
    path.write_text(token + "\n")
    path.chmod(0o600)
    return token


class TokenAuthenticator:
    def __init__(self, tokens: dict[str, UserInfo]) -> None:
        self._tokens = tokens

    @classmethod
    def admin(cls, token: str) -> TokenAuthenticator:
        return cls({token: SYSTEM_ADMIN})

    def authenticate(self, authorization: str | None) -> UserInfo | None:
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        # Header bytes that are not UTF-8 arrive surrogate-escaped: they match no token.
        presented = token.strip().encode("utf-8", "surrogateescape")
        for known, user in self._tokens.items():
            if hmac.compare_digest(known.encode(), presented):
                return user
        return None

    @staticmethod
    def is_public(path: str) -> bool:
        path = path.rstrip("/") or "/"
        return any(path == p or path.startswith(p + "/") for p in PUBLIC_PATHS)


class UnionAuthenticator:
    """Asks each authenticator in turn; the first user found is the request's."""

    def __init__(self, authenticators: Sequence[Authenticator]) -> None:
        self.authenticators = list(authenticators)

    def authenticate(self, authorization: str | None) -> UserInfo | None:
        for authenticator in self.authenticators:
            user = authenticator.authenticate(authorization)
            if user is not None:
                return user
        return None

    is_public = staticmethod(TokenAuthenticator.is_public)
