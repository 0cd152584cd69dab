"""The in-process transport: requests go straight into the apiserver's pipeline.

The daemon gives each in-process component a client on this transport, as the component's
own user. It calls the same ``handle`` that HTTP requests reach (authentication aside:
the user is given), so validation, defaults and admission cannot
be skipped by being local. The handler is injected: the client layer sits below the apiserver.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from minikube_py.api.wire import ApiRequest, ApiResponse, UserInfo

Handler = Callable[[ApiRequest], Awaitable[ApiResponse]]


class LocalTransport:
    """``user`` is who the requests come from (each component has its own identity, with
    only the rights its roles give); without one, the request's default (the admin)."""

    def __init__(self, handler: Handler, *, user: UserInfo | None = None,
                 ca_pem: bytes = b"") -> None:
        self._handler = handler
        self.user = user
        self.ca_pem = ca_pem  # the cluster's CA, as an HTTPS client has it from its kubeconfig

    async def send(self, req: ApiRequest) -> ApiResponse:
        if self.user is not None:
            req.user = self.user
        return await self._handler(req)

    async def close(self) -> None:
        return None
