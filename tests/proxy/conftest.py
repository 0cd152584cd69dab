"""Backends for the proxy tests: small asyncio servers on 127.0.0.1, one per endpoint."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Backend:
    name: str
    server: asyncio.Server
    port: int
    connections: int = 0

    @property
    def endpoint(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)


async def say_name_and_close(backend: Backend, reader: asyncio.StreamReader,
                             writer: asyncio.StreamWriter) -> None:
    """Write the backend's name, then close: the client reads the name and EOF."""
    writer.write(backend.name.encode())
    await writer.drain()
    writer.close()


BackendFactory = Callable[..., Awaitable[Backend]]


@pytest.fixture
async def backend() -> AsyncIterator[BackendFactory]:
    """Start backends: ``await backend("a")`` or ``await backend("a", handler)``."""
    started: list[Backend] = []

    async def start(name: str, handler: Callable[..., Awaitable[None]] = say_name_and_close
                    ) -> Backend:
        holder: list[Backend] = []

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            holder[0].connections += 1
            try:
                await handler(holder[0], reader, writer)
            except ConnectionError:
                pass

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        holder.append(Backend(name, server, server.sockets[0].getsockname()[1]))
        started.append(holder[0])
        return holder[0]

    yield start
    for b in started:
        b.server.close()


def closed_port() -> int:
    """A loopback port nothing listens on (connecting is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def eventually(check: Callable[[], bool], *, tries: int = 500) -> None:
    """Wait (yielding to the loop) until ``check()`` holds; fail if it never does."""
    for _ in range(tries):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never became true")
