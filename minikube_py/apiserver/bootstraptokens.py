"""Bootstrap tokens (Kubernetes' ``bootstrap.kubernetes.io/token`` Secrets): what a machine
that joins the cluster presents until its kubelet has a client certificate.

A token is ``<id>.<secret>`` (6 and 16 characters of ``[a-z0-9]``), stored as the Secret
``kube-system/bootstrap-token-<id>`` with ``token-id``, ``token-secret``, ``expiration``
(RFC 3339), ``usage-bootstrap-authentication: "true"`` and optional ``auth-extra-groups``
(comma-separated ``system:bootstrappers:...``). It authenticates as
``system:bootstrap:<id>`` in ``system:bootstrappers`` (and the extra groups), the group the
csrapproving controller trusts to ask for a node's client certificate. ``minikube-py token
create`` makes them (:func:`token_secret`).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import re
import secrets
import string
from collections.abc import Callable
from typing import Any

from minikube_py.api.wire import UserInfo

SECRET_TYPE = "bootstrap.kubernetes.io/token"
NAMESPACE = "kube-system"
PREFIX = "bootstrap-token-"
BOOTSTRAPPERS = "system:bootstrappers"
TOKEN = re.compile(r"^([a-z0-9]{6})\.([a-z0-9]{16})$")
ALPHABET = string.ascii_lowercase + string.digits
Object = dict[str, Any]
# (namespace, name) -> the Secret, or None: the authenticator reads what the store holds.
SecretGetter = Callable[[str, str], Object | None]


def new_token() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(6)) + "." + \
        "".join(secrets.choice(ALPHABET) for _ in range(16))


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def token_secret(token: str, *, ttl: dt.timedelta | None, description: str = "",
                 groups: tuple[str, ...] = ()) -> Object:
    """The Secret that makes ``token`` valid for authentication (until ``ttl`` from now)."""
    match = TOKEN.match(token)
    if match is None:
        raise ValueError(f'a bootstrap token looks like "abcdef.0123456789abcdef", not '
                         f'"{token}"')
    token_id, secret = match.groups()
    data = {"token-id": token_id, "token-secret": secret,
            "usage-bootstrap-authentication": "true", "usage-bootstrap-signing": "true"}
    if ttl is not None:
        data["expiration"] = (dt.datetime.now(dt.UTC) + ttl).strftime("%Y-%m-%dT%H:%M:%SZ")
    if description:
        data["description"] = description
    if groups:
        data["auth-extra-groups"] = ",".join(groups)
    return {"apiVersion": "v1", "kind": "Secret", "type": SECRET_TYPE,
            "metadata": {"name": PREFIX + token_id, "namespace": NAMESPACE},
            "data": {k: _b64(v) for k, v in data.items()}}


def field(secret: Object, key: str) -> str:
    raw = (secret.get("data") or {}).get(key)
    if not isinstance(raw, str):
        return ""
    try:
        return base64.b64decode(raw, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return ""


def expired(secret: Object, now: dt.datetime | None = None) -> bool:
    when = field(secret, "expiration")
    if not when:
        return False
    try:
        at = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        return True  # an expiration that does not parse is no expiration to trust
    return at <= (now or dt.datetime.now(dt.UTC))


class BootstrapTokens:
    """A token authenticator (``authenticate_token``) over the bootstrap token Secrets."""

    def __init__(self, get_secret: SecretGetter) -> None:
        self.get_secret = get_secret

    async def authenticate_token(self, token: str) -> UserInfo | None:
        match = TOKEN.match(token)
        if match is None:
            return None
        token_id, presented = match.groups()
        secret = self.get_secret(NAMESPACE, PREFIX + token_id)
        if secret is None or secret.get("type") != SECRET_TYPE:
            return None
        if (secret.get("metadata") or {}).get("deletionTimestamp"):
            return None
        if field(secret, "token-id") != token_id or not hmac.compare_digest(
                field(secret, "token-secret").encode(), presented.encode()):
            return None
        if field(secret, "usage-bootstrap-authentication") != "true" or expired(secret):
            return None
        extra = tuple(g.strip() for g in field(secret, "auth-extra-groups").split(",")
                      if g.strip().startswith(BOOTSTRAPPERS + ":"))
        return UserInfo(f"system:bootstrap:{token_id}", (BOOTSTRAPPERS, *extra))
