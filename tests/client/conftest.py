"""Fixtures of the client machinery tests: a transport that can be made to fail, and a
poll-until helper (a bound on waiting, never a measurement)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from minikube_py.api.errors import ServiceUnavailable
from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.apiserver.server import ApiServer
from minikube_py.client.base import Client
from minikube_py.client.local import LocalTransport


class FlakyTransport:
    """The in-process transport, with a switch: while ``down``, every request and every open
    watch stream raises ServiceUnavailable, as when the apiserver goes away."""

    def __init__(self, inner: LocalTransport) -> None:
        self.inner = inner
        self._up = asyncio.Event()
        self._up.set()
        self._down = asyncio.Event()
        self.requests = 0
        self.lists = 0  # list requests (pages included)
        self.watches = 0

    @property
    def down(self) -> bool:
        return self._down.is_set()

    def go_down(self) -> None:
        self._up.clear()
        self._down.set()

    def go_up(self) -> None:
        self._down.clear()
        self._up.set()

    async def send(self, req: ApiRequest) -> ApiResponse:
        self.requests += 1
        if req.method == "GET" and req.query.get("watch") == "true":
            self.watches += 1
        elif req.method == "GET":
            self.lists += 1
        if self.down:
            raise ServiceUnavailable("the connection to the server was refused")
        resp = await self.inner.send(req)
        if resp.stream is not None:
            resp.stream = self._guard(resp.stream)
        return resp

    async def _guard(self, stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        iterator = aiter(stream)
        down = asyncio.ensure_future(self._down.wait())
        chunk: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        try:
            while True:
                chunk = asyncio.ensure_future(anext(iterator))
                await asyncio.wait([chunk, down], return_when=asyncio.FIRST_COMPLETED)
                if down.done():
                    chunk.cancel()
                    await asyncio.gather(chunk, return_exceptions=True)
                    raise ServiceUnavailable("the connection to the server was lost")
                try:
                    yield chunk.result()
                except StopAsyncIteration:
                    return
        finally:
            down.cancel()
            if not chunk.done():
                chunk.cancel()
                await asyncio.gather(chunk, return_exceptions=True)
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()

    async def close(self) -> None:
        return None


@pytest.fixture
def flaky(apiserver: ApiServer) -> FlakyTransport:
    return FlakyTransport(LocalTransport(apiserver.handle))


@pytest.fixture
def flaky_client(flaky: FlakyTransport) -> Client:
    """A client on the in-process apiserver that the test can cut off (``flaky.go_down()``)."""
    return Client(flaky)


Eventually = Callable[[Callable[[], bool]], Awaitable[None]]


@pytest.fixture
def eventually() -> Eventually:
    """``await eventually(lambda: cond)``: poll until true; fail after ``within`` (10 s)."""

    async def wait(predicate: Callable[[], bool], within: float = 10.0) -> None:
        async def poll() -> None:
            while not predicate():  # noqa: ASYNC110 - a condition on anything, not one event
                await asyncio.sleep(0.005)

        try:
            await asyncio.wait_for(poll(), within)
        except TimeoutError:
            raise AssertionError("condition not reached") from None

    return wait
