"""Service account tokens: the signing key and the JWTs signed with it (Kubernetes'
``pkg/serviceaccount`` jwt.go and claims.go).

The key is an ECDSA P-256 key made at first start in the data dir (``sa.key``, beside the CA)
and kept across restarts, so tokens issued before a restart stay valid. Tokens are ES256 JWTs
(PyJWT over ``cryptography``) whose claims are those Kubernetes issues::

    {"aud": [...], "exp": ..., "iat": ..., "nbf": ..., "iss": ISSUER, "jti": "<uuid>",
     "sub": "system:serviceaccount:<ns>:<name>",
     "kubernetes.io": {"namespace": ns, "serviceaccount": {"name", "uid"},
                       "pod": {"name", "uid"}, "warnafter": ...}}

:class:`TokenIssuer` signs (the TokenRequest subresource calls it) and checks signature,
issuer, time and audience (the authenticator calls it); whether the service account and the
bound pod still exist is the authenticator's business.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ISSUER = "https://kubernetes.default.svc.cluster.local"
ALGORITHM = "ES256"
KEY_FILE = "sa.key"
PRIVATE_CLAIMS = "kubernetes.io"
LEEWAY = 60  # go-jose's default leeway for exp and nbf, which Kubernetes' validator uses
USER_PREFIX = "system:serviceaccount:"
VERIFIED_CACHE = 4096  # tokens whose signature was checked, most recently used kept


class TokenInvalid(Exception):
    """A token that is not one of ours or no longer valid; the message says why."""


def ensure_signing_key(data_dir: Path) -> ec.EllipticCurvePrivateKey:
    """The service account signing key of the data dir, made on first use."""
    path = data_dir / KEY_FILE
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key
    key = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)
    return key


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    """The ``kid`` of a public key as Kubernetes derives it: the unpadded base64url SHA-256
    of its PKIX DER encoding."""
    der = public_key.public_bytes(serialization.Encoding.DER,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()


def username(namespace: str, name: str) -> str:
    return f"{USER_PREFIX}{namespace}:{name}"


@dataclass(frozen=True)
class BoundPod:
    name: str
    uid: str


class TokenIssuer:
    """Signs and verifies this cluster's service account tokens."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, *, issuer: str = ISSUER,
                 audiences: Sequence[str] = (), now: Callable[[], float] = time.time) -> None:
        self.key = key
        self.public_key = key.public_key()
        self.kid = key_id(self.public_key)
        self.issuer = issuer
        # The apiserver's own audiences (--api-audiences), which default to the issuer.
        self.audiences = tuple(audiences) or (issuer,)
        self.now = now
        self._verified: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def issue(self, *, namespace: str, name: str, uid: str, audiences: Sequence[str],
              expiration_seconds: int, pod: BoundPod | None = None,
              warn_after_seconds: int = 0, at: float | None = None) -> str:
        """A signed token for the service account ``namespace/name`` (``uid``)."""
        issued = int(at if at is not None else self.now())
        private: dict[str, Any] = {"namespace": namespace,
                                   "serviceaccount": {"name": name, "uid": uid}}
        if pod is not None:
            private["pod"] = {"name": pod.name, "uid": pod.uid}
        if warn_after_seconds:
            private["warnafter"] = issued + warn_after_seconds
        claims = {"aud": list(audiences), "exp": issued + expiration_seconds, "iat": issued,
                  "iss": self.issuer, "jti": str(uuid.uuid4()), PRIVATE_CLAIMS: private,
                  "nbf": issued, "sub": username(namespace, name)}
        return jwt.encode(claims, self.key, algorithm=ALGORITHM, headers={"kid": self.kid})

    def is_ours(self, token: str) -> bool:
        """Whether ``token`` looks like a JWT of this issuer (unverified: a cheap first look
        that lets other authenticators' tokens pass by)."""
        if token in self._verified:
            return True
        if token.count(".") != 2:
            return False
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return False
        return claims.get("iss") == self.issuer

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a valid token of ours: signature, issuer, not expired (with
        :data:`LEEWAY`), not before ``nbf``, for one of the apiserver's audiences.

        The signature check is most of the cost (an ECDSA verification, ~4x the rest of a
        GET), so the claims of the last :data:`VERIFIED_CACHE` tokens whose signature held
        are kept; time and audience are checked on every call, so a cached token still
        expires to the second."""
        claims = self._verified.get(token)
        if claims is None:
            claims = self._signed_claims(token)
            self._verified[token] = claims
            if len(self._verified) > VERIFIED_CACHE:
                self._verified.popitem(last=False)
        else:
            self._verified.move_to_end(token)
        now = self.now()
        if not isinstance(claims.get("exp"), int | float) or now > claims["exp"] + LEEWAY:
            raise TokenInvalid("service account token has expired")
        nbf = claims.get("nbf")
        if isinstance(nbf, int | float) and now + LEEWAY < nbf:
            raise TokenInvalid("service account token is not valid yet")
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else list(aud or [])
        if not set(audiences) & set(self.audiences):
            raise TokenInvalid(f"token audiences {audiences!r} is invalid for the target "
                               f"audiences {list(self.audiences)!r}")
        if not isinstance(claims.get(PRIVATE_CLAIMS), dict):
            raise TokenInvalid("service account token claims could not be retrieved")
        return claims

    def _signed_claims(self, token: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self.public_key, algorithms=[ALGORITHM], issuer=self.issuer,
                options={"verify_aud": False, "verify_exp": False, "verify_nbf": False,
                         "verify_iat": False, "require": ["exp", "iss", "sub"]})
        except jwt.PyJWTError as exc:
            raise TokenInvalid(f"invalid token: {exc}") from exc
        return claims

    def jwks(self) -> dict[str, Any]:
        """The public key as a JSON Web Key Set (``/openid/v1/jwks``)."""
        jwk = jwt.algorithms.ECAlgorithm.to_jwk(self.public_key, as_dict=True)
        return {"keys": [{"use": "sig", "kty": jwk["kty"], "kid": self.kid,
                          "crv": jwk["crv"], "alg": ALGORITHM, "x": jwk["x"], "y": jwk["y"]}]}
