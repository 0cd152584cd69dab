"""The client every component and the CLI use to talk to the apiserver (client-go's role).

:class:`Client` builds Kubernetes REST requests from a :class:`ResourceType` and sends them
through a :class:`Transport`: ``local.LocalTransport`` calls the apiserver's pipeline in the
same process (same validation and admission, no HTTP); ``http.HttpTransport`` speaks HTTPS to
a daemon. Errors come back as the same ``StatusError`` classes the server raised.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from minikube_py.api.errors import from_status
from minikube_py.api.machinery.patch import MERGE
from minikube_py.api.registry import ResourceType
from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.util import jsonutil


class Transport(Protocol):
    async def send(self, req: ApiRequest) -> ApiResponse:
        """Send one request; a streaming answer has ``stream`` set."""
        ...

    async def close(self) -> None: ...


def _q(**params: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in params.items():
        if value is None or value == "":
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return out


class Client:
    def __init__(self, transport: Transport, *, user_agent: str = "") -> None:
        self.transport = transport
        # Who is asking: the apiserver names the field manager of a write after it
        # (``leader-election/v1`` -> ``leader-election``), as Kubernetes does.
        self.user_agent = user_agent

    @property
    def root_ca(self) -> bytes:
        """The cluster's CA certificate (PEM) as this client knows it (its kubeconfig's
        ``certificate-authority-data``; the daemon's CA in process), else empty."""
        return bytes(getattr(self.transport, "ca_pem", b"") or b"")

    def with_user_agent(self, user_agent: str) -> Client:
        """A client on the same transport that introduces itself as ``user_agent``."""
        return Client(self.transport, user_agent=user_agent)

    async def close(self) -> None:
        await self.transport.close()

    async def request(self, method: str, path: str, *, query: dict[str, str] | None = None,
                      body: Any = None, content_type: str = "application/json",
                      accept: str = "application/json") -> Any:
        """Send a request and return the decoded JSON answer; raise StatusError on failure."""
        data = None if body is None else (body if isinstance(body, bytes)
                                          else jsonutil.dumps(body))
        req = ApiRequest(method=method, path=path, query=query or {}, body=data,
                         content_type=content_type if data is not None else "", accept=accept,
                         user_agent=self.user_agent)
        resp = await self.transport.send(req)
        return _result(resp)

    async def get(self, rt: ResourceType, name: str, namespace: str | None = None,
                  *, subresource: str | None = None) -> dict[str, Any]:
        return await self.request("GET", rt.path(namespace, name, subresource))  # type: ignore[no-any-return]

    async def list(self, rt: ResourceType, namespace: str | None = None, *,
                   label_selector: str = "", field_selector: str = "",
                   limit: int | None = None, continue_token: str = "") -> dict[str, Any]:
        query = _q(labelSelector=label_selector, fieldSelector=field_selector, limit=limit,
                   **{"continue": continue_token})
        return await self.request("GET", rt.path(namespace), query=query)  # type: ignore[no-any-return]

    async def create(self, rt: ResourceType, obj: dict[str, Any],
                     namespace: str | None = None, *, field_validation: str = "") -> dict[str, Any]:
        ns = namespace or (obj.get("metadata") or {}).get("namespace")
        return await self.request("POST", rt.path(ns), body=obj,  # type: ignore[no-any-return]
                                  query=_q(fieldValidation=field_validation))

    async def update(self, rt: ResourceType, obj: dict[str, Any], *,
                     subresource: str | None = None) -> dict[str, Any]:
        meta = obj.get("metadata") or {}
        path = rt.path(meta.get("namespace"), meta["name"], subresource)
        return await self.request("PUT", path, body=obj)  # type: ignore[no-any-return]

    async def update_status(self, rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        return await self.update(rt, obj, subresource="status")

    async def patch(self, rt: ResourceType, name: str, patch: Any,
                    namespace: str | None = None, *, patch_type: str = MERGE,
                    subresource: str | None = None, field_manager: str = "",
                    force: bool | None = None, field_validation: str = "") -> dict[str, Any]:
        query = _q(fieldManager=field_manager, force=force, fieldValidation=field_validation)
        return await self.request("PATCH", rt.path(namespace, name, subresource),  # type: ignore[no-any-return]
                                  body=patch, content_type=patch_type, query=query)

    async def delete(self, rt: ResourceType, name: str, namespace: str | None = None, *,
                     propagation_policy: str | None = None,
                     grace_period_seconds: int | None = None,
                     preconditions: dict[str, str] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if propagation_policy:
            body["propagationPolicy"] = propagation_policy
        if grace_period_seconds is not None:
            body["gracePeriodSeconds"] = grace_period_seconds
        if preconditions:
            body["preconditions"] = preconditions
        return await self.request("DELETE", rt.path(namespace, name), body=body)  # type: ignore[no-any-return]

    async def delete_collection(self, rt: ResourceType, namespace: str | None = None, *,
                                label_selector: str = "", field_selector: str = "",
                                propagation_policy: str | None = None) -> dict[str, Any]:
        """DELETE on a collection: every object the selectors pick, one delete each."""
        body: dict[str, Any] = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if propagation_policy:
            body["propagationPolicy"] = propagation_policy
        query = _q(labelSelector=label_selector, fieldSelector=field_selector)
        return await self.request("DELETE", rt.path(namespace), body=body,  # type: ignore[no-any-return]
                                  query=query)

    async def watch(self, rt: ResourceType, namespace: str | None = None, *,
                    resource_version: str = "", label_selector: str = "",
                    field_selector: str = "", timeout_seconds: int | None = None,
                    allow_bookmarks: bool = True, accept: str = "application/json",
                    ) -> AsyncIterator[dict[str, Any]]:
        """Watch events (``{"type": ..., "object": ...}``) until the server ends the stream."""
        query = _q(watch=True, resourceVersion=resource_version, labelSelector=label_selector,
                   fieldSelector=field_selector, timeoutSeconds=timeout_seconds,
                   allowWatchBookmarks=allow_bookmarks)
        req = ApiRequest(method="GET", path=rt.path(namespace), query=query, accept=accept,
                         user_agent=self.user_agent)
        resp = await self.transport.send(req)
        if resp.stream is None:
            _result(resp)  # raises the error the server sent
            return
        buffer = b""
        try:
            async for chunk in resp.stream:
                # One split per chunk: a chunk can hold a thousand events.
                *lines, buffer = (buffer + chunk).split(b"\n")
                for line in lines:
                    if line.strip():
                        yield jsonutil.loads(line)
        finally:
            aclose = getattr(resp.stream, "aclose", None)
            if aclose is not None:
                await aclose()


def _result(resp: ApiResponse) -> Any:
    body = resp.body
    if body is None and resp.raw is not None:
        ctype = resp.content_type.split(";")[0]
        body = jsonutil.loads(resp.raw) if ctype == "application/json" and resp.raw else resp.raw
    if resp.status >= 400:
        if isinstance(body, dict) and body.get("kind") == "Status":
            raise from_status(body, code=resp.status)
        text = body.decode(errors="replace") if isinstance(body, bytes) else str(body)
        raise from_status({"message": text or f"HTTP {resp.status}", "code": resp.status},
                          code=resp.status)
    return body
