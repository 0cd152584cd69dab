"""The in-process transport: requests go straight into the apiserver's pipeline.

The daemon gives each in-process component a client on this transport. It calls the same
``handle`` that HTTP requests reach (auth aside), so validation, defaults and admission cannot
be skipped by being local. The handler is injected: the client layer sits below the apiserver.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from minikube_py.api.wire import ApiRequest, ApiResponse

Handler = Callable[[ApiRequest], Awaitable[ApiResponse]]


class LocalTransport:
    def __init__(self, handler: Handler, *, ca_pem: bytes = b"") -> None:
        self._handler = handler
        self.ca_pem = ca_pem  # the cluster's CA, as an HTTPS client has it from its kubeconfig

    async def send(self, req: ApiRequest) -> ApiResponse:
        return await self._handler(req)

    async def close(self) -> None:
        return None
