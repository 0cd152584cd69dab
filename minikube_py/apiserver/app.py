"""The apiserver's HTTP front end (aiohttp's low-level server): authentication, bodies,
Warning headers, streaming.

Every request becomes an :class:`ApiRequest` for :class:`ApiServer`; the answer goes back as
JSON (ending in a newline, as Kubernetes' encoder writes it), plain text, or a chunked stream
(watch, log follow) flushed event by event. A client that goes away mid-stream ends its
stream, and with it the store watch behind it.

Every error, at every layer, is a ``metav1.Status``: the pipeline's own, and aiohttp's
(malformed request lines, oversized headers, a handler that crashed) through
:class:`_StatusRequestHandler`. Bodies may be sent gzip- or deflate-compressed; other
encodings are 415, and a body that does not decompress is 400. Header values that carry
client text (Warning) are escaped as Kubernetes escapes them, so that the answer to a committed
write can always be sent.
"""

from __future__ import annotations

import contextlib
import logging
import zlib
from typing import Any

from aiohttp import web, web_protocol, web_server
from aiohttp.http_exceptions import BadHttpMethod
from multidict import CIMultiDict

from minikube_py.api.errors import (
    BadRequest,
    InternalError,
    MethodNotAllowed,
    RequestEntityTooLarge,
    StatusError,
    Unauthorized,
    UnsupportedMediaType,
)
from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.apiserver.auth import TokenAuthenticator, UnionAuthenticator
from minikube_py.apiserver.server import ApiServer, status_response
from minikube_py.apiserver.warnings import warning_headers
from minikube_py.util import jsonutil, textsafe

log = logging.getLogger(__name__)

MAX_BODY = 3 * 1024 * 1024  # as Kubernetes' default max request body (3 MiB)
MAX_HEADER_BYTES = 1024 * 1024  # as Go's http.DefaultMaxHeaderBytes
_TOO_LARGE = "Request entity too large: limit is 3145728"
LARGE_BODY = 1 << 20  # bodies above this are written in slices (see _large)
WRITE_SLICE = 256 << 10
_ENCODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS,
              "deflate": zlib.MAX_WBITS}


class _StatusRequestHandler(web_protocol.RequestHandler):
    """aiohttp's per-connection protocol, answering its own errors as Status objects."""

    def handle_error(self, request: Any, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if status >= 500:
            log.error("error serving %s %s", getattr(request, "method", "?"),
                      getattr(request, "path", "?"), exc_info=exc)
        if request.writer.output_size > 0:
            raise ConnectionError("response already started; cannot send the error")
        err: StatusError
        if status == 413:
            err = RequestEntityTooLarge(_TOO_LARGE)
        elif isinstance(exc, BadHttpMethod):
            # Any token is a method in Go's server (and then 405); aiohttp's parser refuses
            # unknown ones before we see them, so the connection cannot be kept.
            err = MethodNotAllowed("the server does not allow this method on the requested "
                                   "resource")
        elif 400 <= status < 500:
            err = BadRequest(_protocol_message(status, message, exc))
            err.code = status  # type: ignore[misc]
        else:
            err = InternalError("Internal error occurred: the server could not complete the "
                                "request")
        resp = _plain(status_response(err))
        resp.force_close()
        return resp


def _protocol_message(status: int, message: str | None, exc: BaseException | None) -> str:
    text = message or (str(exc) if exc is not None else "") or "bad request"
    if status == 431 or "Got more than" in text:
        return "Request header fields too large"
    return f"the HTTP request is malformed: {text.splitlines()[0][:200]}"


class _StatusServer(web_server.Server):
    def __call__(self) -> web_protocol.RequestHandler:
        return _StatusRequestHandler(self, loop=self._loop, **self._kwargs)


def build_runner(server: ApiServer,
                 authenticator: TokenAuthenticator | UnionAuthenticator | None, *,
                 shutdown_timeout: float = 1.0) -> web.ServerRunner:
    """The runner the daemon serves the API with (one handler for every path)."""

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        try:
            api_request = await _to_api_request(request, authenticator)
        except StatusError as err:
            return _plain(status_response(err))
        response = await server.handle(api_request)
        return await _send(request, response)

    low_level = _StatusServer(handle, max_line_size=MAX_HEADER_BYTES,
                              max_field_size=MAX_HEADER_BYTES, max_headers=256,
                              auto_decompress=False,
                              # A log line per request was a quarter of the loop's time on
                              # GETs (bench_http); kube-apiserver too logs requests only at -v=3.
                              access_log=None)
    return web.ServerRunner(low_level, handle_signals=False, shutdown_timeout=shutdown_timeout)


async def _to_api_request(request: web.BaseRequest,
                          authenticator: TokenAuthenticator | UnionAuthenticator | None,
                          ) -> ApiRequest:
    path = request.path
    if textsafe.has_surrogates(path):
        raise BadRequest("the request path is not valid UTF-8")
    user = None
    if authenticator is not None:
        user = authenticator.authenticate(request.headers.get("Authorization"))
        if user is None and not authenticator.is_public(path):
            raise Unauthorized("Unauthorized")
    query_all: dict[str, list[str]] = {}
    for key, value in request.query.items():
        if textsafe.has_surrogates(key) or textsafe.has_surrogates(value):
            raise BadRequest("the query string is not valid UTF-8")
        query_all.setdefault(key, []).append(value)
    body = await _read_body(request)
    kwargs: dict[str, Any] = {}
    if user is not None:
        kwargs["user"] = user

    def disconnected() -> bool:
        transport = request.transport
        return transport is None or transport.is_closing()

    kwargs["disconnected"] = disconnected
    return ApiRequest(method=request.method, path=path,
                      query={k: v[0] for k, v in query_all.items()}, body=body,
                      content_type=request.headers.get("Content-Type", ""),
                      accept=request.headers.get("Accept", ""), query_all=query_all,
                      user_agent=request.headers.get("User-Agent", ""), **kwargs)


async def _read_body(request: web.BaseRequest) -> bytes | None:
    """The request body, decompressed if it says so, never more than MAX_BODY bytes."""
    if not request.can_read_body:
        return None
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("identity", "", *_ENCODINGS):
        raise UnsupportedMediaType(f'unsupported Content-Encoding "{encoding}": supported '
                                   'are gzip, deflate and identity')
    length = request.content_length
    if length is not None and length > MAX_BODY:
        raise RequestEntityTooLarge(_TOO_LARGE)
    raw = bytearray()
    while True:
        chunk = await request.content.read(64 * 1024)
        if not chunk:
            break
        raw += chunk
        if len(raw) > MAX_BODY:
            raise RequestEntityTooLarge(_TOO_LARGE)
    if encoding in _ENCODINGS:
        return _decompress(bytes(raw), encoding)
    return bytes(raw)


def _decompress(data: bytes, encoding: str) -> bytes:
    inflater = zlib.decompressobj(_ENCODINGS[encoding])
    try:
        out = inflater.decompress(data, MAX_BODY + 1)
        if len(out) > MAX_BODY:
            raise RequestEntityTooLarge(_TOO_LARGE)
        if not inflater.eof or inflater.unused_data:
            raise BadRequest(f"the request body is not valid {encoding} data: it is truncated "
                             "or has trailing bytes")
    except zlib.error as exc:
        raise BadRequest(f"the request body is not valid {encoding} data: {exc}") from exc
    return out


def _headers(response: ApiResponse) -> CIMultiDict[str]:
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in response.headers.items():
        headers[name] = value
    headers["Content-Type"] = response.content_type
    for value in warning_headers(response.warnings):
        headers.add("Warning", value)
    return headers


async def _large(request: web.BaseRequest, response: ApiResponse,
                 body: bytes) -> web.StreamResponse:
    """A big body (a full LIST) written in slices, each waiting for the socket: the TLS
    layer never holds an encrypted copy of the whole answer."""
    if response.content_type.startswith("application/json") and not body.endswith(b"\n"):
        body += b"\n"
    resp = web.StreamResponse(status=response.status, headers=_headers(response))
    resp.content_length = len(body)
    view = memoryview(body)
    try:
        await resp.prepare(request)
        for start in range(0, len(body), WRITE_SLICE):
            await resp.write(view[start:start + WRITE_SLICE])
        await resp.write_eof()
    except (ConnectionResetError, ConnectionError):
        pass  # the client went away
    return resp


def _plain(response: ApiResponse) -> web.Response:
    if response.raw is not None:
        body = response.raw
    elif response.body is not None:
        body = jsonutil.dumps(response.body) + b"\n"
    else:
        body = b""
    if response.content_type.startswith("application/json") and body and \
            not body.endswith(b"\n"):
        body += b"\n"
    # The full media type goes out as given: discovery's parameters (g=, v=, as=) matter.
    return web.Response(status=response.status, body=body, headers=_headers(response))


async def _send(request: web.BaseRequest, response: ApiResponse) -> web.StreamResponse:
    if response.upgrade is not None:
        return await response.upgrade(request)  # type: ignore[no-any-return]
    if response.stream is None:
        if response.raw is not None and len(response.raw) > LARGE_BODY \
                and request.method != "HEAD":
            return await _large(request, response, response.raw)
        return _plain(response)
    stream = response.stream
    resp = web.StreamResponse(status=response.status, headers=_headers(response))
    if request.method == "HEAD":  # headers only: a body would corrupt the connection
        with contextlib.suppress(Exception):
            await stream.aclose()  # type: ignore[attr-defined]
        await resp.prepare(request)
        return resp
    resp.enable_chunked_encoding()
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
