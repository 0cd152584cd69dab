"""The registry of per-kind defaulters (see ``defaults/__init__.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Defaulter = Callable[[dict[str, Any]], None]

DEFAULTERS: dict[tuple[str, str], Defaulter] = {}


def defaulter(group: str, kind: str) -> Callable[[Defaulter], Defaulter]:
    def register(fn: Defaulter) -> Defaulter:
        DEFAULTERS[(group, kind)] = fn
        return fn
    return register
