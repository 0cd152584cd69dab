"""Raw HTTP/1.1 over TLS for the fuzz suite: the exact bytes of a request, and the response.

``http.client`` and aiohttp clients refuse or rewrite the odd requests a fuzzer must send
(control characters, repeated headers, a body on HEAD, no Content-Type), so the suite speaks
HTTP itself on one keep-alive socket per :class:`Connection`. A :class:`Request` is plain data
and prints as a Python expression (:meth:`Request.literal`), which is how every failure is
reported and how ``test_regressions.py`` replays it.
"""

from __future__ import annotations

import json
import select
import socket
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

CRLF = b"\r\n"
DEFAULT_AUTH = b"<the daemon's token>"  # placeholder: the connection fills in the real one
TOKEN_MARK = b"%TOKEN%"  # where the real token goes inside a custom Authorization value
STREAM_BUDGET = 0.25  # seconds a streaming response (a watch) is read before we hang up


class WireError(Exception):
    """The server broke HTTP: no answer, a malformed answer, or a closed connection."""


@dataclass(frozen=True)
class Request:
    """One HTTP request as sent: ``target`` is the request-target with its query, verbatim.

    ``authorization`` is the whole header value; :data:`DEFAULT_AUTH` means the daemon's
    bearer token and ``None`` sends no Authorization header at all.
    """

    method: str
    target: bytes
    headers: tuple[tuple[bytes, bytes], ...] = ()
    body: bytes = b""
    authorization: bytes | None = DEFAULT_AUTH

    def encode(self, host: bytes, token: bytes) -> bytes:
        lines = [self.method.encode() + b" " + self.target + b" HTTP/1.1", b"Host: " + host]
        if self.authorization is not None:
            auth = b"Bearer " + token if self.authorization == DEFAULT_AUTH \
                else self.authorization.replace(TOKEN_MARK, token)
            lines.append(b"Authorization: " + auth)
        lines += [name + b": " + value for name, value in self.headers]
        if self.body or self.method in ("POST", "PUT", "PATCH"):
            lines.append(b"Content-Length: " + str(len(self.body)).encode())
        return CRLF.join(lines) + CRLF + CRLF + self.body

    def header(self, name: bytes) -> bytes | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    @property
    def path(self) -> bytes:
        return self.target.split(b"?", 1)[0]

    @property
    def query(self) -> bytes:
        return self.target.split(b"?", 1)[1] if b"?" in self.target else b""

    def size(self) -> int:
        """How big the request is, for keeping the smallest one of a failure."""
        return (len(self.target) + sum(len(k) + len(v) for k, v in self.headers)
                + len(self.body) + len(self.authorization or b""))

    def literal(self) -> str:
        """A Python expression that rebuilds this request (bodies cut at 2,000 bytes)."""
        body = self.body if len(self.body) <= 2000 else self.body[:2000]
        cut = "" if body is self.body else f"  # first 2000 of {len(self.body)} bytes"
        parts = [f"method={self.method!r}", f"target={self.target!r}"]
        if self.headers:
            parts.append(f"headers={self.headers!r}")
        if self.body:
            parts.append(f"body={body!r}{cut}")
        if self.authorization != DEFAULT_AUTH:
            auth = self.authorization
            shown = repr(auth) if auth is None or len(auth) <= 200 else \
                f"b'Bearer ' + b'x' * {len(auth) - 7}"
            parts.append(f"authorization={shown}")
        return "Request(" + ", ".join(parts) + ")"


@dataclass
class Response:
    status: int
    reason: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes = b""
    streamed: bool = False  # we hung up on a stream that had not ended
    closed: bool = False  # the server said Connection: close, or closed the socket
    elapsed: float = 0.0
    extra: bytes = field(default=b"", repr=False)  # bytes after the response (HEAD bodies)

    def header(self, name: bytes) -> bytes | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def json(self) -> Any:
        return json.loads(self.body)

    def summary(self) -> str:
        ctype = (self.header(b"content-type") or b"").decode("latin-1")
        return f"{self.status} {ctype} {self.body[:300]!r}"


class Connection:
    """One keep-alive TLS connection to the daemon; reconnects on demand."""

    def __init__(self, port: int, token: str, cafile: str, *, timeout: float = 10.0) -> None:
        self.port = port
        self.token = token.encode()
        self.ctx = ssl.create_default_context(cafile=cafile)
        self.timeout = timeout
        self.sock: ssl.SSLSocket | None = None
        self.buf = b""
        self.host = f"127.0.0.1:{port}".encode()

    def connect(self) -> None:
        self.close()
        try:
            raw = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock = self.ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        except (OSError, ssl.SSLError) as exc:
            self.close()
            raise WireError(f"cannot connect: {type(exc).__name__}: {exc}") from exc
        self.buf = b""

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None
        self.buf = b""

    def send(self, request: Request, *, timeout: float | None = None) -> Response:
        """Send ``request`` and read its response; a stream is read for a moment, then cut."""
        if self.sock is None:
            self.connect()
        assert self.sock is not None
        start = time.monotonic()
        self.sock.settimeout(timeout or self.timeout)
        try:
            self.sock.sendall(request.encode(self.host, self.token))
            response = self._read_response(head=request.method == "HEAD")
        except (OSError, ssl.SSLError) as exc:
            self.close()
            raise WireError(f"{type(exc).__name__}: {exc}") from exc
        except WireError:
            self.close()
            raise
        response.elapsed = time.monotonic() - start
        if response.closed or response.streamed:
            self.close()
        return response

    # -- reading -----------------------------------------------------------------------------

    def _fill(self) -> None:
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        if not chunk:
            raise WireError("the server closed the connection")
        self.buf += chunk

    def _read_until(self, marker: bytes, limit: int = 1 << 20) -> bytes:
        while marker not in self.buf:
            if len(self.buf) > limit:
                raise WireError(f"no {marker!r} in the first {limit} bytes")
            self._fill()
        head, self.buf = self.buf.split(marker, 1)
        return head

    def _read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _read_response(self, *, head: bool) -> Response:
        raw_head = self._read_until(CRLF + CRLF)
        lines = raw_head.split(CRLF)
        status_line = lines[0].split(b" ", 2)
        if len(status_line) < 2 or not status_line[0].startswith(b"HTTP/1.") \
                or not status_line[1].isdigit():
            raise WireError(f"not an HTTP status line: {lines[0][:200]!r}")
        headers = []
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep:
                raise WireError(f"malformed header line: {line[:200]!r}")
            headers.append((name.strip(), value.strip()))
        response = Response(int(status_line[1]), status_line[2] if len(status_line) > 2
                            else b"", headers)
        if 100 <= response.status < 200 and response.status != 101:
            return self._read_response(head=head)  # 100 Continue: the answer follows
        connection = (response.header(b"connection") or b"").lower()
        response.closed = connection == b"close" or status_line[0] == b"HTTP/1.0"
        if head or response.status in (204, 304) or response.status < 200:
            return response
        if (response.header(b"transfer-encoding") or b"").lower() == b"chunked":
            response.body, response.streamed = self._read_chunked()
        elif response.header(b"content-length") is not None:
            response.body = self._read_exact(int(response.header(b"content-length") or 0))
        else:  # no framing: the body runs to the end of the connection
            response.body, response.closed = self._read_to_close(), True
        return response

    def _read_chunked(self) -> tuple[bytes, bool]:
        """The decoded body, and whether we stopped reading a stream that had not ended."""
        assert self.sock is not None
        body = b""
        deadline = time.monotonic() + STREAM_BUDGET
        while True:
            while CRLF not in self.buf:
                if not self._wait_readable(deadline):
                    return body, True
                self._fill()
            size_line, rest = self.buf.split(CRLF, 1)
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.buf = rest
                self._read_until(CRLF)  # the (empty) trailer section
                return body, False
            while len(self.buf) < len(size_line) + 2 + size + 2:
                if not self._wait_readable(deadline):
                    return body, True
                self._fill()
            self.buf = self.buf[len(size_line) + 2:]
            body += self.buf[:size]
            self.buf = self.buf[size + 2:]

    def _wait_readable(self, deadline: float) -> bool:
        assert self.sock is not None
        if self.sock.pending():
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([self.sock], [], [], left)
        return bool(ready)

    def _read_to_close(self) -> bytes:
        while True:
            try:
                self._fill()
            except WireError:
                data, self.buf = self.buf, b""
                return data

    def read_stray(self, wait: float = 0.05) -> bytes:
        """Bytes the server sent that no request asked for (e.g. a body after HEAD)."""
        if self.sock is None:
            return b""
        data, self.buf = self.buf, b""
        deadline = time.monotonic() + wait
        while self._wait_readable(deadline):
            try:
                chunk = self.sock.recv(65536)
            except (OSError, ssl.SSLError):
                break
            if not chunk:
                break
            data += chunk
        return data
