"""One API request and its response, independent of HTTP.

The apiserver's pipeline takes an :class:`ApiRequest` and returns an :class:`ApiResponse`;
the aiohttp front end and the client's in-process transport both speak this, so a local
component goes through the same validation, defaulting and admission as kubectl does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class UserInfo:
    """Who is asking (authentication's result)."""

    name: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    # Extra attributes as (key, values) pairs, e.g. a service account token's bound pod
    # (``authentication.kubernetes.io/pod-name``), as Kubernetes' user.Info carries them.
    extra: tuple[tuple[str, tuple[str, ...]], ...] = ()


SYSTEM_ADMIN = UserInfo("system:admin", ("system:masters", "system:authenticated"))


@dataclass
class ApiRequest:
    method: str  # GET, POST, PUT, PATCH, DELETE
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    content_type: str = ""
    accept: str = ""
    user: UserInfo = SYSTEM_ADMIN
    query_all: Mapping[str, list[str]] = field(default_factory=dict)  # repeated params
    user_agent: str = ""
    # True once the client has gone away (set by the HTTP front end; a stream checks it).
    disconnected: Callable[[], bool] = lambda: False

    @property
    def field_manager(self) -> str:
        """Who owns the fields this write sets: ``fieldManager``, else the user agent's
        program name (``kubectl/v1.32 ...`` -> ``kubectl``), as Kubernetes derives it."""
        return self.manager_for(self.query.get("fieldManager", ""))

    def manager_for(self, explicit: str) -> str:
        """``explicit`` if given, else the program name of the user agent: printable and at
        most 128 characters, as a field manager must be; ``unknown`` without either."""
        if explicit:
            return explicit
        program = self.user_agent.split("/", 1)[0].strip()
        program = "".join(ch for ch in program if ch.isprintable())[:128]
        return program or "unknown"


@dataclass
class ApiResponse:
    """A response: a JSON object, raw bytes (logs), or a stream of bytes (watch, follow)."""

    status: int
    body: Any = None  # a JSON-shaped value
    raw: bytes | None = None
    stream: AsyncIterator[bytes] | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # texts of Warning headers
    # Takes the connection over (a websocket: pods/exec): the HTTP front end hands it the
    # raw request instead of sending this response.
    upgrade: Callable[[Any], Awaitable[Any]] | None = None
