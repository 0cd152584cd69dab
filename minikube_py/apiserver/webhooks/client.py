"""One call of an admission webhook: an ``admission.k8s.io/v1`` AdmissionReview POSTed over
HTTPS, the reviewed answer back.

Where it goes: ``clientConfig.url``, or ``clientConfig.service``: the Service's port
(``port``, default 443) resolved through its Endpoints to an address and target port, else
through the address the daemon's proxy publishes for it (the ``proxy.minikube-py.io/ports``
annotation). TLS is verified against ``caBundle`` (else the system's roots), with the
Service's DNS name ``<name>.<namespace>.svc`` as the server name, as Kubernetes does. The
call may take ``timeoutSeconds``. Failures are :class:`WebhookCallError` with Kubernetes'
wording (``failed to call webhook: Post "https://...": ...``).
"""

from __future__ import annotations

import base64
import binascii
import json
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import aiohttp

from minikube_py.api.registry import REGISTRY
from minikube_py.util import jsonutil

PROXY_PORTS_ANNOTATION = "proxy.minikube-py.io/ports"
MAX_RESPONSE_BYTES = 3 << 20

# (resource type, namespace, name) -> the stored object, or None.
Getter = Callable[..., dict[str, Any] | None]


class WebhookCallError(Exception):
    """The webhook could not be called or gave no usable answer."""


@dataclass(frozen=True)
class Target:
    url: str
    server_name: str | None  # the TLS server name, when it is not the URL's host


@lru_cache(maxsize=64)
def _ssl_context(ca_bundle: str) -> ssl.SSLContext:
    if not ca_bundle:
        return ssl.create_default_context()
    try:
        pem = base64.b64decode(ca_bundle, validate=True).decode()
        return ssl.create_default_context(cadata=pem)
    except (binascii.Error, UnicodeDecodeError, ssl.SSLError, ValueError) as exc:
        raise WebhookCallError(f"invalid caBundle: {exc}") from exc


def resolve(config: dict[str, Any], get: Getter) -> Target:
    """Where a webhook's clientConfig points."""
    if config.get("url"):
        return Target(str(config["url"]), None)
    service = config.get("service") or {}
    namespace, name = str(service.get("namespace") or ""), str(service.get("name") or "")
    port = int(service.get("port") or 443)
    path = str(service.get("path") or "/")
    server_name = f"{name}.{namespace}.svc"
    svc = get(REGISTRY.require("", "v1", "services"), namespace, name)
    if svc is None:
        raise WebhookCallError(f'service "{name}" not found')
    ports = (svc.get("spec") or {}).get("ports") or []
    svc_port = next((p for p in ports if p.get("port") == port), None)
    if svc_port is None:
        raise WebhookCallError(f'service "{namespace}/{name}" has no port {port}')
    address = _endpoint(get(REGISTRY.require("", "v1", "endpoints"), namespace, name), svc_port)
    if address is None:
        address = _proxied(svc, svc_port)
    if address is None:
        raise WebhookCallError(f'service "{namespace}/{name}" has no ready endpoints')
    return Target(f"https://{address}{path}", server_name)


def _endpoint(endpoints: dict[str, Any] | None, svc_port: dict[str, Any]) -> str | None:
    for subset in (endpoints or {}).get("subsets") or []:
        ports = subset.get("ports") or []
        match = next((p for p in ports if p.get("name", "") == svc_port.get("name", "")),
                     ports[0] if len(ports) == 1 else None)
        addresses = subset.get("addresses") or []
        if match is not None and addresses:
            ip = str(addresses[0].get("ip"))
            host = f"[{ip}]" if ":" in ip else ip
            return f"{host}:{match.get('port')}"
    return None


def _proxied(svc: dict[str, Any], svc_port: dict[str, Any]) -> str | None:
    annotations = (svc.get("metadata") or {}).get("annotations") or {}
    try:
        published = json.loads(annotations.get(PROXY_PORTS_ANNOTATION) or "{}")
    except ValueError:
        return None
    local = published.get(str(svc_port.get("name") or svc_port.get("port"))) \
        if isinstance(published, dict) else None
    return f"127.0.0.1:{local}" if local else None


class Sessions:
    """One HTTP client session (a pool of kept-alive connections, per address and TLS
    context) for the apiserver's calls to webhooks and aggregated servers; made in the
    running loop on first use, closed with the apiserver."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def get(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=30))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


async def call(hook: dict[str, Any], review: dict[str, Any], get: Getter,
               sessions: Sessions) -> dict[str, Any]:
    """POST ``review`` to the webhook; its AdmissionReview answer."""
    config = hook.get("clientConfig") or {}
    timeout = int(hook.get("timeoutSeconds") or 10)
    target = resolve(config, get)
    url = f"{target.url}?timeout={timeout}s"
    context = _ssl_context(str(config.get("caBundle") or ""))
    try:
        async with sessions.get().post(
                url, data=jsonutil.dumps(review), ssl=context,
                timeout=aiohttp.ClientTimeout(total=timeout),
                headers={"Content-Type": "application/json", "Accept": "application/json"},
                server_hostname=target.server_name) as resp:
            status = resp.status
            body = bytearray()
            async for chunk in resp.content.iter_any():  # the whole body, bounded
                body += chunk
                if len(body) > MAX_RESPONSE_BYTES:
                    break
    except TimeoutError as exc:
        raise WebhookCallError(f'failed to call webhook: Post "{url}": context deadline '
                               'exceeded') from exc
    except (aiohttp.ClientError, OSError) as exc:
        raise WebhookCallError(f'failed to call webhook: Post "{url}": {_why(exc)}') from exc
    if len(body) > MAX_RESPONSE_BYTES:
        raise WebhookCallError("received invalid webhook response: the response is too large")
    if status != 200:
        raise WebhookCallError(f"failed to call webhook: the server responded with status "
                               f"{status}: {bytes(body[:200]).decode(errors='replace')}")
    try:
        answer = jsonutil.loads(bytes(body))
    except ValueError as exc:
        raise WebhookCallError(f"received invalid webhook response: {exc}") from exc
    if not isinstance(answer, dict):
        raise WebhookCallError("received invalid webhook response: not an object")
    return answer


def _why(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"tls: failed to verify certificate: {exc.certificate_error}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"dial tcp {exc.host}:{exc.port}: connect: {exc.os_error.strerror or exc}"
    return str(exc) or type(exc).__name__
