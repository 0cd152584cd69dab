"""The HTTPS transport (aiohttp): for the CLI and for components in another process.

Trusts exactly the cluster CA from the kubeconfig and sends its bearer token.
"""

from __future__ import annotations

import ssl
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from minikube_py.api.errors import ServiceUnavailable
from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.client.kubeconfig import KubeConfig


def load_client_certificate(ctx: ssl.SSLContext, cert_pem: bytes, key_pem: bytes) -> None:
    """Present a client certificate (ssl reads them from files only: a private temp dir)."""
    with tempfile.TemporaryDirectory(prefix="minikube-py-cert-") as tmp:
        cert, key = Path(tmp) / "client.crt", Path(tmp) / "client.key"
        cert.write_bytes(cert_pem)
        key.touch(0o600)
        key.write_bytes(key_pem)
        ctx.load_cert_chain(cert, key)


class HttpTransport:
    def __init__(self, config: KubeConfig, *, timeout: float = 60.0) -> None:
        self.config = config
        self.ca_pem = config.ca_pem or b""
        ctx = ssl.create_default_context()
        if config.ca_pem:
            ctx = ssl.create_default_context(cadata=config.ca_pem.decode())
        if config.client_cert_pem:
            load_client_certificate(ctx, config.client_cert_pem, config.client_key_pem)
        self._ssl = ctx
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=timeout,
                                              sock_read=None)
        self._session: aiohttp.ClientSession | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            headers = {"User-Agent": "minikube-py"}
            if self.config.token:
                headers["Authorization"] = f"Bearer {self.config.token}"
            self._session = aiohttp.ClientSession(
                base_url=self.config.server, headers=headers, timeout=self._timeout,
                connector=aiohttp.TCPConnector(ssl=self._ssl))
        return self._session

    async def send(self, req: ApiRequest) -> ApiResponse:
        session = self._get_session()
        headers = {"Accept": req.accept or "application/json"}
        if req.user_agent:
            headers["User-Agent"] = req.user_agent
        if req.content_type:
            headers["Content-Type"] = req.content_type
        try:
            resp = await session.request(req.method, req.path, params=dict(req.query),
                                         data=req.body, headers=headers)
        except (aiohttp.ClientConnectionError, OSError) as exc:
            raise ServiceUnavailable(connect_failure(self.config.server, exc)) from exc
        except aiohttp.ClientError as exc:
            raise _lost(self.config.server, exc) from exc
        ctype = resp.headers.get("Content-Type", "application/json")
        if req.query.get("watch") == "true" and resp.status == 200:
            return ApiResponse(resp.status, stream=_iter_stream(resp, self.config.server),
                               content_type=ctype)
        try:
            raw = await resp.read()
        except aiohttp.ClientError as exc:
            raise _lost(self.config.server, exc) from exc
        finally:
            resp.release()
        return ApiResponse(resp.status, raw=raw, content_type=ctype,
                           headers=dict(resp.headers))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def connect_failure(server: str, exc: BaseException) -> str:
    """What went wrong reaching ``server``, in the words kubectl users know."""
    host = server.split("://", 1)[-1].rstrip("/")
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return (f"unable to connect to the server {host}: its certificate is not signed by "
                "the certificate authority of the kubeconfig (was the cluster's data dir "
                "recreated? use the kubeconfig that `minikube-py up` printed)")
    if isinstance(exc, aiohttp.ClientSSLError):
        return f"unable to connect to the server {host}: the TLS handshake failed"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return f"the connection to the server {host} was closed before it answered"
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return f"unable to connect to the server {host}: it did not answer in time"
    return (f"the connection to the server {host} was refused - is the cluster up? "
            "(minikube-py status)")


def _lost(server: str, exc: Exception) -> ServiceUnavailable:
    return ServiceUnavailable(f"the connection to the server {server} was lost "
                              f"({exc.__class__.__name__})")


async def _iter_stream(resp: aiohttp.ClientResponse, server: str) -> AsyncIterator[bytes]:
    try:
        async for chunk in resp.content.iter_any():
            yield chunk
    except aiohttp.ClientError as exc:
        raise _lost(server, exc) from exc
    finally:
        resp.close()
