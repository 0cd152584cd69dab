"""Regressions of the hardening issue that only HTTP shows, against a real daemon: replies
lost after a commit, HEAD on a watch, compressed bodies, bytes that are not UTF-8, aiohttp's
own errors, oversized tokens. Every answer must be a Status and leave the connection usable.
"""

from __future__ import annotations

import gzip
import http.client
import json
import socket
import ssl
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import RunningDaemon

CM = "/api/v1/namespaces/default/configmaps"


@pytest.fixture
def conn(daemon: RunningDaemon) -> Iterator[http.client.HTTPSConnection]:
    """One keep-alive HTTPS connection to the daemon."""
    ctx = ssl.create_default_context(cafile=str(daemon.data_dir / "ca.crt"))
    c = http.client.HTTPSConnection("127.0.0.1", daemon.port, context=ctx, timeout=10)
    yield c
    c.close()


def send(conn: http.client.HTTPSConnection, daemon: RunningDaemon, method: str, path: str,
         body: bytes | None = None, headers: dict[str, str] | None = None,
         token: str | None = None) -> tuple[http.client.HTTPResponse, bytes]:
    all_headers = {"Authorization": f"Bearer {token or daemon.token}"}
    if body is not None:
        all_headers["Content-Type"] = "application/json"
    all_headers.update(headers or {})
    conn.request(method, path, body=body, headers=all_headers)
    resp = conn.getresponse()
    return resp, resp.read()


def status_of(raw: bytes) -> dict[str, Any]:
    status: dict[str, Any] = json.loads(raw)
    assert status["kind"] == "Status" and status["apiVersion"] == "v1", status
    return status


def still_usable(conn: http.client.HTTPSConnection, daemon: RunningDaemon) -> None:
    resp, raw = send(conn, daemon, "GET", "/version")
    assert resp.status == 200 and json.loads(raw)["major"] == "1"


def test_committed_create_with_control_character_fields_answers(
        conn: http.client.HTTPSConnection, daemon: RunningDaemon) -> None:
    """A create whose unknown fields hold control characters is answered 201 with Warning
    headers that name them escaped; the connection stays usable."""
    body = json.dumps({"metadata": {"name": "ctl"}, "a\nb": 1, "\r\n": 2, "q\"uo\\te": 3,
                       "ünï": 4}).encode()
    resp, raw = send(conn, daemon, "POST", CM, body)
    assert resp.status == 201 and json.loads(raw)["metadata"]["name"] == "ctl"
    warnings = resp.headers.get_all("Warning") or []
    assert '299 - "unknown field \\"a\\\\nb\\""' in warnings
    assert '299 - "unknown field \\"\\\\r\\\\n\\""' in warnings
    # Non-ASCII goes out as UTF-8 bytes, as Go writes it (http.client reads them as latin-1).
    assert any("ünï" in w.encode("latin-1").decode("utf-8") for w in warnings), warnings
    still_usable(conn, daemon)


def test_head_on_a_watch_sends_no_body(conn: http.client.HTTPSConnection,
                                       daemon: RunningDaemon) -> None:
    """HEAD on a watch URL answers headers only; the next request on the connection works."""
    resp, raw = send(conn, daemon, "HEAD", f"{CM}?watch=true")
    assert resp.status == 200 and raw == b""
    still_usable(conn, daemon)
    resp, raw = send(conn, daemon, "HEAD", CM)
    assert resp.status == 200 and raw == b""
    still_usable(conn, daemon)


@pytest.mark.parametrize("encoding, compress, code", [
    pytest.param("gzip", gzip.compress, 201, id="gzip"),
    pytest.param("deflate", zlib.compress, 201, id="deflate"),
    pytest.param("gzip", lambda b: b, 400, id="gzip-not-compressed"),
    pytest.param("deflate", lambda b: b, 400, id="deflate-not-compressed"),
    pytest.param("br", lambda b: b, 415, id="unsupported"),
    pytest.param("gzip", lambda b: gzip.compress(b)[:-8], 400, id="gzip-truncated"),
])
def test_content_encoding(conn: http.client.HTTPSConnection, daemon: RunningDaemon,
                          encoding: str, compress: Any, code: int) -> None:
    """Compressed bodies are read; corrupt ones are 400, other encodings 415, all Status."""
    name = f"enc-{encoding}-{code}-{len(compress(b'x'))}"
    body = json.dumps({"metadata": {"name": name}}).encode()
    resp, raw = send(conn, daemon, "POST", CM, compress(body),
                     headers={"Content-Encoding": encoding})
    assert resp.status == code, raw
    if code >= 400:
        assert status_of(raw)["code"] == code
    still_usable(conn, daemon)


def test_gzip_bomb_is_413(conn: http.client.HTTPSConnection, daemon: RunningDaemon) -> None:
    """A small gzip body that inflates past 3 MiB is refused with 413."""
    bomb = gzip.compress(b'{"metadata":{"name":"bomb"},"data":{"k":"' + b"x" * (8 << 20) + b'"}}')
    resp, raw = send(conn, daemon, "POST", CM, bomb, headers={"Content-Encoding": "gzip"})
    assert resp.status == 413 and status_of(raw)["reason"] == "RequestEntityTooLarge"


def test_long_bearer_token_is_401(conn: http.client.HTTPSConnection,
                                  daemon: RunningDaemon) -> None:
    """A 10,000-character token is an unknown token (401), not a malformed request."""
    resp, raw = send(conn, daemon, "GET", CM, token="t" * 10_000)
    assert resp.status == 401 and status_of(raw)["reason"] == "Unauthorized"


def _raw_request(daemon: RunningDaemon, request: bytes) -> tuple[int, bytes]:
    ctx = ssl.create_default_context(cafile=str(daemon.data_dir / "ca.crt"))
    with socket.create_connection(("127.0.0.1", daemon.port), timeout=10) as sock, \
            ctx.wrap_socket(sock, server_hostname="127.0.0.1") as tls:
        tls.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = tls.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            chunk = tls.recv(65536)
            if not chunk:
                break
            body += chunk
    return int(head.split(b" ")[1]), body


@pytest.mark.parametrize("line", [
    pytest.param(b"GET /api/v1/namespaces/default/configmaps/a\xffb HTTP/1.1", id="raw-byte"),
    pytest.param(b"GET /api/v1/namespaces/default/configmaps/a%FFb HTTP/1.1", id="escaped"),
    pytest.param(b"GET /api/v1/namespaces/default/configmaps?labelSelector=%ED%BF%BF HTTP/1.1",
                 id="surrogate-in-query"),
    pytest.param(b"GET /api/v1/namespaces/default/configmaps HTTP/9.9", id="bad-version"),
    pytest.param(b"G\x00T / HTTP/1.1", id="bad-method"),
])
def test_malformed_requests_get_a_status(daemon: RunningDaemon, line: bytes) -> None:
    """Bytes that are not UTF-8 and requests aiohttp itself refuses are answered with a 4xx
    Status, never plain text or a 500."""
    token = daemon.token.encode()
    code, body = _raw_request(daemon, line + b"\r\nHost: x\r\nAuthorization: Bearer " + token
                              + b"\r\nConnection: close\r\n\r\n")
    assert 400 <= code < 500, body
    assert status_of(body)["code"] == code


def test_oversized_header_gets_a_status(daemon: RunningDaemon) -> None:
    """A header past aiohttp's limit is a 4xx Status."""
    code, body = _raw_request(daemon, b"GET /version HTTP/1.1\r\nHost: x\r\nX-Big: "
                              + b"y" * (2 << 20) + b"\r\nConnection: close\r\n\r\n")
    assert 400 <= code < 500 and status_of(body)["code"] == code


def test_error_bodies_end_with_a_newline(conn: http.client.HTTPSConnection,
                                         daemon: RunningDaemon) -> None:
    """A Status is encoded as Kubernetes encodes it: details before code, a final newline."""
    resp, raw = send(conn, daemon, "GET", f"{CM}/missing")
    assert resp.status == 404 and raw.endswith(b"}\n")
    keys = list(json.loads(raw))
    assert keys.index("details") < keys.index("code")
