"""The apiserver's HTTP front end (aiohttp): authentication, body limits, streaming.

Every request becomes an :class:`ApiRequest` for :class:`ApiServer`; the answer goes back as
JSON, plain text, or a chunked stream (watch, log follow) flushed event by event. A client that
goes away mid-stream ends its stream, and with it the store watch behind it.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from aiohttp import web

from minikube_py.api.errors import RequestEntityTooLarge, StatusError, Unauthorized
from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.apiserver.auth import TokenAuthenticator
from minikube_py.apiserver.server import ApiServer, status_response
from minikube_py.util import jsonutil

log = logging.getLogger(__name__)

MAX_BODY = 3 * 1024 * 1024  # as Kubernetes' default max request body (3 MiB)


def build_app(server: ApiServer, authenticator: TokenAuthenticator | None) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)

    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            api_request = await _to_api_request(request, authenticator)
        except StatusError as err:
            return _plain(status_response(err))
        response = await server.handle(api_request)
        return await _send(request, response)

    app.router.add_route("*", "/{tail:.*}", handle)
    return app


async def _to_api_request(request: web.Request,
                          authenticator: TokenAuthenticator | None) -> ApiRequest:
    user = None
    if authenticator is not None:
        user = authenticator.authenticate(request.headers.get("Authorization"))
        if user is None and not authenticator.is_public(request.path):
            raise Unauthorized("Unauthorized")
    length = request.content_length
    if length is not None and length > MAX_BODY:
        raise RequestEntityTooLarge("Request entity too large: limit is 3145728")
    body = None
    if request.can_read_body:
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge as exc:
            raise RequestEntityTooLarge("Request entity too large: limit is 3145728") from exc
    query_all: dict[str, list[str]] = {}
    for key, value in request.query.items():
        query_all.setdefault(key, []).append(value)
    kwargs: dict[str, Any] = {}
    if user is not None:
        kwargs["user"] = user
    def disconnected() -> bool:
        transport = request.transport
        return transport is None or transport.is_closing()

    kwargs["disconnected"] = disconnected
    return ApiRequest(method=request.method, path=request.path,
                      query={k: v[0] for k, v in query_all.items()}, body=body,
                      content_type=request.headers.get("Content-Type", ""),
                      accept=request.headers.get("Accept", ""), query_all=query_all,
                      user_agent=request.headers.get("User-Agent", ""), **kwargs)


def _plain(response: ApiResponse) -> web.Response:
    if response.raw is not None:
        body = response.raw
    else:
        body = jsonutil.dumps(response.body) if response.body is not None else b""
    # The full media type goes out as given: discovery's parameters (g=, v=, as=) matter.
    headers = {**response.headers, "Content-Type": response.content_type}
    return web.Response(status=response.status, body=body, headers=headers)


async def _send(request: web.Request, response: ApiResponse) -> web.StreamResponse:
    if response.stream is None:
        return _plain(response)
    headers = {**response.headers, "Content-Type": response.content_type}
    resp = web.StreamResponse(status=response.status, headers=headers)
    resp.enable_chunked_encoding()
    stream = response.stream
    try:
        await resp.prepare(request)
        async for chunk in stream:
            await resp.write(chunk)
    except (ConnectionResetError, ConnectionError):
        pass  # the client went away: stop streaming
    finally:
        with contextlib.suppress(Exception):
            await stream.aclose()  # type: ignore[attr-defined]
    with contextlib.suppress(ConnectionError, RuntimeError):
        await resp.write_eof()
    return resp
