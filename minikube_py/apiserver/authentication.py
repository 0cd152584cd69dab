"""Authentication: who a request comes from, through a chain of bearer-token authenticators.

:class:`BearerAuthenticator` asks each :class:`TokenAuthenticator` of its list in turn; the
first that knows the token names the user, and every authenticated user is also in
``system:authenticated`` (Kubernetes' group adder). Adding a way to authenticate (the
ServiceAccount JWTs, say) is one more entry in that list, made in ``daemon.py``.

The authenticators here are static token files, as Kubernetes' ``--token-auth-file``: the
admin token made at first start (``DATA_DIR/token``, in ``system:masters``, written into the
kubeconfig) and ``DATA_DIR/tokens.csv`` (``token,user,uid,"group1,group2"`` per line: the
components' own identities, which the daemon adds, and any user an operator writes there).

A request without a valid token gets 401 Unauthorized; ``/version``, ``/healthz``, ``/livez``
and ``/readyz`` are open: there the request runs as ``system:anonymous``, whom the
``system:public-info-viewer`` role lets read them.
"""

from __future__ import annotations

import csv
import functools
import hmac
import io
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from minikube_py.api.wire import SYSTEM_ADMIN, UserInfo

PUBLIC_PATHS = ("/version", "/healthz", "/livez", "/readyz",
                # Service account issuer discovery (apiserver/serviceaccount/oidc.py).
                "/.well-known/openid-configuration", "/openid/v1/jwks",
                # What a machine that joins reads before it trusts the cluster (TLS bootstrap).
                "/api/v1/namespaces/kube-public/configmaps/cluster-info")
AUTHENTICATED = "system:authenticated"
TOKENS_FILE = "tokens.csv"


class TokenAuthenticator(Protocol):
    async def authenticate_token(self, token: str) -> UserInfo | None:
        """The user ``token`` stands for, or None if this authenticator does not know it."""


def ensure_token(data_dir: Path) -> str:
    path = data_dir / "token"
    if path.exists():
        token = path.read_text().strip()
        if token:
            return token
    token = new_token()
    path.write_text(token + "\n")
    path.chmod(0o600)
    return token


def new_token() -> str:
    return secrets.token_urlsafe(32)


class StaticTokens:
    """Tokens known in advance (``--token-auth-file``), compared in constant time."""

    def __init__(self, tokens: dict[str, UserInfo]) -> None:
        self.tokens = tokens

    @classmethod
    def admin(cls, token: str) -> StaticTokens:
        return cls({token: SYSTEM_ADMIN})

    async def authenticate_token(self, token: str) -> UserInfo | None:
        presented = token.encode("utf-8", "surrogateescape")
        for known, user in self.tokens.items():
            if hmac.compare_digest(known.encode(), presented):
                return user
        return None


def read_token_file(path: Path) -> dict[str, UserInfo]:
    """``token,user,uid,"group1,group2"`` lines (Kubernetes' static token file format)."""
    if not path.exists():
        return {}
    tokens: dict[str, UserInfo] = {}
    for row in csv.reader(io.StringIO(path.read_text())):
        if len(row) < 2 or not row[0].strip() or row[0].lstrip().startswith("#"):
            continue
        groups = tuple(g.strip() for g in row[3].split(",") if g.strip()) if len(row) > 3 \
            else ()
        tokens[row[0].strip()] = UserInfo(row[1].strip(), groups,
                                          uid=row[2].strip() if len(row) > 2 else "")
    return tokens


def ensure_identities(data_dir: Path, users: Iterable[UserInfo]) -> dict[str, UserInfo]:
    """The token file with a token for each of ``users`` (made for those that have none),
    and every identity it holds; lines an operator wrote are kept as they are."""
    path = data_dir / TOKENS_FILE
    tokens = read_token_file(path)
    have = {user.name for user in tokens.values()}
    added = [(new_token(), user) for user in users if user.name not in have]
    if added:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for token, user in added:
            writer.writerow([token, user.name, user.uid, ",".join(user.groups)])
            tokens[token] = user
        with path.open("a") as f:
            f.write(out.getvalue())
        path.chmod(0o600)
    return tokens


def token_of(tokens: dict[str, UserInfo], name: str) -> str:
    return next(token for token, user in tokens.items() if user.name == name)


@functools.lru_cache(maxsize=4096)
def authenticated(user: UserInfo) -> UserInfo:
    """``user`` in ``system:authenticated`` (one object per user: the same user is the same
    record from request to request, which the authorizer's caches key on)."""
    if AUTHENTICATED in user.groups:
        return user
    return UserInfo(user.name, (*user.groups, AUTHENTICATED), uid=user.uid, extra=user.extra)


def x509_user(peercert: Any) -> UserInfo | None:
    """The user of a verified client certificate (Kubernetes' x509 authenticator): the
    subject's common name, its organizations as groups. ``peercert`` is what ssl returns for
    a certificate it verified against the cluster CA ({} or None without one)."""
    if not peercert:
        return None
    names: list[str] = []
    orgs: list[str] = []
    for rdn in peercert.get("subject") or ():
        for key, value in rdn:
            if key == "commonName":
                names.append(str(value))
            elif key == "organizationName":
                orgs.append(str(value))
    if not names or not names[0]:
        return None
    return authenticated(UserInfo(names[0], tuple(orgs)))


class BearerAuthenticator:
    """The chain of token authenticators behind ``Authorization: Bearer <token>``."""

    def __init__(self, authenticators: list[TokenAuthenticator]) -> None:
        self.authenticators = authenticators

    async def authenticate(self, authorization: str | None) -> UserInfo | None:
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return await self.authenticate_token(token.strip())

    async def authenticate_token(self, token: str) -> UserInfo | None:
        for authenticator in self.authenticators:
            user = await authenticator.authenticate_token(token)
            if user is not None:
                return authenticated(user)
        return None

    @staticmethod
    def is_public(path: str) -> bool:
        path = path.rstrip("/") or "/"
        return any(path == p or path.startswith(p + "/") for p in PUBLIC_PATHS)
