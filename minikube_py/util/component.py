"""Components: the parts the daemon composes (controller manager, scheduler, kubelets,
proxy), each started, watched and stopped the same way.

A :class:`Component` starts its background work as named, guarded tasks and returns; it stops
on request; it says whether it is healthy (a crashed task makes it unhealthy, naming the
task). :class:`Components` starts a list in order, stops it in reverse, and reports their
health for ``/healthz``. The same component runs in the daemon (on an in-process client) or
on its own (``minikube-py controller-manager --kubeconfig ...``, on an HTTP client).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol

log = logging.getLogger(__name__)


class Component(Protocol):
    name: str

    async def start(self) -> None:
        """Start background work and return once it runs."""
        ...

    async def stop(self) -> None:
        """Stop every background task and release what was held (leases, listeners)."""
        ...

    def health(self) -> str | None:
        """None when healthy; else why not, in one line."""
        ...


class Components:
    """A list of components started in order and stopped in reverse."""

    def __init__(self, components: Iterable[Component] = ()) -> None:
        self.components = list(components)
        self._started: list[Component] = []

    def add(self, component: Component) -> None:
        self.components.append(component)

    async def start(self) -> None:
        for component in self.components:
            log.info("starting %s", component.name)
            await component.start()
            self._started.append(component)

    async def stop(self) -> None:
        while self._started:
            component = self._started.pop()
            try:
                await component.stop()
            except Exception:  # one component failing to stop must not strand the others
                log.exception("stopping %s failed", component.name)

    def health(self) -> str | None:
        problems = [f"{c.name}: {why}" for c in self._started if (why := c.health())]
        return "; ".join(problems) or None
