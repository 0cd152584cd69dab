"""The kubelet's token manager (Kubernetes' ``pkg/kubelet/token``): service account tokens
for projected volumes, asked for through the TokenRequest subresource and cached.

A token is bound to its pod (``boundObjectRef``: the pod's name and uid), so it stops working
when the pod goes. The cache is keyed by pod, account, audience and lifetime; a cached token
is asked for again once 80% of its lifetime has passed (or 24 hours, whichever comes first,
less up to 10 s of jitter), as the upstream manager does; when that fails, the cached token
serves (with a warning) until it expires. A pod's tokens are forgotten when the pod is
removed.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from minikube_py.api.errors import StatusError
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.util.clock import parse_rfc3339

log = logging.getLogger(__name__)

SERVICE_ACCOUNTS = REGISTRY.require("", "v1", "serviceaccounts")
MAX_TTL = 24 * 3600.0
MAX_JITTER = 10.0
REFRESH_FRACTION = 0.8


@dataclass(frozen=True)
class Token:
    token: str
    expires: float  # epoch seconds (status.expirationTimestamp)
    lifetime: float  # spec.expirationSeconds

    def needs_refresh(self, now: float, jitter: float = 0.0) -> bool:
        issued = self.expires - self.lifetime
        if now > issued + MAX_TTL - jitter:
            return True
        return now > self.expires - self.lifetime * (1 - REFRESH_FRACTION) - jitter


class TokenManager:
    def __init__(self, client: Client, *, now: Callable[[], float] = time.time) -> None:
        self.client = client
        self.now = now
        self._cache: dict[tuple[str, str, str, str, int], Token] = {}
        self.requests = 0  # TokenRequests made (tests and /metrics read it)

    async def token(self, pod: dict[str, Any], *, audience: str = "",
                    expiration_seconds: int = 3600) -> str:
        meta = pod["metadata"]
        namespace, uid = str(meta.get("namespace") or "default"), str(meta.get("uid"))
        account = str((pod.get("spec") or {}).get("serviceAccountName") or "default")
        key = (uid, namespace, account, audience, expiration_seconds)
        cached = self._cache.get(key)
        if cached is not None and not cached.needs_refresh(self.now(),
                                                           random.uniform(0, MAX_JITTER)):
            return cached.token
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {
            "audiences": [audience] if audience else [],
            "expirationSeconds": expiration_seconds,
            "boundObjectRef": {"apiVersion": "v1", "kind": "Pod", "name": meta.get("name"),
                               "uid": uid}}}
        self.requests += 1
        try:
            answer = await self.client.request(
                "POST", SERVICE_ACCOUNTS.path(namespace, account, "token"), body=body)
        except StatusError as err:
            if cached is None or self.now() >= cached.expires:
                raise
            log.warning("cannot refresh the token of %s/%s for pod %s (keeping the current "
                        "one until it expires): %s", namespace, account, meta.get("name"),
                        err.message)
            return cached.token
        status = answer.get("status") or {}
        expires = parse_rfc3339(str(status.get("expirationTimestamp"))).timestamp()
        lifetime = float((answer.get("spec") or {}).get("expirationSeconds") or
                         expiration_seconds)
        token = Token(str(status.get("token")), expires, lifetime)
        self._cache[key] = token
        return token.token

    def forget(self, pod_uid: str) -> None:
        for key in [k for k in self._cache if k[0] == pod_uid]:
            del self._cache[key]
